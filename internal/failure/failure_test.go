package failure

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestClassification(t *testing.T) {
	httpErr := func(status int) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: errors.New("x")}
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"throttling", &smithy.GenericAPIError{Code: "Throttling"}, RetryableAWSError},
		{"throttling exception", &smithy.GenericAPIError{Code: "ThrottlingException"}, RetryableAWSError},
		{"request limit", &smithy.GenericAPIError{Code: "RequestLimitExceeded"}, RetryableAWSError},
		{"busy replication group", &smithy.GenericAPIError{Code: "InvalidReplicationGroupState"}, RetryableAWSError},
		{"HTTP 500", httpErr(500), RetryableAWSError},
		{"HTTP 503", httpErr(503), RetryableAWSError},
		{"connection refused", &smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, RetryableAWSError},
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), RetryableAWSError},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDenied"}, AWSError},
		{"invalid parameter", &smithy.GenericAPIError{Code: "InvalidParameterValue"}, AWSError},
		{"HTTP 400", httpErr(400), AWSError},
		{"already named", Wrap(CreateFailed, &smithy.GenericAPIError{Code: "Throttling"}, "x"), CreateFailed},
	}
	for _, tc := range cases {
		if got := NameOf(AWS(tc.err, "doing")); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestNamesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range Names {
		if seen[n] {
			t.Fatalf("%s twice", n)
		}
		seen[n] = true
	}
}

// Package failure names the errors that the state machines match. A Lambda
// returns them as its errorType, so the names here are a public contract:
// docs/functions.md lists them and statemachine/*.asl.json matches them.
package failure

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The stable error names. Never rename one: deployed state machines match them.
const (
	// InvalidProfile: the profile breaks a rule; nothing was created.
	InvalidProfile = "InvalidProfile"
	// InvalidInput: the event is malformed (a field missing or of the wrong kind).
	InvalidInput = "InvalidInput"
	// NetworkCheckFailed: subnets or security groups fail the pre-flight (R2, R7).
	NetworkCheckFailed = "NetworkCheckFailed"
	// CreateFailed: the replication group is in create-failed.
	CreateFailed = "CreateFailed"
	// NotFound: a resource that must exist does not.
	NotFound = "NotFound"
	// ImmutableSettingChanged: the profile asks for a change AWS cannot make in place.
	ImmutableSettingChanged = "ImmutableSettingChanged"
	// RetryableAWSError: throttling, 5xx, time-outs or a resource busy in another
	// operation. The state machine retries it with backoff.
	RetryableAWSError = "RetryableAWSError"
	// AWSError: any other AWS error (access denied, quota exceeded, ...); not retried.
	AWSError = "AWSError"
	// GroupBeingDeleted: the replication group is being deleted, so it cannot be
	// provisioned until that ends.
	GroupBeingDeleted = "GroupBeingDeleted"
)

// Names lists every error name, for documentation and tests.
var Names = []string{InvalidProfile, InvalidInput, NetworkCheckFailed, CreateFailed, NotFound,
	ImmutableSettingChanged, RetryableAWSError, AWSError, GroupBeingDeleted}

// Error is an error with a stable name. Its Error() text is the cause that
// the state machine reports; it never carries secret values.
type Error struct {
	Name    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns a named error with a formatted message.
func New(name, format string, args ...any) *Error {
	return &Error{Name: name, Message: fmt.Sprintf(format, args...)}
}

// Wrap names err, keeping it for errors.Is/As.
func Wrap(name string, err error, format string, args ...any) *Error {
	return &Error{Name: name, Message: fmt.Sprintf(format, args...), Err: err}
}

// NameOf is the stable name of err: its own if it has one, otherwise the
// classification of the AWS error inside it.
func NameOf(err error) string {
	var named *Error
	if errors.As(err, &named) {
		return named.Name
	}
	if IsRetryable(err) {
		return RetryableAWSError
	}
	return AWSError
}

// AWS gives these codes to conditions that pass: throttling and a resource
// busy with another change. The SDK's own lists cover most; the rest are
// ElastiCache's "busy" states that clear by themselves.
var retryableCodes = map[string]bool{
	"InvalidReplicationGroupState":    true,
	"InvalidCacheClusterState":        true,
	"InvalidCacheParameterGroupState": true,
	"CacheSubnetGroupInUse":           true,
	"ConcurrentModificationException": true,
	"InternalServiceError":            true,
	"InternalFailure":                 true,
	"ServiceUnavailable":              true,
	"ServiceUnavailableException":     true,
	"RequestTimeout":                  true,
	"RequestTimeoutException":         true,
}

// IsRetryable reports whether err is transient: throttling, a 5xx, a network
// failure, a time-out, or a resource busy in another operation.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var named *Error
	if errors.As(err, &named) {
		return named.Name == RetryableAWSError
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		_, throttle := retry.DefaultThrottleErrorCodes[code]
		_, transient := retry.DefaultRetryableErrorCodes[code]
		if retryableCodes[code] || throttle || transient {
			return true
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
		return true
	}
	var sendErr *smithyhttp.RequestSendError
	if errors.As(err, &sendErr) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// AWS classifies an error from an AWS call made while doing what: retryable
// ones become RetryableAWSError, others AWSError. Errors already named keep
// their name.
func AWS(err error, doing string) error {
	if err == nil {
		return nil
	}
	var named *Error
	if errors.As(err, &named) {
		return err
	}
	if IsRetryable(err) {
		return Wrap(RetryableAWSError, err, "%s", doing)
	}
	return Wrap(AWSError, err, "%s", doing)
}

// ErrorCode is the AWS error code inside err, or "".
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// ForLambda turns any handler error into the invoke error the Lambda runtime
// reports, so that errorType is the stable name rather than a Go type name.
func ForLambda(err error) error {
	if err == nil {
		return nil
	}
	return messages.InvokeResponse_Error{Type: NameOf(err), Message: err.Error()}
}

// Handler adapts a typed handler so that its errors carry stable names.
func Handler[In, Out any](h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		out, err := h(ctx, in)
		return out, ForLambda(err)
	}
}

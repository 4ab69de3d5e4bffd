package elasticache_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ec "github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/smithy-go"

	"github.com/ecprov/ecprov/emulator/elasticache"
)

// routed is the shape the emulator's router (emulator/server) expects of a
// service.
type routed interface {
	SigningName() string
	Operation(r *http.Request, body []byte) string
	WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string)
	ServeHTTP(w http.ResponseWriter, r *http.Request)
}

var _ routed = (*elasticache.Service)(nil)

// TestWriteErrorParsesInSDK checks the injected-fault path: an error written
// by WriteError reaches the SDK with its code and message.
func TestWriteErrorParsesInSDK(t *testing.T) {
	svc, err := elasticache.New(elasticache.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	var op string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		op = svc.Operation(r, body)
		svc.WriteError(w, r, http.StatusBadRequest, "Throttling", "Rate exceeded")
	}))
	defer srv.Close()
	client := ec.New(ec.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
	})
	_, err = client.DescribeReplicationGroups(context.Background(), &ec.DescribeReplicationGroupsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" || ae.ErrorMessage() != "Rate exceeded" {
		t.Fatalf("err = %v", err)
	}
	if op != "DescribeReplicationGroups" || svc.SigningName() != "elasticache" {
		t.Fatalf("Operation = %q, SigningName = %q", op, svc.SigningName())
	}
}

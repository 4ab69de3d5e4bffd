// Package awsclient loads the AWS configuration every function and the CLI
// share. AWS_ENDPOINT_URL (honoured by the SDK itself) points it at the local
// emulator.
package awsclient

import (
	"context"
	"fmt"
	"os"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// MaxAttempts per AWS call inside a Lambda: a few quick SDK retries, then the
// error surfaces as RetryableAWSError and the state machine backs off, which
// costs no Lambda time.
const MaxAttempts = 3

// DefaultHTTPTimeout bounds one HTTP attempt: the SDK sets none, and an AWS
// call that hangs would otherwise hold the Lambda until its own timeout.
// ECPROV_HTTP_TIMEOUT (a Go duration, e.g. "2s") overrides it.
const DefaultHTTPTimeout = 10 * time.Second

// HTTPTimeoutEnv names the override of DefaultHTTPTimeout.
const HTTPTimeoutEnv = "ECPROV_HTTP_TIMEOUT"

// Load returns the default configuration with ecprov's retry policy and a
// per-attempt HTTP time-out; a timed-out attempt is retried by the SDK.
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	timeout := DefaultHTTPTimeout
	if v := os.Getenv(HTTPTimeoutEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return aws.Config{}, fmt.Errorf("%s=%q: want a positive Go duration such as \"10s\"", HTTPTimeoutEnv, v)
		}
		timeout = d
	}
	httpClient := awshttp.NewBuildableClient().WithTimeout(timeout)
	opts = append([]func(*config.LoadOptions) error{config.WithRetryMaxAttempts(MaxAttempts), config.WithHTTPClient(httpClient)}, opts...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// EventBusEnv names the environment variable that carries the project's
// event bus name into the functions that put events.
const EventBusEnv = "ECPROV_EVENT_BUS"

// EventBus is the project's bus, "ecprov" unless ECPROV_EVENT_BUS says otherwise.
func EventBus() string {
	if b := os.Getenv(EventBusEnv); b != "" {
		return b
	}
	return "ecprov"
}

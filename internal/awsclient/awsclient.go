// Package awsclient loads the AWS configuration every function and the CLI
// share. AWS_ENDPOINT_URL (honoured by the SDK itself) points it at the local
// emulator.
package awsclient

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// MaxAttempts per AWS call inside a Lambda: a few quick SDK retries, then the
// error surfaces as RetryableAWSError and the state machine backs off, which
// costs no Lambda time.
const MaxAttempts = 3

// Load returns the default configuration with ecprov's retry policy.
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts = append([]func(*config.LoadOptions) error{config.WithRetryMaxAttempts(MaxAttempts)}, opts...)
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

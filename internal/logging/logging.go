// Package logging sets up structured JSON logs that carry the Lambda request
// id. Nothing here logs payloads: secret values never reach a log line.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns a JSON logger writing to w at the level named by LOG_LEVEL
// (debug, info, warn, error; default info).
func New(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(os.Getenv("LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// For returns base with the invocation's request id attached, when ctx is a
// Lambda invocation context.
func For(ctx context.Context, base *slog.Logger) *slog.Logger {
	if base == nil {
		base = slog.New(slog.DiscardHandler)
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return base.With("request_id", lc.AwsRequestID)
	}
	return base
}

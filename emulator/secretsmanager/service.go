// Package secretsmanager emulates AWS Secrets Manager (AWS JSON 1.1): secrets
// with versions and staging labels, idempotent writes by ClientRequestToken,
// deletion with a recovery window, and AWS's error codes and wording.
package secretsmanager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/ecprov/ecprov/emulator/protocol/awsjson"
)

// Options configure a Service.
type Options struct {
	Region    string // default us-east-1
	AccountID string // default 000000000000
	Logger    *slog.Logger
	// Now is the clock (default time.Now); tests move it to expire
	// recovery windows.
	Now func() time.Time
}

// Service is the Secrets Manager emulator; it implements server.Service.
type Service struct {
	store      *store
	log        *slog.Logger
	operations map[string]operation
}

type operation func(ctx context.Context, body []byte) (any, error)

// New returns an empty Secrets Manager.
func New(opts Options) *Service {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	svc := &Service{
		store: newStore(opts.Region, opts.AccountID, opts.Now),
		log:   opts.Logger.With("service", "secretsmanager"),
	}
	svc.operations = map[string]operation{
		"CreateSecret":         handle(svc.createSecret),
		"PutSecretValue":       handle(svc.putSecretValue),
		"UpdateSecret":         handle(svc.updateSecret),
		"GetSecretValue":       handle(svc.getSecretValue),
		"DescribeSecret":       handle(svc.describeSecret),
		"ListSecrets":          handle(svc.listSecrets),
		"ListSecretVersionIds": handle(svc.listSecretVersionIds),
		"DeleteSecret":         handle(svc.deleteSecret),
		"RestoreSecret":        handle(svc.restoreSecret),
		"TagResource":          handle(svc.tagResource),
		"UntagResource":        handle(svc.untagResource),
	}
	return svc
}

// handle adapts a typed handler to the wire: decode, call, and hand back
// the output for encoding.
func handle[In, Out any](fn func(context.Context, *In) (*Out, error)) operation {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := awsjson.Unmarshal(body, in); err != nil {
			return nil, clientError("SerializationException", "Cannot parse the request body: %v", err)
		}
		return fn(ctx, in)
	}
}

// targetPrefix is the X-Amz-Target prefix of Secrets Manager operations.
const targetPrefix = "secretsmanager"

// SigningName implements server.Service.
func (*Service) SigningName() string { return "secretsmanager" }

// Operation implements server.Service.
func (*Service) Operation(r *http.Request, _ []byte) string {
	prefix, op := awsjson.Target(r)
	if prefix != targetPrefix {
		return ""
	}
	return op
}

// WriteError implements server.Service.
func (*Service) WriteError(w http.ResponseWriter, _ *http.Request, status int, code, message string) {
	awsjson.WriteError(w, awsjson.Version11, awsjson.Error{Status: status, Type: code, Message: message})
}

// ServeHTTP implements http.Handler.
func (svc *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix, name := awsjson.Target(r)
	op, ok := svc.operations[name]
	if prefix != targetPrefix || !ok {
		svc.WriteError(w, r, http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("ecprov emulator: Secrets Manager operation %q is not supported (X-Amz-Target %q)", name, r.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		svc.WriteError(w, r, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	out, err := op(r.Context(), body)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{Code: "InternalServiceError", Message: err.Error(), Status: http.StatusInternalServerError}
		}
		svc.WriteError(w, r, ae.Status, ae.Code, ae.Message)
		return
	}
	awsjson.WriteResult(w, awsjson.Version11, out)
}

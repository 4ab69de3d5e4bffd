package awsjson

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/ecprov/ecprov/internal/apimodel"
)

// Operation is one operation of a service: it decodes the request body,
// acts, and returns the output to encode.
type Operation func(ctx context.Context, body []byte) (any, error)

// Handle adapts a typed handler to an Operation. A body that does not decode
// into In is answered with a SerializationException.
func Handle[In, Out any](fn func(context.Context, *In) (*Out, error)) Operation {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := Unmarshal(body, in); err != nil {
			return nil, Error{Status: http.StatusBadRequest, Type: "SerializationException", Message: fmt.Sprintf("Cannot parse the request body: %v", err)}
		}
		return fn(ctx, in)
	}
}

// ServiceError is an error the caller is told about with its code; each
// service's error type implements it. Any other error from an operation is
// a bug, answered as an internal error.
type ServiceError interface {
	JSONError() Error
}

// Error implements error, so that an operation can return an Error as it is.
func (e Error) Error() string { return e.Type + ": " + e.Message }

// JSONError implements ServiceError.
func (e Error) JSONError() Error { return e }

// Dispatcher serves one service's operations: it finds the operation the
// X-Amz-Target header names, runs it on the body and writes its result or
// error. Its Operation, WriteError and ServeHTTP have the signatures of
// server.Service's, so that a service can hand them on.
type Dispatcher struct {
	TargetPrefix string // of X-Amz-Target: "secretsmanager"
	Version      string // Version10 or Version11
	Service      string // the service in messages: "Secrets Manager"
	Operations   map[string]Operation
	// InternalCode is the error code of an error that is not a
	// ServiceError: "InternalFailure", "InternalServiceError", ...
	InternalCode string
	// Log gets a line for every internal error, naming the request with
	// RequestID (server.RequestID; this package cannot import server,
	// which imports it).
	Log       *slog.Logger
	RequestID func(context.Context) string
	// Model, when set, is the service's API model (trimmed to the
	// operations served); a request that breaks a constraint of its input
	// shape is refused before the operation runs, with ValidationCode
	// ("ValidationException" when empty) and AWS's message.
	Model          *apimodel.Model
	ValidationCode string
}

// Operation names the operation of r, or "" if r is not for this service.
func (d *Dispatcher) Operation(r *http.Request, _ []byte) string {
	prefix, op := Target(r)
	if prefix != d.TargetPrefix {
		return ""
	}
	return op
}

// WriteError writes an error response.
func (d *Dispatcher) WriteError(w http.ResponseWriter, _ *http.Request, status int, code, message string) {
	WriteError(w, d.Version, Error{Status: status, Type: code, Message: message})
}

// ServeHTTP implements http.Handler.
func (d *Dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix, name := Target(r)
	op, ok := d.Operations[name]
	if prefix != d.TargetPrefix || !ok {
		d.WriteError(w, r, http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("ecprov emulator: %s operation %q is not supported (X-Amz-Target %q)", d.Service, name, r.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		d.WriteError(w, r, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if e, ok := d.validate(name, body); !ok {
		WriteError(w, d.Version, e)
		return
	}
	out, err := op(r.Context(), body)
	if err != nil {
		var se ServiceError
		if !errors.As(err, &se) {
			d.Log.ErrorContext(r.Context(), "operation failed", "requestId", d.RequestID(r.Context()), "operation", name, "err", err)
			se = Error{Status: http.StatusInternalServerError, Type: d.InternalCode, Message: err.Error()}
		}
		WriteError(w, d.Version, se.JSONError())
		return
	}
	WriteResult(w, d.Version, out)
}

// validate parses the body and checks it against the operation's input
// shape, as AWS's front end does before the service sees a request.
func (d *Dispatcher) validate(operation string, body []byte) (Error, bool) {
	tree, err := DecodeTree(body)
	if err != nil {
		return Error{Status: http.StatusBadRequest, Type: "SerializationException", Message: "Cannot parse the request body: " + err.Error()}, false
	}
	if d.Model == nil {
		return Error{}, true
	}
	in, err := d.Model.Input(operation)
	if err != nil {
		return Error{}, true // an operation without input members
	}
	vs := in.Validate(nonNil(tree), apimodel.Options{Required: true})
	if len(vs) == 0 {
		return Error{}, true
	}
	code := d.ValidationCode
	if code == "" {
		code = "ValidationException"
	}
	return Error{Status: http.StatusBadRequest, Type: code, Message: apimodel.Message(vs)}, false
}

// nonNil makes an empty body an empty object, so that its required
// members are reported missing.
func nonNil(tree map[string]any) map[string]any {
	if tree == nil {
		return map[string]any{}
	}
	return tree
}

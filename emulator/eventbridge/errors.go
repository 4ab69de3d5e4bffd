package eventbridge

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ecprov/ecprov/emulator/protocol/awsjson"
)

// ErrBusNotFound is the error of Put for a bus that does not exist;
// errors.Is matches it.
var ErrBusNotFound = errors.New("eventbridge: event bus does not exist")

// apiError is an error with an EventBridge error code. Messages follow
// AWS's wording (as recorded against AWS), since tools match on them.
type apiError struct {
	Code    string
	Message string
	Status  int
	is      error // a sentinel errors.Is matches, if any
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }
func (e *apiError) Unwrap() error { return e.is }

// JSONError implements awsjson.ServiceError.
func (e *apiError) JSONError() awsjson.Error {
	return awsjson.Error{Status: e.Status, Type: e.Code, Message: e.Message}
}

func clientError(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func errValidation(format string, args ...any) *apiError {
	return clientError("ValidationException", format, args...)
}

func errBusNotFound(name string) *apiError {
	e := clientError("ResourceNotFoundException", "Event bus %s does not exist.", name)
	e.is = ErrBusNotFound
	return e
}

func errRuleNotFound(rule, bus string) *apiError {
	return clientError("ResourceNotFoundException", "Rule %s does not exist on EventBus %s.", rule, bus)
}

package stepfunctions

import (
	"fmt"
	"net/http"

	"github.com/ecprov/ecprov/emulator/protocol/awsjson"
)

// apiError is an error response: its Code is the JSON "__type", which the
// SDK maps to the typed error (sfn/types.StateMachineDoesNotExist, ...).
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// JSONError implements awsjson.ServiceError.
func (e *apiError) JSONError() awsjson.Error {
	return awsjson.Error{Status: e.Status, Type: e.Code, Message: e.Message}
}

func clientError(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

func stateMachineDoesNotExist(arn string) *apiError {
	return clientError("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
}

func executionDoesNotExist(arn string) *apiError {
	return clientError("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
}

func invalidArn(arn string) *apiError {
	return clientError("InvalidArn", "Invalid Arn: '%s'", arn)
}

func invalidDefinition(detail string) *apiError {
	return clientError("InvalidDefinition", "Invalid State Machine Definition: '%s'", detail)
}

func invalidToken(token string) *apiError {
	return clientError("InvalidToken", "Invalid Token: '%s'", token)
}

func validationError(format string, args ...any) *apiError {
	return clientError("ValidationException", format, args...)
}

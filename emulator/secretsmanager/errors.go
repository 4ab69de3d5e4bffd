package secretsmanager

import (
	"fmt"
	"net/http"

	"github.com/ecprov/ecprov/emulator/protocol/awsjson"
)

// apiError is an error with an AWS error code. The messages follow the
// wording AWS uses, since callers (Terraform, scripts) sometimes match on
// them.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// JSONError implements awsjson.ServiceError.
func (e *apiError) JSONError() awsjson.Error {
	return awsjson.Error{Status: e.Status, Type: e.Code, Message: e.Message}
}

func clientError(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func errSecretNotFound() *apiError {
	return clientError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func errValueNotFound(what, id string) *apiError {
	return clientError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for %s: %s", what, id)
}

func errMarkedForDeletion() *apiError {
	return clientError("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
}

func errCreateScheduledForDeletion() *apiError {
	return clientError("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
}

func errAlreadyMarkedDeleted() *apiError {
	return clientError("InvalidRequestException", "You tried to perform the operation on a secret that's currently marked deleted.")
}

func errSecretExists(name string) *apiError {
	return clientError("ResourceExistsException", "The operation failed because the secret %s already exists.", name)
}

func errTokenInUse(token, arn string) *apiError {
	return clientError("ResourceExistsException", "You can't use ClientRequestToken %s because that value is already in use for a version of secret %s.", token, arn)
}

func errInvalidParameter(format string, args ...any) *apiError {
	return clientError("InvalidParameterException", format, args...)
}

func errInvalidRequest(format string, args ...any) *apiError {
	return clientError("InvalidRequestException", format, args...)
}

func errValidation(format string, args ...any) *apiError {
	return clientError("ValidationException", format, args...)
}

func errInvalidNextToken() *apiError {
	return clientError("InvalidNextTokenException", "The NextToken value is invalid.")
}

package cloudwatch

import (
	"fmt"
	"net/http"
	"strings"
)

// apiError is a CloudWatch error. CloudWatch is awsQueryCompatible: on the
// JSON and CBOR protocols an error names its shape in "__type" and its old
// Query error code in the x-amzn-query-error header, and clients report the
// Query code (ValidationError, ResourceNotFound, ...). Both are kept here.
type apiError struct {
	QueryCode string // what clients report: "ValidationError"
	Shape     string // the "__type": "com.amazon.coral.validate#ValidationException"
	Status    int
	Message   string
}

func (e *apiError) Error() string { return e.QueryCode + ": " + e.Message }

// queryError is the x-amzn-query-error header value.
func (e *apiError) queryError() string {
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
	}
	return e.QueryCode + ";" + fault
}

// errorShapes maps the Query codes of CloudWatch's modelled errors to their
// shapes, so that SDKs deserialize them into the typed errors.
var errorShapes = map[string]string{
	"ValidationError":             "com.amazon.coral.validate#ValidationException",
	"InvalidParameterValue":       "com.amazonaws.cloudwatch#InvalidParameterValueException",
	"InvalidParameterCombination": "com.amazonaws.cloudwatch#InvalidParameterCombinationException",
	"MissingParameter":            "com.amazonaws.cloudwatch#MissingRequiredParameterException",
	"InvalidNextToken":            "com.amazonaws.cloudwatch#InvalidNextToken",
	"ResourceNotFound":            "com.amazonaws.cloudwatch#ResourceNotFound",
	"LimitExceeded":               "com.amazonaws.cloudwatch#LimitExceededFault",
	"InternalServiceError":        "com.amazonaws.cloudwatch#InternalServiceFault",
}

func newError(status int, code, format string, args ...any) *apiError {
	shape, ok := errorShapes[code]
	if !ok {
		shape = code
	}
	return &apiError{QueryCode: code, Shape: shape, Status: status, Message: fmt.Sprintf(format, args...)}
}

func errValidation(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "ValidationError", format, args...)
}

func errInvalidValue(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidParameterValue", format, args...)
}

func errMissing(field string) *apiError {
	return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(field))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

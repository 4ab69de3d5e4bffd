package sns

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrTopicNotFound is the error of Publish (the Go API) for a topic that
// does not exist; errors.Is matches it.
var ErrTopicNotFound = errors.New("sns: topic does not exist")

// apiError is an error with an SNS error code. Messages follow AWS's
// wording (as recorded against AWS), since callers match on them.
type apiError struct {
	Code    string
	Message string
	Status  int
	is      error // a sentinel errors.Is matches, if any
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }
func (e *apiError) Unwrap() error { return e.is }

// invalidParameter is SNS's InvalidParameter; the message carries its
// "Invalid parameter: ..." prefix.
func invalidParameter(format string, args ...any) *apiError {
	return &apiError{Code: "InvalidParameter", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func invalidParameterValue(format string, args ...any) *apiError {
	return &apiError{Code: "ParameterValueInvalid", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func errTopicNotFound() *apiError {
	return &apiError{Code: "NotFound", Message: "Topic does not exist", Status: http.StatusNotFound, is: ErrTopicNotFound}
}

func errSubscriptionNotFound() *apiError {
	return &apiError{Code: "NotFound", Message: "Subscription does not exist", Status: http.StatusNotFound}
}

func errResourceNotFound() *apiError {
	return &apiError{Code: "ResourceNotFound", Message: "Resource does not exist", Status: http.StatusNotFound}
}

// checkARN applies SNS's ARN format check to a parameter.
func checkARN(param, arn string) error {
	if arn == "" {
		return invalidParameter("Invalid parameter: %s Reason: no value for required parameter", param)
	}
	if n := arnElements(arn); n < 6 {
		return invalidParameter("Invalid parameter: %s Reason: An ARN must have at least 6 elements, not %d", param, n)
	}
	return nil
}

// maxTags is how many tags a topic can have: TagLimitExceededException,
// "Can't add more than 50 tags to a topic" (botocore sns 2010-03-31; the
// model's TagList states no maximum). The message is the one moto records.
const maxTags = 50

func errTagLimitExceeded() *apiError {
	return &apiError{Code: "TagLimitExceeded", Message: "Could not complete request: tag quota of per resource exceeded", Status: http.StatusBadRequest}
}

package stepfunctions

import "time"

// The request and response shapes of the operations served, named and
// tagged as in the Step Functions API (JSON 1.0).

type loggingConfiguration struct {
	Level                string `json:"level"`
	IncludeExecutionData bool   `json:"includeExecutionData"`
}

type tracingConfiguration struct {
	Enabled bool `json:"enabled"`
}

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type createStateMachineInput struct {
	Name       string `json:"name"`
	Definition string `json:"definition"`
	RoleArn    string `json:"roleArn"`
	Type       string `json:"type,omitempty"`
	Tags       []tag  `json:"tags,omitempty"`
}

type createStateMachineOutput struct {
	StateMachineArn string    `json:"stateMachineArn"`
	CreationDate    time.Time `json:"creationDate"`
}

type stateMachineArnInput struct {
	StateMachineArn string `json:"stateMachineArn"`
}

type describeStateMachineOutput struct {
	StateMachineArn      string               `json:"stateMachineArn"`
	Name                 string               `json:"name"`
	Status               string               `json:"status"`
	Definition           string               `json:"definition"`
	RoleArn              string               `json:"roleArn"`
	Type                 string               `json:"type"`
	CreationDate         time.Time            `json:"creationDate"`
	LoggingConfiguration loggingConfiguration `json:"loggingConfiguration"`
	TracingConfiguration tracingConfiguration `json:"tracingConfiguration"`
	RevisionID           string               `json:"revisionId,omitempty"`
}

type listInput struct {
	MaxResults int    `json:"maxResults,omitempty"`
	NextToken  string `json:"nextToken,omitempty"`
}

type stateMachineListItem struct {
	StateMachineArn string    `json:"stateMachineArn"`
	Name            string    `json:"name"`
	Type            string    `json:"type"`
	CreationDate    time.Time `json:"creationDate"`
}

type listStateMachinesOutput struct {
	StateMachines []stateMachineListItem `json:"stateMachines"`
	NextToken     string                 `json:"nextToken,omitempty"`
}

type updateStateMachineInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Definition      *string `json:"definition,omitempty"`
	RoleArn         *string `json:"roleArn,omitempty"`
}

type updateStateMachineOutput struct {
	UpdateDate time.Time `json:"updateDate"`
	RevisionID string    `json:"revisionId,omitempty"`
}

type startExecutionInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name,omitempty"`
	Input           *string `json:"input,omitempty"`
	TraceHeader     string  `json:"traceHeader,omitempty"`
}

type startExecutionOutput struct {
	ExecutionArn string    `json:"executionArn"`
	StartDate    time.Time `json:"startDate"`
}

type executionArnInput struct {
	ExecutionArn string `json:"executionArn"`
}

type dataDetails struct {
	Included  *bool `json:"included,omitempty"`
	Truncated *bool `json:"truncated,omitempty"`
}

type describeExecutionOutput struct {
	ExecutionArn    string       `json:"executionArn"`
	StateMachineArn string       `json:"stateMachineArn"`
	Name            string       `json:"name"`
	Status          string       `json:"status"`
	StartDate       time.Time    `json:"startDate"`
	StopDate        *time.Time   `json:"stopDate,omitempty"`
	Input           string       `json:"input"`
	InputDetails    *dataDetails `json:"inputDetails,omitempty"`
	Output          *string      `json:"output,omitempty"`
	OutputDetails   *dataDetails `json:"outputDetails,omitempty"`
	Error           *string      `json:"error,omitempty"`
	Cause           *string      `json:"cause,omitempty"`
}

type getExecutionHistoryInput struct {
	ExecutionArn         string `json:"executionArn"`
	MaxResults           int    `json:"maxResults,omitempty"`
	NextToken            string `json:"nextToken,omitempty"`
	ReverseOrder         bool   `json:"reverseOrder,omitempty"`
	IncludeExecutionData *bool  `json:"includeExecutionData,omitempty"`
}

type getExecutionHistoryOutput struct {
	Events    []historyEvent `json:"events"`
	NextToken string         `json:"nextToken,omitempty"`
}

type listExecutionsInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	StatusFilter    string `json:"statusFilter,omitempty"`
	MaxResults      int    `json:"maxResults,omitempty"`
	NextToken       string `json:"nextToken,omitempty"`
}

type executionListItem struct {
	ExecutionArn    string     `json:"executionArn"`
	StateMachineArn string     `json:"stateMachineArn"`
	Name            string     `json:"name"`
	Status          string     `json:"status"`
	StartDate       time.Time  `json:"startDate"`
	StopDate        *time.Time `json:"stopDate,omitempty"`
}

type listExecutionsOutput struct {
	Executions []executionListItem `json:"executions"`
	NextToken  string              `json:"nextToken,omitempty"`
}

type stopExecutionInput struct {
	ExecutionArn string  `json:"executionArn"`
	Error        *string `json:"error,omitempty"`
	Cause        *string `json:"cause,omitempty"`
}

type stopExecutionOutput struct {
	StopDate time.Time `json:"stopDate"`
}

type empty struct{}

// historyEvent is one event of an execution's history. Exactly one of the
// details fields is set, the one named after Type (none for a few types,
// such as LambdaFunctionStarted).
type historyEvent struct {
	Timestamp       time.Time `json:"timestamp"`
	Type            string    `json:"type"`
	ID              int64     `json:"id"`
	PreviousEventID int64     `json:"previousEventId"`

	ExecutionStartedEventDetails   *executionStartedDetails `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceededEventDetails *outputDetails           `json:"executionSucceededEventDetails,omitempty"`
	ExecutionFailedEventDetails    *errorDetails            `json:"executionFailedEventDetails,omitempty"`
	ExecutionAbortedEventDetails   *errorDetails            `json:"executionAbortedEventDetails,omitempty"`
	ExecutionTimedOutEventDetails  *errorDetails            `json:"executionTimedOutEventDetails,omitempty"`

	StateEnteredEventDetails *stateEnteredDetails `json:"stateEnteredEventDetails,omitempty"`
	StateExitedEventDetails  *stateExitedDetails  `json:"stateExitedEventDetails,omitempty"`

	LambdaFunctionScheduledEventDetails *lambdaScheduledDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaFunctionSucceededEventDetails *outputDetails          `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFunctionFailedEventDetails    *errorDetails           `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaFunctionTimedOutEventDetails  *errorDetails           `json:"lambdaFunctionTimedOutEventDetails,omitempty"`

	TaskScheduledEventDetails *taskScheduledDetails `json:"taskScheduledEventDetails,omitempty"`
	TaskStartedEventDetails   *taskDetails          `json:"taskStartedEventDetails,omitempty"`
	TaskSucceededEventDetails *taskDetails          `json:"taskSucceededEventDetails,omitempty"`
	TaskFailedEventDetails    *taskDetails          `json:"taskFailedEventDetails,omitempty"`
	TaskTimedOutEventDetails  *taskDetails          `json:"taskTimedOutEventDetails,omitempty"`

	MapStateStartedEventDetails       *mapStateStartedDetails `json:"mapStateStartedEventDetails,omitempty"`
	MapIterationStartedEventDetails   *mapIterationDetails    `json:"mapIterationStartedEventDetails,omitempty"`
	MapIterationSucceededEventDetails *mapIterationDetails    `json:"mapIterationSucceededEventDetails,omitempty"`
	MapIterationFailedEventDetails    *mapIterationDetails    `json:"mapIterationFailedEventDetails,omitempty"`
}

type executionStartedDetails struct {
	Input        *string      `json:"input,omitempty"`
	InputDetails *dataDetails `json:"inputDetails,omitempty"`
	RoleArn      string       `json:"roleArn"`
}

type outputDetails struct {
	Output        *string      `json:"output,omitempty"`
	OutputDetails *dataDetails `json:"outputDetails,omitempty"`
}

type errorDetails struct {
	Error *string `json:"error,omitempty"`
	Cause *string `json:"cause,omitempty"`
}

type stateEnteredDetails struct {
	Name         string       `json:"name"`
	Input        *string      `json:"input,omitempty"`
	InputDetails *dataDetails `json:"inputDetails,omitempty"`
}

type stateExitedDetails struct {
	Name          string       `json:"name"`
	Output        *string      `json:"output,omitempty"`
	OutputDetails *dataDetails `json:"outputDetails,omitempty"`
}

type lambdaScheduledDetails struct {
	Resource         string       `json:"resource"`
	Input            *string      `json:"input,omitempty"`
	InputDetails     *dataDetails `json:"inputDetails,omitempty"`
	TimeoutInSeconds *int64       `json:"timeoutInSeconds,omitempty"`
}

type taskScheduledDetails struct {
	ResourceType     string `json:"resourceType"`
	Resource         string `json:"resource"`
	Region           string `json:"region"`
	Parameters       string `json:"parameters"`
	TimeoutInSeconds *int64 `json:"timeoutInSeconds,omitempty"`
}

// taskDetails serves TaskStarted, TaskSucceeded, TaskFailed and
// TaskTimedOut; each uses the fields it has.
type taskDetails struct {
	ResourceType  string       `json:"resourceType"`
	Resource      string       `json:"resource"`
	Output        *string      `json:"output,omitempty"`
	OutputDetails *dataDetails `json:"outputDetails,omitempty"`
	Error         *string      `json:"error,omitempty"`
	Cause         *string      `json:"cause,omitempty"`
}

type mapStateStartedDetails struct {
	Length int `json:"length"`
}

type mapIterationDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

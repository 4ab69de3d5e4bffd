package eventbridge

import "time"

// The request and response shapes of the operations served, named and
// tagged as in the EventBridge API (AWS JSON 1.1, target prefix AWSEvents).

type wireTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type wireDeadLetterConfig struct {
	Arn string `json:"Arn,omitempty"`
}

type createEventBusInput struct {
	Name             string                `json:"Name"`
	Description      string                `json:"Description,omitempty"`
	EventSourceName  string                `json:"EventSourceName,omitempty"`
	KmsKeyIdentifier string                `json:"KmsKeyIdentifier,omitempty"`
	DeadLetterConfig *wireDeadLetterConfig `json:"DeadLetterConfig,omitempty"`
	Tags             []wireTag             `json:"Tags,omitempty"`
}

type createEventBusOutput struct {
	EventBusArn      string                `json:"EventBusArn"`
	Description      string                `json:"Description,omitempty"`
	KmsKeyIdentifier string                `json:"KmsKeyIdentifier,omitempty"`
	DeadLetterConfig *wireDeadLetterConfig `json:"DeadLetterConfig,omitempty"`
}

type nameInput struct {
	Name string `json:"Name,omitempty"`
}

type describeEventBusOutput struct {
	Name             string                `json:"Name"`
	Arn              string                `json:"Arn"`
	Description      string                `json:"Description,omitempty"`
	Policy           string                `json:"Policy,omitempty"`
	KmsKeyIdentifier string                `json:"KmsKeyIdentifier,omitempty"`
	DeadLetterConfig *wireDeadLetterConfig `json:"DeadLetterConfig,omitempty"`
	CreationTime     time.Time             `json:"CreationTime"`
	LastModifiedTime time.Time             `json:"LastModifiedTime"`
}

type listEventBusesInput struct {
	NamePrefix string `json:"NamePrefix,omitempty"`
	Limit      int    `json:"Limit,omitempty"`
	NextToken  string `json:"NextToken,omitempty"`
}

type wireEventBus struct {
	Name             string    `json:"Name"`
	Arn              string    `json:"Arn"`
	Description      string    `json:"Description,omitempty"`
	Policy           string    `json:"Policy,omitempty"`
	CreationTime     time.Time `json:"CreationTime"`
	LastModifiedTime time.Time `json:"LastModifiedTime"`
}

type listEventBusesOutput struct {
	EventBuses []wireEventBus `json:"EventBuses"`
	NextToken  string         `json:"NextToken,omitempty"`
}

type putRuleInput struct {
	Name               string    `json:"Name"`
	EventBusName       string    `json:"EventBusName,omitempty"`
	EventPattern       string    `json:"EventPattern,omitempty"`
	ScheduleExpression string    `json:"ScheduleExpression,omitempty"`
	State              string    `json:"State,omitempty"`
	Description        string    `json:"Description,omitempty"`
	RoleArn            string    `json:"RoleArn,omitempty"`
	Tags               []wireTag `json:"Tags,omitempty"`
}

type putRuleOutput struct {
	RuleArn string `json:"RuleArn"`
}

type ruleInput struct {
	Name         string `json:"Name"`
	EventBusName string `json:"EventBusName,omitempty"`
	Force        bool   `json:"Force,omitempty"`
}

type wireRule struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventBusName       string `json:"EventBusName"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
	ManagedBy          string `json:"ManagedBy,omitempty"`
}

// describeRuleOutput is wireRule plus CreatedBy; awsjson does not flatten
// embedded structs, hence the repetition.
type describeRuleOutput struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventBusName       string `json:"EventBusName"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
	ManagedBy          string `json:"ManagedBy,omitempty"`
	CreatedBy          string `json:"CreatedBy"`
}

type listRulesInput struct {
	NamePrefix   string `json:"NamePrefix,omitempty"`
	EventBusName string `json:"EventBusName,omitempty"`
	Limit        int    `json:"Limit,omitempty"`
	NextToken    string `json:"NextToken,omitempty"`
}

type listRulesOutput struct {
	Rules     []wireRule `json:"Rules"`
	NextToken string     `json:"NextToken,omitempty"`
}

type wireInputTransformer struct {
	InputPathsMap map[string]string `json:"InputPathsMap,omitempty"`
	InputTemplate string            `json:"InputTemplate"`
}

type wireRetryPolicy struct {
	MaximumRetryAttempts     *int `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int `json:"MaximumEventAgeInSeconds,omitempty"`
}

// wireTarget is a rule target. The service-specific parameter blocks
// (SqsParameters, EcsParameters...) are kept as decoded JSON so that they
// are echoed back by ListTargetsByRule; the emulator does not use them.
type wireTarget struct {
	ID                          string                `json:"Id"`
	Arn                         string                `json:"Arn"`
	RoleArn                     string                `json:"RoleArn,omitempty"`
	Input                       *string               `json:"Input,omitempty"`
	InputPath                   *string               `json:"InputPath,omitempty"`
	InputTransformer            *wireInputTransformer `json:"InputTransformer,omitempty"`
	RetryPolicy                 *wireRetryPolicy      `json:"RetryPolicy,omitempty"`
	DeadLetterConfig            *wireDeadLetterConfig `json:"DeadLetterConfig,omitempty"`
	SqsParameters               map[string]any        `json:"SqsParameters,omitempty"`
	HTTPParameters              map[string]any        `json:"HttpParameters,omitempty"`
	KinesisParameters           map[string]any        `json:"KinesisParameters,omitempty"`
	EcsParameters               map[string]any        `json:"EcsParameters,omitempty"`
	BatchParameters             map[string]any        `json:"BatchParameters,omitempty"`
	RunCommandParameters        map[string]any        `json:"RunCommandParameters,omitempty"`
	RedshiftDataParameters      map[string]any        `json:"RedshiftDataParameters,omitempty"`
	SageMakerPipelineParameters map[string]any        `json:"SageMakerPipelineParameters,omitempty"`
	AppSyncParameters           map[string]any        `json:"AppSyncParameters,omitempty"`
}

type putTargetsInput struct {
	Rule         string       `json:"Rule"`
	EventBusName string       `json:"EventBusName,omitempty"`
	Targets      []wireTarget `json:"Targets"`
}

type failedTargetEntry struct {
	TargetID     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

type targetsResultOutput struct {
	FailedEntryCount int                 `json:"FailedEntryCount"`
	FailedEntries    []failedTargetEntry `json:"FailedEntries"`
}

type listTargetsByRuleInput struct {
	Rule         string `json:"Rule"`
	EventBusName string `json:"EventBusName,omitempty"`
	Limit        int    `json:"Limit,omitempty"`
	NextToken    string `json:"NextToken,omitempty"`
}

type listTargetsByRuleOutput struct {
	Targets   []wireTarget `json:"Targets"`
	NextToken string       `json:"NextToken,omitempty"`
}

type removeTargetsInput struct {
	Rule         string   `json:"Rule"`
	EventBusName string   `json:"EventBusName,omitempty"`
	IDs          []string `json:"Ids"`
	Force        bool     `json:"Force,omitempty"`
}

type putEventsEntry struct {
	Source       string     `json:"Source,omitempty"`
	DetailType   string     `json:"DetailType,omitempty"`
	Detail       *string    `json:"Detail,omitempty"`
	EventBusName string     `json:"EventBusName,omitempty"`
	Resources    []string   `json:"Resources,omitempty"`
	Time         *time.Time `json:"Time,omitempty"`
	TraceHeader  string     `json:"TraceHeader,omitempty"`
}

type putEventsInput struct {
	Entries    []putEventsEntry `json:"Entries"`
	EndpointID string           `json:"EndpointId,omitempty"`
}

type putEventsResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

type putEventsOutput struct {
	FailedEntryCount int                    `json:"FailedEntryCount"`
	Entries          []putEventsResultEntry `json:"Entries"`
}

type testEventPatternInput struct {
	EventPattern string `json:"EventPattern"`
	Event        string `json:"Event"`
}

type testEventPatternOutput struct {
	Result bool `json:"Result"`
}

type tagResourceInput struct {
	ResourceARN string    `json:"ResourceARN"`
	Tags        []wireTag `json:"Tags"`
}

type untagResourceInput struct {
	ResourceARN string   `json:"ResourceARN"`
	TagKeys     []string `json:"TagKeys"`
}

type listTagsForResourceInput struct {
	ResourceARN string `json:"ResourceARN"`
}

type listTagsForResourceOutput struct {
	Tags []wireTag `json:"Tags"`
}

type empty struct{}

package eventbridge

import (
	"net/http/httptest"
	"testing"

	"github.com/ecprov/ecprov/emulator/internal/modelprobe"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel/botocore"
)

// TestAPIModel keeps the embedded model equal to the AWS CLI's, for the
// operations served.
func TestAPIModel(t *testing.T) {
	svc := New(Options{})
	defer svc.Close()
	botocore.CheckEmbedded(t, "events", apiModel, "apimodel.json", svc.OperationNames())
}

const (
	probeARN  = "arn:aws:lambda:us-east-1:000000000000:function:f"
	probeRole = "arn:aws:iam::000000000000:role/r"
)

var probeTags = []any{map[string]any{"Key": "k", "Value": "v"}}

// probeCases are requests the model accepts, one per operation served,
// holding the members ecprov and the tests send and the others the model
// constrains at the top level.
var probeCases = []modelprobe.Case{
	{Operation: "CreateEventBus", Request: map[string]any{"Name": "probe", "EventSourceName": "aws.partner/a/b", "Description": "d",
		"KmsKeyIdentifier": "k", "DeadLetterConfig": map[string]any{"Arn": probeARN},
		"LogConfig": map[string]any{"IncludeDetail": "NONE", "Level": "OFF"}, "Tags": probeTags}},
	{Operation: "DescribeEventBus", Request: map[string]any{"Name": "probe"}},
	{Operation: "DeleteEventBus", Request: map[string]any{"Name": "probe"}},
	{Operation: "ListEventBuses", Request: map[string]any{"NamePrefix": "p", "NextToken": "t", "Limit": 10}},
	{Operation: "PutRule", Request: map[string]any{"Name": "r", "ScheduleExpression": "rate(1 hour)", "EventPattern": "{}",
		"State": "ENABLED", "Description": "d", "RoleArn": probeRole, "Tags": probeTags, "EventBusName": "default"}},
	{Operation: "DescribeRule", Request: map[string]any{"Name": "r", "EventBusName": "default"}},
	{Operation: "ListRules", Request: map[string]any{"NamePrefix": "r", "EventBusName": "default", "NextToken": "t", "Limit": 10}},
	{Operation: "DeleteRule", Request: map[string]any{"Name": "r", "EventBusName": "default"}},
	{Operation: "EnableRule", Request: map[string]any{"Name": "r", "EventBusName": "default"}},
	{Operation: "DisableRule", Request: map[string]any{"Name": "r", "EventBusName": "default"}},
	{Operation: "PutTargets", Request: map[string]any{"Rule": "r", "EventBusName": "default", "Targets": []any{map[string]any{
		"Id": "t", "Arn": probeARN, "RoleArn": probeRole, "Input": "{}", "InputPath": "$.detail",
		"InputTransformer": map[string]any{"InputPathsMap": map[string]any{"a": "$.detail"}, "InputTemplate": "<a>"},
		"RetryPolicy":      map[string]any{"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60},
		"DeadLetterConfig": map[string]any{"Arn": probeARN}}}}},
	{Operation: "ListTargetsByRule", Request: map[string]any{"Rule": "r", "EventBusName": "default", "NextToken": "t", "Limit": 10}},
	{Operation: "RemoveTargets", Request: map[string]any{"Rule": "r", "EventBusName": "default", "Ids": []any{"t"}}},
	{Operation: "PutEvents", Request: map[string]any{"EndpointId": "abc.def", "Entries": []any{map[string]any{
		"Source": "s", "DetailType": "d", "Detail": "{}", "Resources": []any{probeARN}, "EventBusName": "default", "TraceHeader": "x"}}}},
	{Operation: "TestEventPattern", Request: map[string]any{"EventPattern": "{}", "Event": "{}"}},
	{Operation: "TagResource", Request: map[string]any{"ResourceARN": probeARN, "Tags": probeTags}},
	{Operation: "UntagResource", Request: map[string]any{"ResourceARN": probeARN, "TagKeys": []any{"k"}}},
	{Operation: "ListTagsForResource", Request: map[string]any{"ResourceARN": probeARN}},
}

// TestModelConstraints breaks every constraint the AWS CLI's model states
// on the operations served, one just past its bound at a time, and
// expects AWS's answer: ValidationException naming the member.
func TestModelConstraints(t *testing.T) {
	m := botocore.Require(t, "events", "2015-10-07")
	svc := New(Options{})
	defer svc.Close()
	if got, want := len(probeCases), len(svc.OperationNames()); got != want {
		t.Fatalf("%d probe cases for %d operations served", got, want)
	}
	ts := httptest.NewServer(server.New(nil, svc))
	defer ts.Close()
	tg := modelprobe.Target{Endpoint: ts.URL, SigningName: "events", Protocol: modelprobe.JSON, TargetPrefix: "AWSEvents", JSONVersion: "1.1"}
	if n := modelprobe.Probe(t, tg, m, "ValidationException", probeCases...); n < 80 {
		t.Errorf("only %d constraints probed", n)
	}
}

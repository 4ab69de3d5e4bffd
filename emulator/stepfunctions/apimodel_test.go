package stepfunctions

import (
	"net/http/httptest"
	"os"
	"testing"

	"github.com/ecprov/ecprov/emulator/internal/modelprobe"
	"github.com/ecprov/ecprov/internal/apimodel/botocore"
)

// newForModel is a service for the model tests, which never start the
// runner; without node_modules they skip, unless CI=true.
func newForModel(t *testing.T) *Service {
	t.Helper()
	svc, err := New(Options{DataDir: t.TempDir()})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	return svc
}

// TestAPIModel keeps the embedded model equal to the AWS CLI's, for the
// operations served.
func TestAPIModel(t *testing.T) {
	botocore.CheckEmbedded(t, "stepfunctions", apiModel, "apimodel.json", newForModel(t).OperationNames())
}

const (
	probeMachine   = "arn:aws:states:us-east-1:000000000000:stateMachine:probe"
	probeExecution = "arn:aws:states:us-east-1:000000000000:execution:probe:x"
	probeRole      = "arn:aws:iam::000000000000:role/r"
	probeLogGroup  = "arn:aws:logs:us-east-1:000000000000:log-group:g:*"
	probeDef       = `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`
)

var (
	probeLogging    = map[string]any{"level": "OFF", "includeExecutionData": false, "destinations": []any{map[string]any{"cloudWatchLogsLogGroup": map[string]any{"logGroupArn": probeLogGroup}}}}
	probeEncryption = map[string]any{"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/k", "kmsDataKeyReusePeriodSeconds": 300}
)

// probeCases are requests the model accepts, one per operation served,
// holding the members ecprov and the tests send and the others the model
// constrains.
var probeCases = []modelprobe.Case{
	{Operation: "CreateStateMachine", Request: map[string]any{"name": "probe", "definition": probeDef, "roleArn": probeRole, "type": "STANDARD",
		"loggingConfiguration": probeLogging, "tracingConfiguration": map[string]any{"enabled": false},
		"tags": []any{map[string]any{"key": "k", "value": "v"}}, "publish": false, "versionDescription": "d", "encryptionConfiguration": probeEncryption}},
	{Operation: "DescribeStateMachine", Request: map[string]any{"stateMachineArn": probeMachine, "includedData": "ALL_DATA"}},
	{Operation: "ListStateMachines", Request: map[string]any{"maxResults": 10, "nextToken": "t"}},
	{Operation: "UpdateStateMachine", Request: map[string]any{"stateMachineArn": probeMachine, "definition": probeDef, "roleArn": probeRole,
		"loggingConfiguration": probeLogging, "tracingConfiguration": map[string]any{"enabled": false}, "publish": false,
		"versionDescription": "d", "encryptionConfiguration": probeEncryption}},
	{Operation: "DeleteStateMachine", Request: map[string]any{"stateMachineArn": probeMachine}},
	{Operation: "StartExecution", Request: map[string]any{"stateMachineArn": probeMachine, "name": "x", "input": "{}", "traceHeader": "Root=1-0"}},
	{Operation: "DescribeExecution", Request: map[string]any{"executionArn": probeExecution, "includedData": "ALL_DATA"}},
	{Operation: "GetExecutionHistory", Request: map[string]any{"executionArn": probeExecution, "maxResults": 10, "reverseOrder": true,
		"nextToken": "t", "includeExecutionData": true}},
	{Operation: "ListExecutions", Request: map[string]any{"stateMachineArn": probeMachine, "statusFilter": "RUNNING", "maxResults": 10,
		"nextToken": "t", "mapRunArn": probeMachine + "/m:r", "redriveFilter": "REDRIVEN"}},
	{Operation: "StopExecution", Request: map[string]any{"executionArn": probeExecution, "error": "e", "cause": "c"}},
}

// TestModelConstraints breaks every constraint the AWS CLI's model states
// on the operations served, one just past its bound at a time, and
// expects AWS's answer: ValidationException naming the member. Among them:
// StartExecution's input one character over 262,144.
func TestModelConstraints(t *testing.T) {
	m := botocore.Require(t, "stepfunctions", "2016-11-23")
	svc := newForModel(t)
	if got, want := len(probeCases), len(svc.OperationNames()); got != want {
		t.Fatalf("%d probe cases for %d operations served", got, want)
	}
	// Straight to the service, not through the router: the router refuses
	// a body over 1 MB first (Step Functions quotas, "Maximum request
	// size: 1 MB per request"), which a definition one character over the
	// model's 1,048,576 makes.
	ts := httptest.NewServer(svc)
	defer ts.Close()
	tg := modelprobe.Target{Endpoint: ts.URL, SigningName: "states", Protocol: modelprobe.JSON, TargetPrefix: "AWSStepFunctions", JSONVersion: "1.0"}
	if n := modelprobe.Probe(t, tg, m, "ValidationException", probeCases...); n < 40 {
		t.Errorf("only %d constraints probed", n)
	}
}

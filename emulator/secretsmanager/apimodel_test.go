package secretsmanager

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/emulator/internal/modelprobe"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel/botocore"
)

// TestAPIModel keeps the embedded model equal to the AWS CLI's, for the
// operations served.
func TestAPIModel(t *testing.T) {
	botocore.CheckEmbedded(t, "secretsmanager", apiModel, "apimodel.json", New(Options{}).OperationNames())
}

const probeToken = "11111111-1111-4111-8111-111111111111"

// probeCases are requests the model accepts, one per operation served,
// holding every member ecprov or the tests send (and the others the
// model constrains), so that each constraint can be broken from them.
var probeCases = []modelprobe.Case{
	{Operation: "CreateSecret", Request: map[string]any{
		"Name": "probe", "ClientRequestToken": probeToken, "Description": "d", "KmsKeyId": "alias/k",
		"SecretString": "v", "SecretBinary": "AA==", "Tags": []any{map[string]any{"Key": "k", "Value": "v"}},
		"AddReplicaRegions": []any{map[string]any{"Region": "us-west-2", "KmsKeyId": "k"}}, "Type": "t"}},
	{Operation: "PutSecretValue", Request: map[string]any{
		"SecretId": "probe", "ClientRequestToken": probeToken, "SecretString": "v", "SecretBinary": "AA==",
		"VersionStages": []any{"AWSCURRENT"}, "RotationToken": strings.Repeat("a", 36)}},
	{Operation: "UpdateSecret", Request: map[string]any{
		"SecretId": "probe", "ClientRequestToken": probeToken, "Description": "d", "KmsKeyId": "k",
		"SecretString": "v", "SecretBinary": "AA==", "Type": "t"}},
	{Operation: "GetSecretValue", Request: map[string]any{"SecretId": "probe", "VersionId": probeToken, "VersionStage": "AWSCURRENT"}},
	{Operation: "DescribeSecret", Request: map[string]any{"SecretId": "probe"}},
	{Operation: "ListSecrets", Request: map[string]any{"MaxResults": 10, "NextToken": "t", "SortOrder": "asc", "SortBy": "name",
		"Filters": []any{map[string]any{"Key": "name", "Values": []any{"a"}}}}},
	{Operation: "ListSecretVersionIds", Request: map[string]any{"SecretId": "probe", "MaxResults": 10, "NextToken": "t"}},
	{Operation: "DeleteSecret", Request: map[string]any{"SecretId": "probe", "RecoveryWindowInDays": 7}},
	{Operation: "RestoreSecret", Request: map[string]any{"SecretId": "probe"}},
	{Operation: "TagResource", Request: map[string]any{"SecretId": "probe", "Tags": []any{map[string]any{"Key": "k", "Value": "v"}}}},
	{Operation: "UntagResource", Request: map[string]any{"SecretId": "probe", "TagKeys": []any{"k"}}},
}

// TestModelConstraints breaks every constraint the AWS CLI's model states
// on the operations served, one just past its bound at a time, and
// expects AWS's answer: ValidationException naming the member.
func TestModelConstraints(t *testing.T) {
	m := botocore.Require(t, "secretsmanager", "2017-10-17")
	svc := New(Options{})
	if got, want := len(probeCases), len(svc.OperationNames()); got != want {
		t.Fatalf("%d probe cases for %d operations served", got, want)
	}
	ts := httptest.NewServer(server.New(nil, svc))
	defer ts.Close()
	tg := modelprobe.Target{Endpoint: ts.URL, SigningName: "secretsmanager", Protocol: modelprobe.JSON,
		TargetPrefix: "secretsmanager", JSONVersion: "1.1"}
	if n := modelprobe.Probe(t, tg, m, "ValidationException", probeCases...); n < 50 {
		t.Errorf("only %d constraints probed", n)
	}
}

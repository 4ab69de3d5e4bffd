package sns

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/ecprov/ecprov/emulator/internal/modelprobe"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel"
	"github.com/ecprov/ecprov/internal/apimodel/botocore"
)

// TestAPIModel keeps the embedded model equal to the AWS CLI's, for the
// actions served.
func TestAPIModel(t *testing.T) {
	botocore.CheckEmbedded(t, "sns", apiModel, "apimodel.json", New(Options{}).OperationNames())
}

const probeTopic = "arn:aws:sns:us-east-1:000000000000:probe"

var probeTags = []any{map[string]any{"Key": "k", "Value": "v"}}

// probeCases are valid requests of the actions whose members the model
// constrains beyond requiring them.
var probeCases = []modelprobe.Case{
	{Operation: "CreateTopic", Request: map[string]any{"Name": "probe", "Tags": probeTags,
		"Attributes": map[string]any{"DisplayName": "d"}}},
	{Operation: "TagResource", Request: map[string]any{"ResourceArn": probeTopic, "Tags": probeTags}},
	{Operation: "UntagResource", Request: map[string]any{"ResourceArn": probeTopic, "TagKeys": []any{"k"}}},
	{Operation: "ListTagsForResource", Request: map[string]any{"ResourceArn": probeTopic}},
}

// TestModelConstraints breaks every constraint the AWS CLI's model states
// on the actions served, one just past its bound at a time, and expects
// AWS's answer to a Query request that breaks one: ValidationError naming
// the member.
func TestModelConstraints(t *testing.T) {
	m := botocore.Require(t, "sns", "2010-03-31")
	svc := New(Options{})
	defer svc.Close()
	for _, op := range svc.OperationNames() {
		in, _ := m.Input(op)
		constrained := slices.ContainsFunc(in.Constraints(), func(c apimodel.Constraint) bool { return c.Kind != apimodel.Required })
		has := slices.ContainsFunc(probeCases, func(c modelprobe.Case) bool { return c.Operation == op })
		if constrained != has {
			t.Errorf("%s: constrained by the model %v, probed %v", op, constrained, has)
		}
	}
	ts := httptest.NewServer(server.New(nil, svc))
	defer ts.Close()
	tg := modelprobe.Target{Endpoint: ts.URL, SigningName: "sns", Protocol: modelprobe.Query, APIVersion: "2010-03-31"}
	if n := modelprobe.Probe(t, tg, m, "ValidationError", probeCases...); n < 10 {
		t.Errorf("only %d constraints probed", n)
	}
}

package elasticache

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/ecprov/ecprov/emulator/internal/modelprobe"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel"
	"github.com/ecprov/ecprov/internal/apimodel/botocore"
)

func newForModel(t *testing.T) *Service {
	t.Helper()
	s, err := New(Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestAPIModel keeps the embedded model equal to the AWS CLI's, for the
// actions served.
func TestAPIModel(t *testing.T) {
	botocore.CheckEmbedded(t, "elasticache", apiModel, "apimodel.json", newForModel(t).OperationNames())
}

var logDelivery = []any{map[string]any{"LogType": "slow-log", "DestinationType": "cloudwatch-logs", "LogFormat": "json",
	"DestinationDetails": map[string]any{"CloudWatchLogsDetails": map[string]any{"LogGroup": "g"}}, "Enabled": true}}

// probeCases are valid requests of the actions whose members the model
// constrains beyond requiring them (enums, NodeGroupId).
var probeCases = []modelprobe.Case{
	{Operation: "CreateReplicationGroup", Request: map[string]any{"ReplicationGroupId": "probe", "ReplicationGroupDescription": "d",
		"NodeGroupConfiguration": []any{map[string]any{"NodeGroupId": "0001"}}, "UserGroupIds": []any{"u"},
		"LogDeliveryConfigurations": logDelivery, "NetworkType": "ipv4", "IpDiscovery": "ipv4",
		"TransitEncryptionMode": "required", "ClusterMode": "disabled"}},
	{Operation: "ModifyReplicationGroup", Request: map[string]any{"ReplicationGroupId": "probe", "AuthTokenUpdateStrategy": "SET",
		"UserGroupIdsToAdd": []any{"u1"}, "UserGroupIdsToRemove": []any{"u2"},
		"LogDeliveryConfigurations": logDelivery, "IpDiscovery": "ipv4", "TransitEncryptionMode": "required", "ClusterMode": "disabled"}},
	{Operation: "TestFailover", Request: map[string]any{"ReplicationGroupId": "probe", "NodeGroupId": "0001"}},
	{Operation: "DescribeEvents", Request: map[string]any{"SourceType": "replication-group"}},
}

// TestModelConstraints breaks every constraint the AWS CLI's model states
// on the actions served, one just past its bound at a time, and expects
// ElastiCache's answer to bad input: InvalidParameterValue, naming the
// member as AWS's validation does.
func TestModelConstraints(t *testing.T) {
	m := botocore.Require(t, "elasticache", "2015-02-02")
	svc := newForModel(t)
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
	tg := modelprobe.Target{Endpoint: ts.URL, SigningName: "elasticache", Protocol: modelprobe.Query, APIVersion: "2015-02-02"}
	if n := modelprobe.Probe(t, tg, m, codeInvalidParameterValue, probeCases...); n < 15 {
		t.Errorf("only %d constraints probed", n)
	}
}

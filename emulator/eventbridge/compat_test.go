package eventbridge_test

// Compatibility with the AWS CLI, which is botocore rather than the Go SDK.

import (
	"strings"
	"testing"

	"github.com/ecprov/ecprov/emulator/eventbridge"
	"github.com/ecprov/ecprov/emulator/internal/awscli"
)

func TestAWSCLI(t *testing.T) {
	awscli.Require(t)
	_, svc, rec, url := newEmulator(t, eventbridge.Options{})
	cli := func(args ...string) (map[string]any, string, int) { return awscli.Run(t, url, args...) }

	out, stderr, code := cli("events", "put-rule", "--name", "failover", "--event-pattern", `{"source": ["ecprov.relay"]}`,
		"--description", "from the CLI")
	if code != 0 || out["RuleArn"] != "arn:aws:events:us-east-1:000000000000:rule/failover" {
		t.Fatalf("put-rule: exit %d, %v, %s", code, out, stderr)
	}
	out, stderr, code = cli("events", "put-targets", "--rule", "failover", "--targets",
		`[{"Id": "reconcile", "Arn": "`+smARN+`", "InputTransformer": {"InputPathsMap": {"group": "$.detail.group"}, "InputTemplate": "{\"group\": <group>}"}}]`)
	if code != 0 || out["FailedEntryCount"] != float64(0) {
		t.Fatalf("put-targets: exit %d, %v, %s", code, out, stderr)
	}
	out, stderr, code = cli("events", "put-events", "--entries",
		`[{"Source": "ecprov.relay", "DetailType": "ElastiCache Notification", "Detail": "{\"group\": \"audio-pipeline-dev\"}"},
		  {"Source": "ecprov.relay", "DetailType": "ElastiCache Notification", "Detail": "not json"}]`)
	if code != 0 {
		t.Fatalf("put-events: exit %d: %s", code, stderr)
	}
	entries, _ := out["Entries"].([]any)
	if out["FailedEntryCount"] != float64(1) || len(entries) != 2 {
		t.Fatalf("put-events output: %v", out)
	}
	first, _ := entries[0].(map[string]any)
	second, _ := entries[1].(map[string]any)
	if first["EventId"] == nil || second["ErrorCode"] != "MalformedDetail" {
		t.Errorf("put-events entries: %v", entries)
	}
	out, stderr, code = cli("events", "list-rules")
	rules, _ := out["Rules"].([]any)
	if code != 0 || len(rules) != 1 {
		t.Fatalf("list-rules: exit %d, %v, %s", code, out, stderr)
	}
	if r, _ := rules[0].(map[string]any); r["Name"] != "failover" || r["State"] != "ENABLED" || r["EventBusName"] != "default" || r["Description"] != "from the CLI" {
		t.Errorf("list-rules rule: %v", r)
	}
	out, _, code = cli("events", "list-targets-by-rule", "--rule", "failover")
	if targets, _ := out["Targets"].([]any); code != 0 || len(targets) != 1 {
		t.Errorf("list-targets-by-rule: exit %d, %v", code, out)
	}
	_, stderr, code = cli("events", "describe-rule", "--name", "nope")
	if code == 0 || !strings.Contains(stderr, "ResourceNotFoundException") || !strings.Contains(stderr, "Rule nope does not exist on EventBus default.") {
		t.Errorf("describe-rule of a missing rule: exit %d, %s", code, stderr)
	}
	_, stderr, code = cli("events", "put-rule", "--name", "bad", "--event-pattern", `{"source": "x"}`)
	if code == 0 || !strings.Contains(stderr, "InvalidEventPatternException") {
		t.Errorf("put-rule with a bad pattern: exit %d, %s", code, stderr)
	}

	drain(t, svc)
	calls := rec.callsTo(smARN)
	if len(calls) != 1 || string(calls[0].payload) != `{"group": "audio-pipeline-dev"}` {
		t.Errorf("state machine calls after the CLI's put-events: %v", calls)
	}
}

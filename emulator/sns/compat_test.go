package sns_test

// Compatibility with the AWS CLI, which is botocore rather than the Go SDK.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ecprov/ecprov/emulator/internal/awscli"
)

func TestAWSCLI(t *testing.T) {
	awscli.Require(t)
	_, svc, rec, url := newEmulator(t)
	cli := func(args ...string) (map[string]any, string, int) { return awscli.Run(t, url, args...) }

	out, stderr, code := cli("sns", "create-topic", "--name", "redis-events", "--attributes", "DisplayName=redis", "--tags", "Key=Project,Value=ecprov")
	arn, _ := out["TopicArn"].(string)
	if code != 0 || arn != "arn:aws:sns:us-east-1:000000000000:redis-events" {
		t.Fatalf("create-topic: exit %d, %v, %s", code, out, stderr)
	}
	out, stderr, code = cli("sns", "subscribe", "--topic-arn", arn, "--protocol", "lambda", "--notification-endpoint", relayFn)
	if sub, _ := out["SubscriptionArn"].(string); code != 0 || !strings.HasPrefix(sub, arn+":") {
		t.Fatalf("subscribe: exit %d, %v, %s", code, out, stderr)
	}
	out, stderr, code = cli("sns", "publish", "--topic-arn", arn, "--subject", "notice", "--message", `{"ElastiCache:FailoverComplete":"audio-pipeline-dev"}`,
		"--message-attributes", `{"source": {"DataType": "String", "StringValue": "cli"}}`)
	if id, _ := out["MessageId"].(string); code != 0 || len(id) != 36 {
		t.Fatalf("publish: exit %d, %v, %s", code, out, stderr)
	}
	out, stderr, code = cli("sns", "list-topics")
	topics, _ := out["Topics"].([]any)
	if code != 0 || len(topics) != 1 || topics[0].(map[string]any)["TopicArn"] != arn {
		t.Fatalf("list-topics: exit %d, %v, %s", code, out, stderr)
	}
	out, _, code = cli("sns", "get-topic-attributes", "--topic-arn", arn)
	if attrs, _ := out["Attributes"].(map[string]any); code != 0 || attrs["DisplayName"] != "redis" || attrs["SubscriptionsConfirmed"] != "1" {
		t.Errorf("get-topic-attributes: exit %d, %v", code, out)
	}
	out, _, code = cli("sns", "list-subscriptions-by-topic", "--topic-arn", arn)
	if subs, _ := out["Subscriptions"].([]any); code != 0 || len(subs) != 1 {
		t.Errorf("list-subscriptions-by-topic: exit %d, %v", code, out)
	}
	out, _, code = cli("sns", "list-tags-for-resource", "--resource-arn", arn)
	if tags, _ := out["Tags"].([]any); code != 0 || len(tags) != 1 {
		t.Errorf("list-tags-for-resource: exit %d, %v", code, out)
	}
	_, stderr, code = cli("sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:000000000000:nope", "--message", "m")
	if code == 0 || !strings.Contains(stderr, "NotFound") || !strings.Contains(stderr, "Topic does not exist") {
		t.Errorf("publish to a missing topic: exit %d, %s", code, stderr)
	}

	drain(t, svc)
	calls := rec.callsTo(relayFn)
	if len(calls) != 1 {
		t.Fatalf("relay invoked %d times, want 1", len(calls))
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(calls[0].payload, &ev); err != nil || ev.Records[0].SNS.Subject != "notice" ||
		ev.Records[0].SNS.Message != `{"ElastiCache:FailoverComplete":"audio-pipeline-dev"}` {
		t.Errorf("event after the CLI's publish = %s (%v)", calls[0].payload, err)
	}
	if _, _, code = cli("sns", "delete-topic", "--topic-arn", arn); code != 0 {
		t.Errorf("delete-topic: exit %d", code)
	}
}

package sns_test

// Compatibility with the AWS CLI, which is botocore rather than the Go SDK.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// awsCLI runs the AWS CLI against endpoint and returns its parsed JSON
// output (nil when it printed nothing), its stderr and exit code.
func awsCLI(t *testing.T, endpoint string, args ...string) (map[string]any, string, int) {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_SESSION_TOKEN=",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_MAX_ATTEMPTS=1", "AWS_PAGER=", "AWS_ENDPOINT_URL=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("aws %v: %v", args, err)
	}
	var out map[string]any
	if s := bytes.TrimSpace(stdout.Bytes()); len(s) > 0 {
		if err := json.Unmarshal(s, &out); err != nil {
			t.Fatalf("aws %v: output is not JSON: %v\n%s", args, err, s)
		}
	}
	return out, strings.TrimSpace(stderr.String()), code
}

func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	_, svc, rec, url := newEmulator(t)
	cli := func(args ...string) (map[string]any, string, int) { return awsCLI(t, url, args...) }

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

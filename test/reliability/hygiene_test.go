package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// After a provision, a failover and a teardown, no log line (the
// emulator's and every function's, at debug level), no execution history
// (with its data) and no event carries a secret value: the endpoint
// secret's full document, or the AWS secret access key of the functions or
// of the client.
func TestNoSecretValueLeaks(t *testing.T) {
	t.Parallel()
	l := hygiene // its own emulator: everything it logged is about this test
	ctx := context.Background()
	p, raw := profileFor(t, "rel-hygiene", nil)
	out := l.mustSucceed(t, "provision", p, raw)
	sm := secretsmanager.NewFromConfig(l.cfg)
	secretString := func() string {
		v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(p.SecretName)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(v.SecretString)
	}
	values := []string{secretString()}

	if _, err := elasticache.NewFromConfig(l.cfg).TestFailover(ctx, &elasticache.TestFailoverInput{ReplicationGroupId: aws.String(p.ReplicationGroupID), NodeGroupId: aws.String("0001")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the secret to name the new primary", 60*time.Second, func() bool {
		v := secretString()
		return v != values[0] && !strings.Contains(v, fmt.Sprintf("%q", out["currentPrimary"]))
	})
	values = append(values, secretString())
	l.waitIdle(t, "reconcile")
	l.mustSucceed(t, "teardown", p, raw)
	l.waitIdle(t, "reconcile")

	// Where a leak would show, and proof that each place was read.
	sources := map[string]string{"emulator and function logs": l.log.String()}
	for _, machine := range []string{"provision", "reconcile", "teardown"} {
		var b strings.Builder
		api := sfn.NewFromConfig(l.cfg)
		list, err := api.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(l.machineARN(t, machine)), MaxResults: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list.Executions {
			d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn})
			if err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(d)
			b.Write(data)
			data, _ = json.Marshal(l.history(t, aws.ToString(e.ExecutionArn)))
			b.Write(data)
		}
		sources[machine+" executions and histories"] = b.String()
	}
	var events strings.Builder
	for _, bus := range []string{"ecprov", "default"} {
		for _, e := range l.emu.EventBridge().Events(bus) {
			events.Write(e.JSON)
		}
	}
	sources["events on the buses"] = events.String()

	secretARN := fmt.Sprint(out["secretArn"])
	for name, text := range sources {
		// A source that does not even name the secret was not read.
		if !strings.Contains(text, secretARN) && !strings.Contains(text, p.SecretName) {
			t.Errorf("%s never mention the secret %s: the test is not reading them", name, p.SecretName)
		}
	}
	if !strings.Contains(sources["emulator and function logs"], `"msg":"function log"`) {
		t.Error("the log has no function lines: the functions' output is not captured")
	}

	secrets := map[string]string{"the function's AWS secret key": functionSecretKey, "the client's AWS secret key": clientSecretKey}
	for i, v := range values {
		secrets[fmt.Sprintf("endpoint secret version %d", i+1)] = v
		var doc struct{ UpdatedAt string }
		if err := json.Unmarshal([]byte(v), &doc); err != nil || doc.UpdatedAt == "" {
			t.Fatalf("secret value %q is not the endpoint document", v)
		}
		// The document's one field that appears nowhere else.
		secrets[fmt.Sprintf("endpoint secret version %d's updatedAt", i+1)] = fmt.Sprintf(`"updatedAt":%q`, doc.UpdatedAt)
	}
	// The search finds a value nested as a history event carries it.
	inner, _ := json.Marshal(map[string]string{"value": values[0]})
	outer, _ := json.Marshal(map[string]string{"input": string(inner)})
	if !containsAny(string(outer), encodings(values[0])) {
		t.Fatalf("encodings miss the value in %s", outer)
	}
	for what, secret := range secrets {
		for _, form := range encodings(secret) {
			for name, text := range sources {
				if i := strings.Index(text, form); i >= 0 {
					t.Errorf("%s carry %s: ...%s...", name, what, text[max(0, i-200):min(len(text), i+len(form)+50)])
				}
			}
		}
	}
}

// encodings are the ways a string shows inside logs and JSON documents:
// as is, escaped once (a JSON string value) and twice (JSON inside a JSON
// string, as in a history event's input).
func encodings(s string) []string {
	out := []string{s}
	for range 2 {
		q, _ := json.Marshal(s)
		s = string(q[1 : len(q)-1])
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// waitIdle waits until no execution of the state machine is running.
func (l *lane) waitIdle(t *testing.T, machine string) {
	t.Helper()
	api := sfn.NewFromConfig(l.cfg)
	arn := l.machineARN(t, machine)
	waitFor(t, machine+" executions to end", 60*time.Second, func() bool {
		out, err := api.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: "RUNNING"})
		return err == nil && len(out.Executions) == 0
	})
}

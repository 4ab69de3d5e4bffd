package emulator_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ecprov/ecprov/emulator"
	"github.com/ecprov/ecprov/internal/orchestration"
)

// TestDeploymentIsOrchestrations reads what the emulator deployed through
// the AWS APIs, as an operator would on AWS, and compares it with
// internal/orchestration: the functions, the state machines, every rule
// with its bus, target, input and retry policy, and the notice topic with
// its subscriptions and access policy.
func TestDeploymentIsOrchestrations(t *testing.T) {
	root, _ := filepath.Abs("..")
	for _, need := range []string{"dist/host/createcluster/bootstrap", "node_modules/aws-local-stepfunctions"} {
		if _, err := os.Stat(filepath.Join(root, need)); err != nil {
			t.Fatalf("run `make build-local` and `bash scripts/node-deps.sh` first (make test does): %v", err)
		}
	}
	e := start(t, emulator.Options{Orchestration: &emulator.Orchestration{Root: root}})
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.URL()), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	const prefix = "ecprov"

	functionARN := checkFunctions(t, awslambda.NewFromConfig(cfg), prefix)
	machines, err := sfn.NewFromConfig(cfg).ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil {
		t.Fatal(err)
	}
	machineARN := map[string]string{}
	for _, m := range machines.StateMachines {
		machineARN[aws.ToString(m.Name)] = aws.ToString(m.StateMachineArn)
	}
	if len(machineARN) != len(orchestration.StateMachines) {
		t.Errorf("state machines %v, want %d", machineARN, len(orchestration.StateMachines))
	}
	for _, sm := range orchestration.StateMachines {
		if machineARN[orchestration.StateMachineName(prefix, sm.Name)] == "" {
			t.Errorf("state machine %s is not deployed", sm.Name)
		}
	}
	checkRules(t, eventbridge.NewFromConfig(cfg), prefix, func(sm string) string { return machineARN[orchestration.StateMachineName(prefix, sm)] })
	checkNoticeTopic(t, sns.NewFromConfig(cfg), prefix, functionARN)
}

// checkFunctions compares each deployed function with its definition and
// returns the functions' ARNs by orchestration name.
func checkFunctions(t *testing.T, api *awslambda.Client, prefix string) map[string]string {
	t.Helper()
	arns := map[string]string{}
	for _, f := range orchestration.Functions {
		out, err := api.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String(orchestration.FunctionName(prefix, f.Name))})
		if err != nil {
			t.Errorf("function %s: %v", f.Name, err)
			continue
		}
		arns[f.Name] = aws.ToString(out.FunctionArn)
		if int(aws.ToInt32(out.MemorySize)) != f.MemoryMB || int(aws.ToInt32(out.Timeout)) != int(f.Timeout.Seconds()) {
			t.Errorf("function %s: %d MB, %d s; want %d MB, %v", f.Name, aws.ToInt32(out.MemorySize), aws.ToInt32(out.Timeout), f.MemoryMB, f.Timeout)
		}
		var bus string
		if out.Environment != nil {
			bus = out.Environment.Variables[orchestration.EventBusEnv]
		}
		if want := map[bool]string{true: orchestration.BusName(prefix)}[f.NeedsBus]; bus != want {
			t.Errorf("function %s: %s=%q, want %q", f.Name, orchestration.EventBusEnv, bus, want)
		}
	}
	return arns
}

func checkRules(t *testing.T, eb *eventbridge.Client, prefix string, machineARN func(string) string) {
	t.Helper()
	onBus := map[string][]string{"default": nil, orchestration.BusName(prefix): nil}
	for bus := range onBus {
		out, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String(bus)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Rules {
			onBus[bus] = append(onBus[bus], aws.ToString(r.Name))
		}
	}
	want := map[string][]string{"default": nil, orchestration.BusName(prefix): nil}
	for _, r := range orchestration.Rules {
		bus := map[bool]string{true: "default", false: orchestration.BusName(prefix)}[r.OnDefaultBus]
		want[bus] = append(want[bus], r.Name(prefix))
		checkRule(t, eb, r, r.Name(prefix), bus, machineARN(r.Target.StateMachine))
	}
	for bus := range want {
		if !slices.Equal(slices.Sorted(slices.Values(onBus[bus])), slices.Sorted(slices.Values(want[bus]))) {
			t.Errorf("bus %s has rules %v, want %v", bus, onBus[bus], want[bus])
		}
	}
}

func checkRule(t *testing.T, eb *eventbridge.Client, r orchestration.Rule, name, bus, machineARN string) {
	t.Helper()
	d, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name), EventBusName: aws.String(bus)})
	if err != nil {
		t.Errorf("rule %s on %s: %v", name, bus, err)
		return
	}
	if aws.ToString(d.ScheduleExpression) != r.Schedule || string(d.State) != "ENABLED" || aws.ToString(d.Description) != r.Description {
		t.Errorf("rule %s: schedule %q, state %s, description %q", name, aws.ToString(d.ScheduleExpression), d.State, aws.ToString(d.Description))
	}
	if !sameJSON(aws.ToString(d.EventPattern), r.PatternJSON()) {
		t.Errorf("rule %s: pattern %s, want %s", name, aws.ToString(d.EventPattern), r.PatternJSON())
	}
	targets, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name), EventBusName: aws.String(bus)})
	if err != nil || len(targets.Targets) != 1 {
		t.Errorf("targets of %s: %v %+v", name, err, targets)
		return
	}
	got, tg := targets.Targets[0], r.Target
	var retry orchestration.RetryPolicy
	if got.RetryPolicy != nil {
		retry = orchestration.RetryPolicy{MaximumRetryAttempts: int(aws.ToInt32(got.RetryPolicy.MaximumRetryAttempts)), MaximumEventAgeInSeconds: int(aws.ToInt32(got.RetryPolicy.MaximumEventAgeInSeconds))}
	}
	if aws.ToString(got.Id) != tg.ID || aws.ToString(got.Arn) != machineARN || retry != tg.Retry || aws.ToString(got.Input) != tg.ConstantInput {
		t.Errorf("target of %s: id %s, arn %s, retry %+v, input %q; want %+v to %s", name, aws.ToString(got.Id), aws.ToString(got.Arn), retry, aws.ToString(got.Input), tg, machineARN)
	}
	var paths map[string]string
	var template string
	if got.InputTransformer != nil {
		paths, template = got.InputTransformer.InputPathsMap, aws.ToString(got.InputTransformer.InputTemplate)
	}
	if !reflect.DeepEqual(paths, tg.InputPaths) || template != tg.InputTemplate {
		t.Errorf("target of %s: input transformer %v %q, want %v %q", name, paths, template, tg.InputPaths, tg.InputTemplate)
	}
}

func checkNoticeTopic(t *testing.T, api *sns.Client, prefix string, functionARN map[string]string) {
	t.Helper()
	topicARN := fmt.Sprintf("arn:aws:sns:us-east-1:%s:%s", emulator.AccountID, orchestration.TopicName(prefix))
	attrs, err := api.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)})
	if err != nil {
		t.Fatalf("notice topic: %v", err)
	}
	if attrs.Attributes["DisplayName"] != orchestration.NoticeTopic.DisplayName {
		t.Errorf("notice topic display name %q", attrs.Attributes["DisplayName"])
	}
	var doc struct {
		Statement []struct {
			Effect    string
			Principal struct{ Service string }
			Action    []string
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(attrs.Attributes["Policy"]), &doc); err != nil || len(doc.Statement) != len(orchestration.NoticeTopic.Policy) {
		t.Fatalf("notice topic policy %s: %v", attrs.Attributes["Policy"], err)
	}
	env := orchestration.Env{Partition: "aws", Region: "us-east-1", AccountID: emulator.AccountID, TopicARN: topicARN}
	policy, err := env.ExpandAll(orchestration.NoticeTopic.Policy)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range policy {
		got := doc.Statement[i]
		if got.Effect != "Allow" || got.Principal.Service != want.Principal.Service || !slices.Equal(got.Action, want.Actions) ||
			!slices.Equal(got.Resource, want.Resources) || !reflect.DeepEqual(got.Condition, want.Conditions) {
			t.Errorf("notice topic policy statement %d = %+v, want %+v", i, got, want)
		}
	}
	subs, err := api.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	if err != nil {
		t.Fatal(err)
	}
	var have, wantSubs []string
	for _, s := range subs.Subscriptions {
		have = append(have, aws.ToString(s.Protocol)+" "+aws.ToString(s.Endpoint))
	}
	for _, fn := range orchestration.NoticeTopic.Subscribers {
		wantSubs = append(wantSubs, "lambda "+functionARN[fn])
	}
	if !slices.Equal(slices.Sorted(slices.Values(have)), slices.Sorted(slices.Values(wantSubs))) {
		t.Errorf("notice topic subscriptions %v, want %v", have, wantSubs)
	}
}

func sameJSON(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

package eventbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/ecprov/ecprov/emulator/eventbridge"
	"github.com/ecprov/ecprov/emulator/server"
)

var ctx = context.Background()

const (
	fnARN = "arn:aws:lambda:us-east-1:000000000000:function:relay"
	smARN = "arn:aws:states:us-east-1:000000000000:stateMachine:reconcile"
)

// call is one invocation the fake Invoker received.
type call struct {
	kind, arn string
	payload   []byte
}

// recorder is the test's Invoker: it records calls and fails the first
// failures[arn] calls to an ARN with err (a plain error when nil).
type recorder struct {
	mu       sync.Mutex
	calls    []call
	failures map[string]int
	err      error
}

func (r *recorder) InvokeLambda(_ context.Context, arn string, payload []byte) error {
	return r.record("lambda", arn, payload)
}

func (r *recorder) StartExecution(_ context.Context, arn string, input []byte) error {
	return r.record("states", arn, input)
}

func (r *recorder) record(kind, arn string, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{kind, arn, slices.Clone(payload)})
	if r.failures[arn] > 0 {
		r.failures[arn]--
		if r.err != nil {
			return r.err
		}
		return errors.New("function error: boom")
	}
	return nil
}

func (r *recorder) callsTo(arn string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if c.arn == arn {
			out = append(out, c)
		}
	}
	return out
}

// newEmulator starts an EventBridge emulator behind the real router and
// returns the real SDK client pointed at it.
func newEmulator(t *testing.T, opts eventbridge.Options) (*eb.Client, *eventbridge.Service, *recorder, string) {
	t.Helper()
	rec := &recorder{failures: map[string]int{}}
	if opts.Invoker == nil {
		opts.Invoker = rec
	}
	if opts.RetryBackoff == 0 {
		opts.RetryBackoff = time.Millisecond
	}
	svc := eventbridge.New(opts)
	ts := httptest.NewServer(server.New(nil, svc))
	t.Cleanup(func() {
		ts.Close()
		_ = svc.Close()
	})
	client := eb.New(eb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	return client, svc, rec, ts.URL
}

func drain(t *testing.T, svc *eventbridge.Service) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := svc.Drain(c); err != nil {
		t.Fatalf("deliveries did not finish: %v", err)
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestEventBusLifecycle(t *testing.T) {
	c, _, _, _ := newEmulator(t, eventbridge.Options{})

	created, err := c.CreateEventBus(ctx, &eb.CreateEventBusInput{Name: aws.String("audio-pipeline"), Description: aws.String("ecprov events")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(created.EventBusArn), "arn:aws:events:us-east-1:000000000000:event-bus/audio-pipeline"; got != want {
		t.Errorf("EventBusArn = %q, want %q", got, want)
	}
	d, err := c.DescribeEventBus(ctx, &eb.DescribeEventBusInput{Name: created.EventBusArn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.Name) != "audio-pipeline" || aws.ToString(d.Description) != "ecprov events" || d.CreationTime == nil || time.Since(*d.CreationTime) > time.Minute {
		t.Errorf("DescribeEventBus = %+v", d)
	}
	def, err := c.DescribeEventBus(ctx, &eb.DescribeEventBusInput{})
	if err != nil || aws.ToString(def.Name) != "default" {
		t.Errorf("DescribeEventBus(default) = %v, %v", def, err)
	}

	list, err := c.ListEventBuses(ctx, &eb.ListEventBusesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range list.EventBuses {
		names = append(names, aws.ToString(b.Name))
	}
	if !slices.Equal(names, []string{"audio-pipeline", "default"}) {
		t.Errorf("ListEventBuses names = %v", names)
	}
	list, _ = c.ListEventBuses(ctx, &eb.ListEventBusesInput{NamePrefix: aws.String("audio")})
	if len(list.EventBuses) != 1 {
		t.Errorf("ListEventBuses(NamePrefix audio) = %d buses, want 1", len(list.EventBuses))
	}

	_, err = c.CreateEventBus(ctx, &eb.CreateEventBusInput{Name: aws.String("audio-pipeline")})
	var exists *types.ResourceAlreadyExistsException
	if !errors.As(err, &exists) || exists.ErrorMessage() != "Event bus audio-pipeline already exists." {
		t.Errorf("CreateEventBus twice: %v", err)
	}
	_, err = c.DeleteEventBus(ctx, &eb.DeleteEventBusInput{Name: aws.String("default")})
	if errorCode(err) != "ValidationException" || !strings.Contains(err.Error(), "Cannot delete event bus default.") {
		t.Errorf("DeleteEventBus(default): %v", err)
	}
	if _, err := c.DeleteEventBus(ctx, &eb.DeleteEventBusInput{Name: aws.String("audio-pipeline")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeEventBus(ctx, &eb.DescribeEventBusInput{Name: aws.String("audio-pipeline")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Event bus audio-pipeline does not exist." {
		t.Errorf("DescribeEventBus after delete: %v", err)
	}
	_, err = c.DeleteEventBus(ctx, &eb.DeleteEventBusInput{Name: aws.String("audio-pipeline")})
	if !errors.As(err, &nf) {
		t.Errorf("DeleteEventBus of a missing bus: %v, want ResourceNotFoundException", err)
	}
}

func TestRuleLifecycle(t *testing.T) {
	c, _, _, _ := newEmulator(t, eventbridge.Options{})
	if _, err := c.CreateEventBus(ctx, &eb.CreateEventBusInput{Name: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	pattern := `{"source": ["ecprov.relay"], "detail-type": ["ElastiCache Notification"]}`
	out, err := c.PutRule(ctx, &eb.PutRuleInput{Name: aws.String("failover"), EventBusName: aws.String("ops"), EventPattern: aws.String(pattern), Description: aws.String("reconcile on failover")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.RuleArn), "arn:aws:events:us-east-1:000000000000:rule/ops/failover"; got != want {
		t.Errorf("RuleArn = %q, want %q", got, want)
	}
	def, err := c.PutRule(ctx, &eb.PutRuleInput{Name: aws.String("periodic"), ScheduleExpression: aws.String("rate(5 minutes)")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(def.RuleArn), "arn:aws:events:us-east-1:000000000000:rule/periodic"; got != want {
		t.Errorf("RuleArn on the default bus = %q, want %q", got, want)
	}

	d, err := c.DescribeRule(ctx, &eb.DescribeRuleInput{Name: aws.String("failover"), EventBusName: aws.String("arn:aws:events:us-east-1:000000000000:event-bus/ops")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.EventPattern) != pattern || d.State != types.RuleStateEnabled || aws.ToString(d.EventBusName) != "ops" ||
		aws.ToString(d.Description) != "reconcile on failover" || aws.ToString(d.CreatedBy) != "000000000000" {
		t.Errorf("DescribeRule = %+v", d)
	}

	for _, tt := range []struct {
		in   eb.ListRulesInput
		want []string
	}{
		{eb.ListRulesInput{}, []string{"periodic"}},
		{eb.ListRulesInput{EventBusName: aws.String("ops")}, []string{"failover"}},
		{eb.ListRulesInput{EventBusName: aws.String("ops"), NamePrefix: aws.String("fail")}, []string{"failover"}},
		{eb.ListRulesInput{EventBusName: aws.String("ops"), NamePrefix: aws.String("x")}, nil},
	} {
		l, err := c.ListRules(ctx, &tt.in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range l.Rules {
			got = append(got, aws.ToString(r.Name))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListRules(%+v) = %v, want %v", tt.in, got, tt.want)
		}
	}

	if _, err := c.DisableRule(ctx, &eb.DisableRuleInput{Name: aws.String("failover"), EventBusName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeRule(ctx, &eb.DescribeRuleInput{Name: aws.String("failover"), EventBusName: aws.String("ops")})
	if d.State != types.RuleStateDisabled {
		t.Errorf("State after DisableRule = %s", d.State)
	}
	if _, err := c.EnableRule(ctx, &eb.EnableRuleInput{Name: aws.String("failover"), EventBusName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}

	if _, err := c.PutTargets(ctx, &eb.PutTargetsInput{Rule: aws.String("failover"), EventBusName: aws.String("ops"),
		Targets: []types.Target{{Id: aws.String("reconcile"), Arn: aws.String(smARN)}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteRule(ctx, &eb.DeleteRuleInput{Name: aws.String("failover"), EventBusName: aws.String("ops")})
	if errorCode(err) != "ValidationException" || !strings.Contains(err.Error(), "Rule can't be deleted since it has targets.") {
		t.Errorf("DeleteRule with targets: %v", err)
	}
	if _, err := c.RemoveTargets(ctx, &eb.RemoveTargetsInput{Rule: aws.String("failover"), EventBusName: aws.String("ops"), Ids: []string{"reconcile"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRule(ctx, &eb.DeleteRuleInput{Name: aws.String("failover"), EventBusName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeRule(ctx, &eb.DescribeRuleInput{Name: aws.String("failover"), EventBusName: aws.String("ops")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Rule failover does not exist on EventBus ops." {
		t.Errorf("DescribeRule after delete: %v", err)
	}
	if _, err := c.DeleteRule(ctx, &eb.DeleteRuleInput{Name: aws.String("failover"), EventBusName: aws.String("ops")}); err != nil {
		t.Errorf("DeleteRule of a missing rule: %v, want success as on AWS", err)
	}
	_, err = c.EnableRule(ctx, &eb.EnableRuleInput{Name: aws.String("nope")})
	if !errors.As(err, &nf) {
		t.Errorf("EnableRule of a missing rule: %v", err)
	}
	_, err = c.PutRule(ctx, &eb.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("nope"), EventPattern: aws.String(pattern)})
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Event bus nope does not exist." {
		t.Errorf("PutRule on a missing bus: %v", err)
	}
}

func TestPutRuleRejects(t *testing.T) {
	c, _, _, _ := newEmulator(t, eventbridge.Options{})
	if _, err := c.CreateEventBus(ctx, &eb.CreateEventBusInput{Name: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		in       eb.PutRuleInput
		code     string
		contains string
	}{
		{"pattern not an object", eb.PutRuleInput{EventPattern: aws.String(`["aws.ec2"]`)}, "InvalidEventPatternException", "Event pattern is not valid. Reason: Filter is not an object"},
		{"pattern value not an array", eb.PutRuleInput{EventPattern: aws.String(`{"source": "aws.ec2"}`)}, "InvalidEventPatternException", `Reason: "source" must be an object or an array`},
		{"unknown match type", eb.PutRuleInput{EventPattern: aws.String(`{"source": [{"contains": "ec2"}]}`)}, "InvalidEventPatternException", "Reason: Unrecognized match type contains"},
		{"neither pattern nor schedule", eb.PutRuleInput{}, "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified."},
		{"schedule on a custom bus", eb.PutRuleInput{EventBusName: aws.String("ops"), ScheduleExpression: aws.String("rate(1 minute)")}, "ValidationException", "ScheduleExpression is supported only on the default event bus."},
		{"rate with a plural unit for 1", eb.PutRuleInput{ScheduleExpression: aws.String("rate(1 minutes)")}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"rate with a singular unit for 5", eb.PutRuleInput{ScheduleExpression: aws.String("rate(5 hour)")}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"rate of 0", eb.PutRuleInput{ScheduleExpression: aws.String("rate(0 minutes)")}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"rate in seconds", eb.PutRuleInput{ScheduleExpression: aws.String("rate(30 seconds)")}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"cron with both day fields", eb.PutRuleInput{ScheduleExpression: aws.String("cron(0 1 * * * *)")}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"cron with a bad minute", eb.PutRuleInput{ScheduleExpression: aws.String("cron(71 8 1 * ? *)")}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"cron with a bad day name", eb.PutRuleInput{ScheduleExpression: aws.String("cron(7 20 * * NOT *)")}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"cron with five fields", eb.PutRuleInput{ScheduleExpression: aws.String("cron(0 12 * * ?)")}, "ValidationException", "Parameter ScheduleExpression is not valid."},
		{"bad state", eb.PutRuleInput{EventPattern: aws.String(`{"source": ["x"]}`), State: "PAUSED"}, "ValidationException", "at 'state' failed to satisfy constraint: Member must satisfy enum value set"},
		{"bad name", eb.PutRuleInput{Name: aws.String("no spaces allowed"), EventPattern: aws.String(`{"source": ["x"]}`)}, "ValidationException", "1 validation error detected: Value 'no spaces allowed' at 'name' failed to satisfy constraint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.Name == nil {
				in.Name = aws.String("r1")
			}
			_, err := c.PutRule(ctx, &in)
			if errorCode(err) != tt.code || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("PutRule: %v; want %s containing %q", err, tt.code, tt.contains)
			}
			if tt.code == "InvalidEventPatternException" {
				var iep *types.InvalidEventPatternException
				if !errors.As(err, &iep) {
					t.Errorf("error is %T, want *types.InvalidEventPatternException", err)
				}
			}
		})
	}
	for _, expr := range []string{"rate(1 minute)", "rate(2 hours)", "rate(1 day)", "cron(0 10 * * ? *)", "cron(0/15 * * * ? *)",
		"cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)", "cron(15 10 ? * 6L 2002-2005)", "cron(0 2 ? * SAT#3 *)", "cron(0/5 5 ? JAN 1-5 2022)", "cron(5,35 14 * * ? *)"} {
		if _, err := c.PutRule(ctx, &eb.PutRuleInput{Name: aws.String("sched"), ScheduleExpression: aws.String(expr), State: types.RuleStateDisabled}); err != nil {
			t.Errorf("PutRule(%s): %v", expr, err)
		}
	}
}

func TestPutEventsDeliversToTargets(t *testing.T) {
	c, svc, rec, _ := newEmulator(t, eventbridge.Options{})
	if _, err := c.CreateEventBus(ctx, &eb.CreateEventBusInput{Name: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRule(ctx, &eb.PutRuleInput{Name: aws.String("failover"), EventBusName: aws.String("ops"),
		EventPattern: aws.String(`{"source": ["ecprov.relay"], "detail": {"event": [{"prefix": "ElastiCache:Failover"}]}}`)}); err != nil {
		t.Fatal(err)
	}
	const (
		rawFn       = "arn:aws:lambda:us-east-1:000000000000:function:raw"
		pathFn      = "arn:aws:lambda:us-east-1:000000000000:function:path"
		constFn     = "arn:aws:lambda:us-east-1:000000000000:function:const:live"
		template    = `{"group": <group>, "summary": "failover of <group> (<node>) by <aws.events.rule-name>", "node": <node>, "original": <aws.events.event.json>}`
		constantIn  = `{"mode": "full"}`
		ruleARN     = "arn:aws:events:us-east-1:000000000000:rule/ops/failover"
		failoverDtl = `{"event": "ElastiCache:FailoverComplete", "group": "audio-pipeline-dev", "node": "audio-pipeline-dev-002"}`
	)
	put, err := c.PutTargets(ctx, &eb.PutTargetsInput{Rule: aws.String("failover"), EventBusName: aws.String("ops"), Targets: []types.Target{
		{Id: aws.String("raw"), Arn: aws.String(rawFn)},
		{Id: aws.String("reconcile"), Arn: aws.String(smARN), RoleArn: aws.String("arn:aws:iam::000000000000:role/events"),
			InputTransformer: &types.InputTransformer{
				InputPathsMap: map[string]string{"group": "$.detail.group", "node": "$.detail.node"},
				InputTemplate: aws.String(template),
			},
			RetryPolicy:      &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(4), MaximumEventAgeInSeconds: aws.Int32(3600)},
			DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:dlq")}},
		{Id: aws.String("path"), Arn: aws.String(pathFn), InputPath: aws.String("$.detail")},
		{Id: aws.String("const"), Arn: aws.String(constFn), Input: aws.String(constantIn)},
	}})
	if err != nil || put.FailedEntryCount != 0 {
		t.Fatalf("PutTargets = %+v, %v", put, err)
	}
	lt, err := c.ListTargetsByRule(ctx, &eb.ListTargetsByRuleInput{Rule: aws.String("failover"), EventBusName: aws.String("ops")})
	if err != nil || len(lt.Targets) != 4 {
		t.Fatalf("ListTargetsByRule = %+v, %v", lt, err)
	}
	reconcile := lt.Targets[1]
	if aws.ToString(reconcile.InputTransformer.InputTemplate) != template || reconcile.InputTransformer.InputPathsMap["node"] != "$.detail.node" ||
		aws.ToInt32(reconcile.RetryPolicy.MaximumRetryAttempts) != 4 || aws.ToString(reconcile.DeadLetterConfig.Arn) != "arn:aws:sqs:us-east-1:000000000000:dlq" ||
		aws.ToString(reconcile.RoleArn) != "arn:aws:iam::000000000000:role/events" {
		t.Errorf("stored target = %+v", reconcile)
	}

	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	out, err := c.PutEvents(ctx, &eb.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{EventBusName: aws.String("ops"), Source: aws.String("ecprov.relay"), DetailType: aws.String("ElastiCache Notification"),
			Detail: aws.String(failoverDtl), Resources: []string{"arn:aws:elasticache:us-east-1:000000000000:replicationgroup:audio-pipeline-dev"}, Time: &when},
		{EventBusName: aws.String("ops"), Source: aws.String("ecprov.relay"), DetailType: aws.String("ElastiCache Notification"),
			Detail: aws.String(`{"event": "ElastiCache:SnapshotComplete"}`)},
		{EventBusName: aws.String("ops"), Source: aws.String("ecprov.relay"), DetailType: aws.String("x")},
		{EventBusName: aws.String("ops"), Source: aws.String("ecprov.relay"), DetailType: aws.String("x"), Detail: aws.String(`["not", "an", "object"]`)},
		{EventBusName: aws.String("ops"), DetailType: aws.String("x"), Detail: aws.String(`{}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 3 {
		t.Errorf("FailedEntryCount = %d, want 3", out.FailedEntryCount)
	}
	wantErrors := []struct{ code, msg string }{
		{"", ""}, {"", ""},
		{"InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."},
		{"MalformedDetail", "Detail is malformed."},
		{"InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."},
	}
	for i, w := range wantErrors {
		e := out.Entries[i]
		if aws.ToString(e.ErrorCode) != w.code || aws.ToString(e.ErrorMessage) != w.msg || (w.code == "") != (aws.ToString(e.EventId) != "") {
			t.Errorf("entry %d = {EventId %q ErrorCode %q ErrorMessage %q}, want code %q message %q", i,
				aws.ToString(e.EventId), aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage), w.code, w.msg)
		}
	}
	eventID := aws.ToString(out.Entries[0].EventId)
	drain(t, svc)

	// The raw target gets the whole event, in AWS's envelope.
	raw := rec.callsTo(rawFn)
	if len(raw) != 1 || raw[0].kind != "lambda" {
		t.Fatalf("calls to %s = %v, want one Lambda invocation", rawFn, raw)
	}
	var env map[string]any
	if err := json.Unmarshal(raw[0].payload, &env); err != nil {
		t.Fatal(err)
	}
	wantEnv := map[string]any{
		"version": "0", "id": eventID, "detail-type": "ElastiCache Notification", "source": "ecprov.relay",
		"account": "000000000000", "time": "2026-03-01T12:00:00Z", "region": "us-east-1",
		"resources": []any{"arn:aws:elasticache:us-east-1:000000000000:replicationgroup:audio-pipeline-dev"},
		"detail":    map[string]any{"event": "ElastiCache:FailoverComplete", "group": "audio-pipeline-dev", "node": "audio-pipeline-dev-002"},
	}
	if fmt.Sprint(env) != fmt.Sprint(wantEnv) {
		t.Errorf("raw event = %v\nwant %v", env, wantEnv)
	}
	if !strings.HasPrefix(string(raw[0].payload), `{"version":"0","id":`) {
		t.Errorf("envelope field order differs from AWS's: %s", raw[0].payload)
	}

	// The state machine gets the transformed input.
	sm := rec.callsTo(smARN)
	if len(sm) != 1 || sm[0].kind != "states" {
		t.Fatalf("calls to the state machine = %v", sm)
	}
	var transformed struct {
		Group, Summary, Node string
		Original             map[string]any
	}
	if err := json.Unmarshal(sm[0].payload, &transformed); err != nil {
		t.Fatalf("transformed input %s: %v", sm[0].payload, err)
	}
	if transformed.Group != "audio-pipeline-dev" || transformed.Node != "audio-pipeline-dev-002" ||
		transformed.Summary != "failover of audio-pipeline-dev (audio-pipeline-dev-002) by failover" ||
		transformed.Original["id"] != eventID || transformed.Original["detail"] == nil {
		t.Errorf("transformed input = %s", sm[0].payload)
	}

	if p := rec.callsTo(pathFn); len(p) != 1 || string(p[0].payload) != `{"event":"ElastiCache:FailoverComplete","group":"audio-pipeline-dev","node":"audio-pipeline-dev-002"}` {
		t.Errorf("InputPath target got %v", p)
	}
	if p := rec.callsTo(constFn); len(p) != 1 || string(p[0].payload) != constantIn {
		t.Errorf("Input target got %v", p)
	}

	// Deliveries record each target, and the bus log has both accepted
	// events (the SnapshotComplete one matched no rule).
	ds := svc.Deliveries()
	if len(ds) != 4 {
		t.Fatalf("Deliveries = %d, want 4", len(ds))
	}
	for _, d := range ds {
		if !d.Succeeded || d.Attempts != 1 || d.EventID != eventID || d.RuleARN != ruleARN || d.DeadLetterARN != "" {
			t.Errorf("delivery = %+v", d)
		}
	}
	evs := svc.Events("ops")
	if len(evs) != 2 || evs[0].ID != eventID || evs[1].DetailType != "ElastiCache Notification" {
		t.Errorf("Events(ops) = %+v", evs)
	}
	if got := svc.Events("arn:aws:events:us-east-1:000000000000:event-bus/ops"); len(got) != 2 {
		t.Errorf("Events by ARN = %d events", len(got))
	}
}

func TestDisabledRuleDoesNotDeliver(t *testing.T) {
	c, svc, rec, _ := newEmulator(t, eventbridge.Options{})
	mustPutRule(t, c, "r", `{"source": ["s"]}`, fnARN)
	if _, err := c.DisableRule(ctx, &eb.DisableRuleInput{Name: aws.String("r")}); err != nil {
		t.Fatal(err)
	}
	putOne(t, c, "", "s", `{}`)
	drain(t, svc)
	if n := len(rec.callsTo(fnARN)); n != 0 {
		t.Errorf("disabled rule delivered %d times", n)
	}
	if _, err := c.EnableRule(ctx, &eb.EnableRuleInput{Name: aws.String("r")}); err != nil {
		t.Fatal(err)
	}
	putOne(t, c, "", "s", `{}`)
	drain(t, svc)
	if n := len(rec.callsTo(fnARN)); n != 1 {
		t.Errorf("enabled rule delivered %d times, want 1", n)
	}
}

func mustPutRule(t *testing.T, c *eb.Client, name, pattern, targetARN string, targets ...types.Target) {
	t.Helper()
	if _, err := c.PutRule(ctx, &eb.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if targets == nil {
		targets = []types.Target{{Id: aws.String("t"), Arn: aws.String(targetARN)}}
	}
	if _, err := c.PutTargets(ctx, &eb.PutTargetsInput{Rule: aws.String(name), Targets: targets}); err != nil {
		t.Fatal(err)
	}
}

func putOne(t *testing.T, c *eb.Client, bus, source, detail string) string {
	t.Helper()
	e := types.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String("test"), Detail: aws.String(detail)}
	if bus != "" { // "" is the default bus; AWS refuses an empty EventBusName (min length 1)
		e.EventBusName = aws.String(bus)
	}
	out, err := c.PutEvents(ctx, &eb.PutEventsInput{Entries: []types.PutEventsRequestEntry{e}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents = %+v, %v", out, err)
	}
	return aws.ToString(out.Entries[0].EventId)
}

func TestDeliveryRetries(t *testing.T) {
	const (
		flaky     = "arn:aws:lambda:us-east-1:000000000000:function:flaky"
		noRetries = "arn:aws:lambda:us-east-1:000000000000:function:no-retries"
		missing   = "arn:aws:lambda:us-east-1:000000000000:function:missing"
		sqsQueue  = "arn:aws:sqs:us-east-1:000000000000:queue"
	)
	c, svc, rec, _ := newEmulator(t, eventbridge.Options{})
	rec.failures[flaky] = 2     // succeeds on the third attempt (default: 2 retries)
	rec.failures[noRetries] = 5 // MaximumRetryAttempts 0: one attempt
	mustPutRule(t, c, "r", `{"source": ["s"]}`, "", []types.Target{
		{Id: aws.String("flaky"), Arn: aws.String(flaky)},
		{Id: aws.String("no-retries"), Arn: aws.String(noRetries), RetryPolicy: &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(0)},
			DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:dlq")}},
		{Id: aws.String("sqs"), Arn: aws.String(sqsQueue)},
	}...)
	putOne(t, c, "", "s", `{}`)
	drain(t, svc)

	byTarget := map[string]eventbridge.Delivery{}
	for _, d := range svc.Deliveries() {
		byTarget[d.TargetID] = d
	}
	tests := []struct {
		id        string
		attempts  int
		succeeded bool
		dlq       string
	}{
		{"flaky", 3, true, ""},
		{"no-retries", 1, false, "arn:aws:sqs:us-east-1:000000000000:dlq"},
		{"sqs", 1, false, ""}, // not a target kind the emulator can reach: permanent
	}
	for _, tt := range tests {
		d, ok := byTarget[tt.id]
		if !ok {
			t.Errorf("no delivery for %s", tt.id)
			continue
		}
		if d.Attempts != tt.attempts || d.Succeeded != tt.succeeded || d.DeadLetterARN != tt.dlq || len(d.Errors) != d.Attempts-boolInt(d.Succeeded) {
			t.Errorf("%s: delivery = %+v, want %d attempts, succeeded %v, DLQ %q", tt.id, d, tt.attempts, tt.succeeded, tt.dlq)
		}
	}
	if n := len(rec.callsTo(flaky)); n != 3 {
		t.Errorf("flaky target invoked %d times, want 3", n)
	}

	// A permanent error is not retried.
	rec.mu.Lock()
	rec.failures[missing] = 10
	rec.err = eventbridge.Permanent(errors.New("ResourceNotFoundException: Function not found"))
	rec.mu.Unlock()
	mustPutRule(t, c, "r2", `{"source": ["p"]}`, missing)
	putOne(t, c, "", "p", `{}`)
	drain(t, svc)
	if n := len(rec.callsTo(missing)); n != 1 {
		t.Errorf("target with a permanent error invoked %d times, want 1", n)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestScheduledRuleFires(t *testing.T) {
	// rate(1 minute) at scale 0.001 fires every 60 ms.
	c, svc, rec, _ := newEmulator(t, eventbridge.Options{ScheduleScale: 0.001})
	out, err := c.PutRule(ctx, &eb.PutRuleInput{Name: aws.String("reconcile-all"), ScheduleExpression: aws.String("rate(1 minute)")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eb.PutTargetsInput{Rule: aws.String("reconcile-all"), Targets: []types.Target{{Id: aws.String("sm"), Arn: aws.String(smARN)}}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.callsTo(smARN)) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	calls := rec.callsTo(smARN)
	if len(calls) < 3 {
		t.Fatalf("scheduled rule fired %d times in 5 s, want at least 3", len(calls))
	}
	var first, second map[string]any
	_ = json.Unmarshal(calls[0].payload, &first)
	_ = json.Unmarshal(calls[1].payload, &second)
	if first["source"] != "aws.events" || first["detail-type"] != "Scheduled Event" || fmt.Sprint(first["detail"]) != "map[]" ||
		fmt.Sprint(first["resources"]) != "["+aws.ToString(out.RuleArn)+"]" || first["account"] != "000000000000" {
		t.Errorf("scheduled event = %s", calls[0].payload)
	}
	t1, _ := time.Parse(time.RFC3339, first["time"].(string))
	t2, _ := time.Parse(time.RFC3339, second["time"].(string))
	if t2.Sub(t1) != time.Minute {
		t.Errorf("scheduled events %v and %v are not one (simulated) minute apart", t1, t2)
	}
	if len(svc.Events("default")) != 0 {
		t.Error("scheduled events were put on the bus; AWS sends them to the rule's targets only")
	}

	if _, err := c.DisableRule(ctx, &eb.DisableRuleInput{Name: aws.String("reconcile-all")}); err != nil {
		t.Fatal(err)
	}
	drain(t, svc)
	n := len(rec.callsTo(smARN))
	time.Sleep(300 * time.Millisecond)
	if m := len(rec.callsTo(smARN)); m != n {
		t.Errorf("disabled scheduled rule fired %d more times", m-n)
	}
}

func TestPutGoAPI(t *testing.T) {
	c, svc, rec, _ := newEmulator(t, eventbridge.Options{})
	// The rule shape ecprov uses for the TestFailover API call.
	mustPutRule(t, c, "test-failover", `{"source": ["aws.elasticache"], "detail-type": ["AWS API Call via CloudTrail"],
		"detail": {"eventSource": ["elasticache.amazonaws.com"], "eventName": ["TestFailover"]}}`, smARN)
	detail := json.RawMessage(`{"eventVersion": "1.08", "eventSource": "elasticache.amazonaws.com", "eventName": "TestFailover",
		"awsRegion": "us-east-1", "requestParameters": {"replicationGroupId": "audio-pipeline-dev", "nodeGroupId": "0001"}}`)
	id, err := svc.Put(ctx, "default", eventbridge.Event{Source: "aws.elasticache", DetailType: "AWS API Call via CloudTrail", Detail: detail})
	if err != nil || id == "" {
		t.Fatalf("Put = %q, %v", id, err)
	}
	if _, err := svc.Put(ctx, "", eventbridge.Event{Source: "aws.elasticache", DetailType: "AWS API Call via CloudTrail",
		Detail: json.RawMessage(`{"eventSource": "elasticache.amazonaws.com", "eventName": "ModifyReplicationGroup"}`)}); err != nil {
		t.Fatal(err)
	}
	drain(t, svc)
	calls := rec.callsTo(smARN)
	if len(calls) != 1 || !strings.Contains(string(calls[0].payload), `"eventName":"TestFailover"`) || !strings.Contains(string(calls[0].payload), id) {
		t.Errorf("state machine calls = %v, want the TestFailover event only", calls)
	}
	if evs := svc.Events("default"); len(evs) != 2 || evs[0].ID != id || evs[0].Source != "aws.elasticache" {
		t.Errorf("Events(default) = %+v", evs)
	}

	if _, err := svc.Put(ctx, "nope", eventbridge.Event{Source: "s", DetailType: "d"}); !errors.Is(err, eventbridge.ErrBusNotFound) || !strings.Contains(err.Error(), "Event bus nope does not exist.") {
		t.Errorf("Put on a missing bus: %v", err)
	}
	if _, err := svc.Put(ctx, "", eventbridge.Event{Source: "s", DetailType: "d", Detail: json.RawMessage(`"text"`)}); err == nil || !strings.Contains(err.Error(), "Detail is malformed.") {
		t.Errorf("Put with a string detail: %v", err)
	}
	if _, err := svc.Put(ctx, "", eventbridge.Event{DetailType: "d"}); err == nil || !strings.Contains(err.Error(), "Source is a required argument") {
		t.Errorf("Put without source: %v", err)
	}
	// nil Detail is {} for in-process producers.
	if _, err := svc.Put(ctx, "", eventbridge.Event{Source: "s", DetailType: "d"}); err != nil {
		t.Errorf("Put without detail: %v", err)
	}
}

func TestEventLogIsBounded(t *testing.T) {
	_, svc, _, _ := newEmulator(t, eventbridge.Options{EventLogSize: 3})
	var ids []string
	for i := range 5 {
		id, err := svc.Put(ctx, "", eventbridge.Event{Source: "s", DetailType: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	evs := svc.Events("default")
	var got []string
	for _, e := range evs {
		got = append(got, e.ID)
	}
	if !slices.Equal(got, ids[2:]) {
		t.Errorf("Events = %v, want the last three %v", got, ids[2:])
	}
}

func TestPutEventsLimits(t *testing.T) {
	c, svc, _, _ := newEmulator(t, eventbridge.Options{})
	entries := make([]types.PutEventsRequestEntry, 11)
	for i := range entries {
		entries[i] = types.PutEventsRequestEntry{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{}`)}
	}
	_, err := c.PutEvents(ctx, &eb.PutEventsInput{Entries: entries})
	if errorCode(err) != "ValidationException" || !strings.Contains(err.Error(), "Member must have length less than or equal to 10") {
		t.Errorf("PutEvents with 11 entries: %v", err)
	}
	big := `{"x": "` + strings.Repeat("a", 300*1024) + `"}`
	_, err = c.PutEvents(ctx, &eb.PutEventsInput{Entries: []types.PutEventsRequestEntry{{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(big)}}})
	if errorCode(err) != "ValidationException" || !strings.Contains(err.Error(), "Total size of the entries in the request is over the limit.") {
		t.Errorf("PutEvents of 300 KiB: %v", err)
	}
	// A bus that does not exist: AWS answers with an EventId and drops the event.
	out, err := c.PutEvents(ctx, &eb.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{EventBusName: aws.String("nope"), Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{}`)}}})
	if err != nil || out.FailedEntryCount != 0 || aws.ToString(out.Entries[0].EventId) == "" {
		t.Errorf("PutEvents to a missing bus = %+v, %v", out, err)
	}
	if len(svc.Events("nope")) != 0 {
		t.Error("event for a missing bus was recorded")
	}
}

func TestPutTargetsRejects(t *testing.T) {
	c, _, _, _ := newEmulator(t, eventbridge.Options{})
	if _, err := c.PutRule(ctx, &eb.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source": ["s"]}`)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		targets  []types.Target
		code     string
		contains string
	}{
		{"invalid placeholder", []types.Target{{Id: aws.String("t1"), Arn: aws.String(fnARN), InputTransformer: &types.InputTransformer{
			InputPathsMap: map[string]string{"a": "$.detail.a"}, InputTemplate: aws.String(`"Event with <a> and <notdefinedkey>"`)}}},
			"ValidationException", "InputTemplate for target t1 contains invalid placeholder notdefinedkey."},
		{"two inputs", []types.Target{{Id: aws.String("t1"), Arn: aws.String(fnARN), Input: aws.String(`{}`), InputPath: aws.String("$.detail")}},
			"ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target t1."},
		{"bad target id", []types.Target{{Id: aws.String("!@#$"), Arn: aws.String(fnARN)}},
			"ValidationException", `Value '!@#$' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+`},
		{"retry attempts out of range", []types.Target{{Id: aws.String("t1"), Arn: aws.String(fnARN), RetryPolicy: &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(186)}}},
			"ValidationException", "maximumRetryAttempts"},
		{"six targets", []types.Target{
			{Id: aws.String("1"), Arn: aws.String(fnARN)}, {Id: aws.String("2"), Arn: aws.String(fnARN)}, {Id: aws.String("3"), Arn: aws.String(fnARN)},
			{Id: aws.String("4"), Arn: aws.String(fnARN)}, {Id: aws.String("5"), Arn: aws.String(fnARN)}, {Id: aws.String("6"), Arn: aws.String(fnARN)}},
			"LimitExceededException", "The requested resource exceeds the maximum number allowed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The SDK retries LimitExceededException as a throttle; one attempt is enough here.
			_, err := c.PutTargets(ctx, &eb.PutTargetsInput{Rule: aws.String("r"), Targets: tt.targets}, func(o *eb.Options) { o.RetryMaxAttempts = 1 })
			if errorCode(err) != tt.code || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("PutTargets: %v; want %s containing %q", err, tt.code, tt.contains)
			}
		})
	}
	_, err := c.PutTargets(ctx, &eb.PutTargetsInput{Rule: aws.String("missing"), Targets: []types.Target{{Id: aws.String("t"), Arn: aws.String(fnARN)}}})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("PutTargets on a missing rule: %v", err)
	}
	// Putting a target id again replaces it.
	for _, arn := range []string{fnARN, smARN} {
		if _, err := c.PutTargets(ctx, &eb.PutTargetsInput{Rule: aws.String("r"), Targets: []types.Target{{Id: aws.String("same"), Arn: aws.String(arn)}}}); err != nil {
			t.Fatal(err)
		}
	}
	lt, _ := c.ListTargetsByRule(ctx, &eb.ListTargetsByRuleInput{Rule: aws.String("r")})
	if len(lt.Targets) != 1 || aws.ToString(lt.Targets[0].Arn) != smARN {
		t.Errorf("targets after putting id 'same' twice = %+v", lt.Targets)
	}
}

func TestTestEventPattern(t *testing.T) {
	c, _, _, _ := newEmulator(t, eventbridge.Options{})
	event := `{"id": "1", "source": "aws.elasticache", "detail-type": "x", "account": "123456789012", "region": "us-east-1",
		"time": "2026-01-01T00:00:00Z", "detail": {"eventName": "TestFailover"}}`
	for _, tt := range []struct {
		pattern string
		want    bool
	}{
		{`{"detail": {"eventName": ["TestFailover"]}}`, true},
		{`{"detail": {"eventName": [{"anything-but": "TestFailover"}]}}`, false},
	} {
		out, err := c.TestEventPattern(ctx, &eb.TestEventPatternInput{EventPattern: aws.String(tt.pattern), Event: aws.String(event)})
		if err != nil || out.Result != tt.want {
			t.Errorf("TestEventPattern(%s) = %v, %v; want %v", tt.pattern, out, err, tt.want)
		}
	}
	_, err := c.TestEventPattern(ctx, &eb.TestEventPatternInput{EventPattern: aws.String(`{}`), Event: aws.String(event)})
	var iep *types.InvalidEventPatternException
	if !errors.As(err, &iep) || iep.ErrorMessage() != "Event pattern is not valid. Reason: Empty objects are not allowed" {
		t.Errorf("TestEventPattern({}) = %v", err)
	}
	_, err = c.TestEventPattern(ctx, &eb.TestEventPatternInput{EventPattern: aws.String(`{"a": ["b"]}`), Event: aws.String(`"plain string"`)})
	if errorCode(err) != "ValidationException" || !strings.Contains(err.Error(), "Parameter Event is not valid.") {
		t.Errorf("TestEventPattern with a string event: %v", err)
	}
}

func TestTags(t *testing.T) {
	c, _, _, _ := newEmulator(t, eventbridge.Options{})
	out, err := c.PutRule(ctx, &eb.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source": ["s"]}`),
		Tags: []types.Tag{{Key: aws.String("Project"), Value: aws.String("ecprov")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &eb.TagResourceInput{ResourceARN: out.RuleArn, Tags: []types.Tag{{Key: aws.String("Environment"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &eb.UntagResourceInput{ResourceARN: out.RuleArn, TagKeys: []string{"Project"}}); err != nil {
		t.Fatal(err)
	}
	l, err := c.ListTagsForResource(ctx, &eb.ListTagsForResourceInput{ResourceARN: out.RuleArn})
	if err != nil || len(l.Tags) != 1 || aws.ToString(l.Tags[0].Key) != "Environment" {
		t.Errorf("ListTagsForResource = %+v, %v", l, err)
	}
	_, err = c.ListTagsForResource(ctx, &eb.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:events:us-east-1:000000000000:rule/nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("ListTagsForResource of a missing rule: %v", err)
	}
}

// TestLogsCarryNoEventDetail checks that logs name events without their
// content, which may hold secrets, and carry request ids.
func TestLogsCarryNoEventDetail(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, svc, _, _ := newEmulator(t, eventbridge.Options{Logger: logger})
	mustPutRule(t, c, "r", `{"source": ["s"]}`, fnARN, types.Target{Id: aws.String("t"), Arn: aws.String(fnARN),
		InputTransformer: &types.InputTransformer{InputPathsMap: map[string]string{"p": "$.detail.password"}, InputTemplate: aws.String(`{"p": <p>}`)}})
	id := putOne(t, c, "", "s", `{"password": "hunter2-secret"}`)
	drain(t, svc)
	logs := buf.String()
	if strings.Contains(logs, "hunter2-secret") {
		t.Errorf("logs contain the event's detail:\n%s", logs)
	}
	for _, want := range []string{`"requestId":`, `"eventId":"` + id + `"`, `"msg":"event delivered"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the delivery goroutines' logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

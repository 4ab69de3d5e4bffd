// Package e2e runs ecprov end to end on the local emulator: the real state
// machine files executed by aws-local-stepfunctions, the real Lambda
// bootstraps under the Runtime Interface Emulator, EventBridge rules, SNS,
// and ElastiCache on real redis-server processes. It needs `make build-local`
// and `npm ci` (make test does both).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ecprov/ecprov/emulator"
	"github.com/ecprov/ecprov/internal/endpointsecret"
	"github.com/ecprov/ecprov/internal/execution"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/profile"
	"github.com/ecprov/ecprov/test/testprofile"
)

var (
	emu *emulator.Emulator
	cfg aws.Config
)

// Waits run at 1/100 of real time: the 180 s first poll lasts 1.8 s.
const waitScale = 0.01

func TestMain(m *testing.M) {
	root, _ := filepath.Abs("../..")
	for _, need := range []string{"dist/host/createcluster/bootstrap", "node_modules/aws-local-stepfunctions"} {
		if _, err := os.Stat(filepath.Join(root, need)); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s is missing: run `make build-local` and `bash scripts/node-deps.sh` (make test does both)\n", need)
			os.Exit(1)
		}
	}
	dir, _ := os.MkdirTemp("", "ecprov-e2e-")
	logOut := io.Discard
	if os.Getenv("E2E_LOG") != "" {
		logOut = os.Stderr
	}
	var err error
	emu, err = emulator.New(emulator.Options{
		DataDir: dir, Logger: slog.New(slog.NewJSONHandler(logOut, nil)), MetricsInterval: time.Second,
		Orchestration: &emulator.Orchestration{Root: root, WaitScale: waitScale, ScheduleScale: 1},
	})
	if err == nil {
		err = emu.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: emulator:", err)
		os.Exit(1)
	}
	cfg = aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(emu.URL()), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	code := m.Run()
	if err := emu.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: close:", err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// profileFor is the dev profile renamed to env, so that tests sharing one
// emulator do not share resources.
func profileFor(t *testing.T, env string, edit func(m map[string]any)) (*profile.Profile, json.RawMessage) {
	t.Helper()
	p, raw, err := testprofile.Dev(env, edit)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil {
		p = &profile.Profile{Environment: env}
	}
	return p, raw
}

type run struct {
	execution.Result
	arn string
}

// start runs a state machine the way `ecprov provision` does and waits for it.
func start(t *testing.T, name string, p *profile.Profile, raw json.RawMessage) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api := sfn.NewFromConfig(cfg)
	arn, err := execution.Locate(ctx, api, nil, "ecprov", "", name)
	if err != nil {
		t.Fatal(err)
	}
	input, _ := json.Marshal(map[string]json.RawMessage{"profile": raw})
	execARN, _, err := execution.StartOrFollow(ctx, api, arn, p.Environment, name+"-"+execution.NamePrefix(p), input, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	res, err := execution.Follow(ctx, api, execARN, &progress, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("follow %s: %v\n%s", name, err, progress.String())
	}
	t.Logf("%s %s: %s\n%s", name, p.Environment, res.Status, progress.String())
	return run{Result: res, arn: execARN}
}

func mustSucceed(t *testing.T, r run) map[string]any {
	t.Helper()
	if r.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s %s", r.Status, r.Error, r.Cause)
	}
	var out map[string]any
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("output %s: %v", r.Output, err)
	}
	return out
}

func secretDoc(t *testing.T, name string) (endpointsecret.Document, int) {
	t.Helper()
	sm := secretsmanager.NewFromConfig(cfg)
	v, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	var doc endpointsecret.Document
	_ = json.Unmarshal([]byte(aws.ToString(v.SecretString)), &doc)
	return doc, len(d.VersionIdsToStages)
}

// failureEvents counts the "Provisioning Failed" events on the project bus
// whose cause mentions what.
func failureEvents(what string) int {
	n := 0
	for _, e := range emu.EventBridge().Events("ecprov") {
		data, _ := json.Marshal(e)
		if strings.Contains(string(data), "Provisioning Failed") && strings.Contains(string(data), what) {
			n++
		}
	}
	return n
}

func TestProvisionThenRerunIsANoOp(t *testing.T) {
	p, raw := profileFor(t, "e2e-rerun", nil)
	started := time.Now()
	out := mustSucceed(t, start(t, "provision", p, raw))
	t.Logf("provision took %.2fs", time.Since(started).Seconds())
	if out["action"] != "created" || out["secretArn"] == nil || len(out["alarmNames"].([]any)) != 6 || out["primaryEndpoint"] == nil || out["readerEndpoint"] == nil {
		t.Fatalf("outputs = %v", out)
	}
	doc, versions := secretDoc(t, p.SecretName)
	if doc.CurrentPrimaryNode != p.ReplicationGroupID+"-001" || versions != 1 {
		t.Fatalf("secret = %+v, %d versions", doc, versions)
	}

	again := mustSucceed(t, start(t, "provision", p, raw))
	if again["action"] != "unchanged" || again["secretChanged"] != false || again["alarmsChanged"] != false {
		t.Fatalf("re-run changed things: %v", again)
	}
	if _, versions := secretDoc(t, p.SecretName); versions != 1 {
		t.Fatalf("re-run wrote a secret version: %d versions", versions)
	}
}

func TestInvalidProfileFailsBeforeAnyResource(t *testing.T) {
	p, raw := profileFor(t, "e2e-invalid", func(m map[string]any) {
		m["snapshot"].(map[string]any)["window"] = "03:00-03:30"
	})
	r := start(t, "provision", p, raw)
	if r.Status != "FAILED" || r.Error != failure.InvalidProfile || !strings.Contains(r.Cause, "snapshot.window") {
		t.Fatalf("got %s %s: %s", r.Status, r.Error, r.Cause)
	}
	ec := elasticache.NewFromConfig(cfg)
	if _, err := ec.DescribeCacheParameterGroups(context.Background(), &elasticache.DescribeCacheParameterGroupsInput{CacheParameterGroupName: aws.String(p.ParameterGroupName)}); failure.ErrorCode(err) != "CacheParameterGroupNotFound" {
		t.Fatalf("parameter group exists after an invalid profile: %v", err)
	}
	waitFor(t, "a Provisioning Failed event", func() bool { return failureEvents("snapshot.window") > 0 })
}

func TestInjectedCreateFailedIsNamed(t *testing.T) {
	p, raw := profileFor(t, "e2e-createfail", nil)
	emu.ElastiCache().InjectCreateFailure(p.ReplicationGroupID)
	r := start(t, "provision", p, raw)
	if r.Status != "FAILED" || r.Error != failure.CreateFailed {
		t.Fatalf("got %s %s: %s", r.Status, r.Error, r.Cause)
	}
	waitFor(t, "a Provisioning Failed event", func() bool { return failureEvents("CreateFailed") > 0 })
	// Teardown of the failed group leaves nothing.
	mustSucceed(t, start(t, "teardown", p, raw))
}

func TestThrottlingOnEveryAPIIsRetried(t *testing.T) {
	p, raw := profileFor(t, "e2e-throttle", nil)
	// Two throttles per operation are absorbed by the SDK's own retries;
	// five on CreateReplicationGroup outlast them, surface as
	// RetryableAWSError, and the state machine's Retry takes over.
	faults := [][3]any{
		{"ec2", "DescribeSubnets", 2}, {"ec2", "DescribeSecurityGroups", 2},
		{"elasticache", "CreateCacheParameterGroup", 2}, {"elasticache", "CreateCacheSubnetGroup", 2},
		{"elasticache", "CreateReplicationGroup", 5}, {"elasticache", "DescribeReplicationGroups", 2},
		{"secretsmanager", "CreateSecret", 2}, {"secretsmanager", "DescribeSecret", 2},
		{"monitoring", "PutMetricAlarm", 2}, {"monitoring", "DescribeAlarms", 2},
		{"events", "PutEvents", 2},
	}
	for _, f := range faults {
		addFault(t, map[string]any{"service": f[0], "operation": f[1], "count": f[2], "code": "Throttling", "status": 400})
	}
	defer clearFaults(t)
	out := mustSucceed(t, start(t, "provision", p, raw))
	if out["action"] != "created" {
		t.Fatalf("outputs = %v", out)
	}
	if left := activeFaults(t); left != 0 {
		t.Errorf("%d faults never fired: the run did not call every API it was meant to", left)
	}
}

func TestKilledPrimaryIsReconciledThroughSNSAndEventBridge(t *testing.T) {
	p, raw := profileFor(t, "e2e-kill", nil)
	out := mustSucceed(t, start(t, "provision", p, raw))
	primary := out["currentPrimary"].(string)
	pid, ok := emu.ElastiCache().NodePID(primary)
	if !ok {
		t.Fatalf("no process for %s", primary)
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the secret to name the new primary", func() bool {
		doc, _ := secretDoc(t, p.SecretName)
		return doc.CurrentPrimaryNode != "" && doc.CurrentPrimaryNode != primary
	})
	t.Logf("kill -9 of the primary to the secret naming the new primary: %.2fs", time.Since(killed).Seconds())
	reconciledBy(t, p.ReplicationGroupID, "ElastiCache:FailoverComplete")
}

// reconciledBy checks that a reconcile execution started by the trigger
// succeeded for the group: the secret was moved by the event path, not by
// anything else.
func reconciledBy(t *testing.T, group, trigger string) {
	t.Helper()
	ctx := context.Background()
	api := sfn.NewFromConfig(cfg)
	arn, err := execution.Locate(ctx, api, nil, "ecprov", "", "reconcile")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a reconcile started by "+trigger, func() bool {
		items, err := execution.Recent(ctx, api, arn, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range items {
			d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn})
			if err != nil {
				t.Fatal(err)
			}
			in := aws.ToString(d.Input)
			if string(d.Status) == "SUCCEEDED" && strings.Contains(in, `"`+group+`"`) && strings.Contains(in, trigger) {
				return true
			}
		}
		return false
	})
}

func TestTestFailoverIsReconciledThroughCloudTrail(t *testing.T) {
	p, raw := profileFor(t, "e2e-testfailover", func(m map[string]any) { delete(m, "notificationTopicArn") })
	out := mustSucceed(t, start(t, "provision", p, raw))
	primary := out["currentPrimary"].(string)
	ec := elasticache.NewFromConfig(cfg)
	if _, err := ec.TestFailover(context.Background(), &elasticache.TestFailoverInput{ReplicationGroupId: aws.String(p.ReplicationGroupID), NodeGroupId: aws.String("0001")}); err != nil {
		t.Fatal(err)
	}
	// Without a notification topic, only the CloudTrail rule can start the
	// reconcile that updates the secret.
	waitFor(t, "the secret to name the new primary", func() bool {
		doc, _ := secretDoc(t, p.SecretName)
		return doc.CurrentPrimaryNode != "" && doc.CurrentPrimaryNode != primary
	})
	reconciledBy(t, p.ReplicationGroupID, "TestFailover")
}

func TestTeardownLeavesNothing(t *testing.T) {
	p, raw := profileFor(t, "e2e-teardown", nil)
	mustSucceed(t, start(t, "provision", p, raw))
	out := mustSucceed(t, start(t, "teardown", p, raw))
	if !strings.HasPrefix(fmt.Sprint(out["finalSnapshot"]), p.ReplicationGroupID+"-final-") {
		t.Errorf("no final snapshot: %v", out)
	}
	ctx := context.Background()
	ec := elasticache.NewFromConfig(cfg)
	if _, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(p.ReplicationGroupID)}); failure.ErrorCode(err) != "ReplicationGroupNotFoundFault" {
		t.Errorf("group left: %v", err)
	}
	if _, err := ec.DescribeCacheParameterGroups(ctx, &elasticache.DescribeCacheParameterGroupsInput{CacheParameterGroupName: aws.String(p.ParameterGroupName)}); failure.ErrorCode(err) != "CacheParameterGroupNotFound" {
		t.Errorf("parameter group left: %v", err)
	}
	if _, err := ec.DescribeCacheSubnetGroups(ctx, &elasticache.DescribeCacheSubnetGroupsInput{CacheSubnetGroupName: aws.String(p.SubnetGroupName)}); failure.ErrorCode(err) != "CacheSubnetGroupNotFoundFault" {
		t.Errorf("subnet group left: %v", err)
	}
	alarms, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("ecprov/" + p.ReplicationGroupID + "/")})
	if err != nil || len(alarms.MetricAlarms) != 0 {
		t.Errorf("alarms left: %v %v", alarms, err)
	}
	d, err := secretsmanager.NewFromConfig(cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(p.SecretName)})
	if err != nil || d.DeletedDate == nil {
		t.Errorf("secret not scheduled for deletion: %v", err)
	}
	// A second teardown finds everything gone and still succeeds.
	mustSucceed(t, start(t, "teardown", p, raw))
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func addFault(t *testing.T, f map[string]any) {
	t.Helper()
	body, _ := json.Marshal(f)
	resp, err := http.Post(emu.URL()+"/_emulator/faults", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode >= 300 {
		t.Fatalf("add fault %s: %v %v", body, err, resp)
	}
	resp.Body.Close()
}

func activeFaults(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(emu.URL() + "/_emulator/faults")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []map[string]any
	var wrapped struct {
		Faults []map[string]any `json:"faults"`
	}
	data, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(data, &list) != nil {
		_ = json.Unmarshal(data, &wrapped)
		list = wrapped.Faults
	}
	return len(list)
}

func clearFaults(t *testing.T) {
	req, _ := http.NewRequest(http.MethodDelete, emu.URL()+"/_emulator/faults", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

// TestNoReconcileFailed runs last: every reconcile the other tests set off
// (by notices, CloudTrail events or hand) must have succeeded.
func TestNoReconcileFailed(t *testing.T) {
	ctx := context.Background()
	api := sfn.NewFromConfig(cfg)
	arn, err := execution.Locate(ctx, api, nil, "ecprov", "", "reconcile")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running reconciles to end", func() bool {
		items, _ := execution.Recent(ctx, api, arn, 1000)
		for _, e := range items {
			if e.Status == "RUNNING" {
				return false
			}
		}
		return true
	})
	items, err := execution.Recent(ctx, api, arn, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 {
		t.Fatal("no reconcile ran at all")
	}
	for _, e := range items {
		if e.Status != "SUCCEEDED" {
			d, _ := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn})
			t.Errorf("reconcile %s %s: input %s: %s %s", aws.ToString(e.Name), e.Status, aws.ToString(d.Input), aws.ToString(d.Error), aws.ToString(d.Cause))
		}
	}
	t.Logf("%d reconcile executions, all succeeded", len(items))
}

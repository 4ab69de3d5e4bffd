package reliability

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/profile"
)

// The AWS operations ecprov's functions call, by the run that calls them.
// A fault on an operation hits its first callers, so each is injected in
// the run where it is reached: a provision of a new environment (create), a
// provision of an environment that drifted in every way ecprov repairs
// (drift, see applyDrift), the scheduled reconcile of such an environment,
// and a teardown.
var (
	createOps = []op{
		{"ec2", "DescribeSubnets"}, {"ec2", "DescribeSecurityGroups"},
		{"elasticache", "DescribeCacheParameterGroups"}, {"elasticache", "CreateCacheParameterGroup"},
		{"elasticache", "DescribeCacheParameters"}, {"elasticache", "ModifyCacheParameterGroup"},
		{"elasticache", "DescribeCacheSubnetGroups"}, {"elasticache", "CreateCacheSubnetGroup"},
		{"elasticache", "DescribeReplicationGroups"}, {"elasticache", "CreateReplicationGroup"},
		{"elasticache", "DescribeCacheClusters"},
		{"secretsmanager", "DescribeSecret"}, {"secretsmanager", "CreateSecret"}, {"secretsmanager", "GetSecretValue"},
		{"monitoring", "DescribeAlarms"}, {"monitoring", "PutMetricAlarm"},
		{"events", "PutEvents"},
	}
	driftOps = []op{
		{"elasticache", "ListTagsForResource"}, {"elasticache", "AddTagsToResource"},
		{"elasticache", "ModifyReplicationGroup"}, {"elasticache", "ModifyCacheSubnetGroup"},
		{"secretsmanager", "RestoreSecret"}, {"secretsmanager", "TagResource"}, {"secretsmanager", "PutSecretValue"},
		{"monitoring", "DeleteAlarms"},
	}
	// The scheduled reconcile ({"all": true}) lists the stored profiles;
	// every other call it makes is a provision's.
	reconcileOps = []op{{"secretsmanager", "ListSecrets"}}
	teardownOps  = []op{
		{"monitoring", "DescribeAlarms"}, {"monitoring", "DeleteAlarms"},
		{"elasticache", "DescribeReplicationGroups"}, {"elasticache", "DeleteReplicationGroup"},
		{"elasticache", "DeleteCacheParameterGroup"}, {"elasticache", "DeleteCacheSubnetGroup"},
		{"secretsmanager", "DescribeSecret"}, {"secretsmanager", "DeleteSecret"},
	}
)

type op struct{ service, name string }

// A kind of fault. Count alternates between 2, which the SDK's own three
// attempts absorb, and 3, which outlasts them: the function then fails with
// RetryableAWSError and the state machine's Retry takes over.
type kind struct {
	name  string
	fault func(o op, count int) fault
}

var kinds = []kind{
	{"throttling", func(o op, n int) fault {
		return fault{Service: o.service, Operation: o.name, Count: n, Status: 400, Code: "Throttling"}
	}},
	{"http500", func(o op, n int) fault {
		return fault{Service: o.service, Operation: o.name, Count: n, Status: 500, Code: "InternalFailure"}
	}},
	// 1.5 s against the functions' 1 s per-attempt time-out.
	{"timeout", func(o op, n int) fault {
		return fault{Service: o.service, Operation: o.name, Count: n, LatencyMs: int(1.5 * float64(httpTimeout/time.Millisecond))}
	}},
}

type combo struct {
	phase string
	op    op
	kind  kind
	count int
}

func (c combo) String() string {
	return fmt.Sprintf("%s/%s.%s/%sx%d", c.phase, c.op.service, c.op.name, c.kind.name, c.count)
}

// unit is one environment's life: provision (with a fault), drift and
// provision again (with a fault), drift and reconcile (with a fault), tear
// down (with a fault). Phases without a fault are left out, but for the
// first provision and the teardown.
type unit struct {
	env                                string
	create, drift, reconcile, teardown *combo
}

func matrixUnits() []unit {
	combos := func(phase string, ops []op) []*combo {
		var out []*combo
		for _, k := range kinds {
			for i, o := range ops {
				out = append(out, &combo{phase: phase, op: o, kind: k, count: 2 + (i+len(k.name))%2})
			}
		}
		return out
	}
	creates, drifts, reconciles, teardowns := combos("provision", createOps), combos("drift", driftOps), combos("reconcile", reconcileOps), combos("teardown", teardownOps)
	n := max(len(creates), len(drifts), len(reconciles), len(teardowns))
	units := make([]unit, n)
	at := func(cs []*combo, i int) *combo {
		if i >= 0 && i < len(cs) {
			return cs[i]
		}
		return nil
	}
	for i := range units {
		// Reconciles go to the units without a drift fault, to even out
		// the units' lengths.
		units[i] = unit{env: fmt.Sprintf("rel-f%02d", i), create: at(creates, i), drift: at(drifts, i),
			reconcile: at(reconciles, i-len(drifts)), teardown: at(teardowns, i)}
	}
	return units
}

// Every AWS operation crossed with {throttling, HTTP 500, a time-out}: each
// faulted run converges (SUCCEEDED), the fault was taken, the retry happened
// where it should (the SDK's for two faults, the state machine's for
// three), and a clean run afterwards finds nothing left to do.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	units := matrixUnits()
	var ran atomic.Int64
	queue := make(chan unit)
	var wg sync.WaitGroup
	for range poolSize {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range queue {
				t.Run(u.env, func(t *testing.T) {
					l := takeLane(t)
					ran.Add(int64(runUnit(t, l, u)))
				})
			}
		}()
	}
	started := time.Now()
	for _, u := range units {
		queue <- u
	}
	close(queue)
	wg.Wait()
	pairs := len(createOps) + len(driftOps) + len(reconcileOps) + len(teardownOps)
	total := len(kinds) * pairs
	t.Logf("fault matrix: %d of %d combinations ran (%d operation/run pairs x %d fault kinds) in %d environments, %.0fs",
		ran.Load(), total, pairs, len(kinds), len(units), time.Since(started).Seconds())
	if int(ran.Load()) != total {
		t.Errorf("only %d of %d combinations ran", ran.Load(), total)
	}
}

// runUnit runs one environment's phases and returns how many faulted runs
// it made.
func runUnit(t *testing.T, l *lane, u unit) int {
	var edit func(map[string]any)
	if u.create != nil && u.create.op.name == "PutEvents" {
		// Without a notification topic the first PutEvents is the state
		// machine's Provisioned event, not failoverrelay relaying the
		// group's creation notices (which absorbs the faults just as well,
		// but out of the run's sight).
		edit = func(m map[string]any) { delete(m, "notificationTopicArn") }
	}
	p, raw := profileFor(t, u.env, edit)
	ran := 0
	defer func() {
		// Whatever happened, leave nothing running in the lane.
		l.clearFaults(t)
		if t.Failed() {
			l.start(t, "teardown", p, raw)
		}
	}()
	phase := func(c *combo, machine string, setup func(t *testing.T), check func(t *testing.T, faulted run)) bool {
		name := machine + "/clean"
		if c != nil {
			name = c.String()
		}
		return t.Run(name, func(t *testing.T) {
			if setup != nil {
				setup(t)
			}
			if c != nil {
				l.addFault(t, c.kind.fault(c.op, c.count))
				ran++
			}
			var faulted run
			if machine == "reconcile" {
				faulted = l.startInput(t, "reconcile", "schedule-"+p.Environment, `{"all": true, "trigger": "schedule"}`)
			} else {
				faulted = l.start(t, machine, p, raw)
			}
			if c != nil {
				checkFaultedRun(t, l, c, faulted)
			}
			check(t, faulted)
		})
	}

	ok := phase(u.create, "provision", nil, func(t *testing.T, faulted run) {
		clean := l.start(t, "provision", p, raw)
		checkCleanProvision(t, l, p, faulted, clean)
		if inv := l.inspect(t, p); inv.SecretVersions != 1 {
			t.Errorf("the secret has %d versions after a fresh provision, want 1", inv.SecretVersions)
		}
	})
	if ok && u.drift != nil {
		ok = phase(u.drift, "provision", func(t *testing.T) { applyDrift(t, l, p) }, func(t *testing.T, faulted run) {
			clean := l.start(t, "provision", p, raw)
			checkCleanProvision(t, l, p, faulted, clean)
		})
	}
	if ok && u.reconcile != nil {
		ok = phase(u.reconcile, "reconcile", func(t *testing.T) { applyDrift(t, l, p) }, func(t *testing.T, faulted run) {
			// The scheduled reconcile repairs what a provision repairs.
			if problems := l.inspect(t, p).converged(p); len(problems) > 0 {
				t.Errorf("not converged by the reconcile: %s", strings.Join(problems, "; "))
			}
			clean := l.start(t, "provision", p, raw)
			checkCleanProvision(t, l, p, faulted, clean)
		})
	}
	if !ok {
		return ran
	}
	phase(u.teardown, "teardown", nil, func(t *testing.T, faulted run) {
		clean := l.start(t, "teardown", p, raw)
		if clean.Status != "SUCCEEDED" {
			t.Fatalf("clean teardown after the faulted one: %s", clean)
		}
		if left := l.inspect(t, p).leftovers(); len(left) > 0 {
			t.Errorf("left behind after teardown: %v", left)
		}
	})
	return ran
}

// checkFaultedRun: the run converged, the fault was used up, and the retry
// that absorbed it is the one expected.
func checkFaultedRun(t *testing.T, l *lane, c *combo, r run) {
	t.Helper()
	if left := l.faults(t); len(left) > 0 {
		t.Errorf("the fault was not used up (the run made fewer than %d %s calls): %+v", c.count, c.op.name, left)
	}
	l.clearFaults(t)
	if r.Status != "SUCCEEDED" {
		t.Fatalf("faulted run: %s", r)
	}
	failures := l.taskFailures(t, r.arn)
	sfnRetry := slices.ContainsFunc(failures, func(f [2]string) bool { return f[0] == "RetryableAWSError" })
	switch {
	case c.count >= 3 && !sfnRetry:
		t.Errorf("%d faults outlast the SDK's 3 attempts, so the state machine should have retried RetryableAWSError; task failures: %v", c.count, failures)
	case c.count < 3:
		for _, f := range failures {
			// On a loaded machine a clean attempt may outlast the 1 s
			// time-out too; that third failure is the machine's, not the
			// fault's.
			if strings.Contains(f[1], "Client.Timeout") || strings.Contains(f[1], "deadline exceeded") {
				t.Logf("a task also timed out on its own: %s", firstLines(f[1], 1))
				continue
			}
			t.Errorf("%d faults are within the SDK's 3 attempts, yet a task failed: %s: %s", c.count, f[0], f[1])
		}
	}
}

// checkCleanProvision: the run after a faulted one succeeds, finds nothing
// to change when the faulted run had succeeded, and the environment is
// what the profile says.
func checkCleanProvision(t *testing.T, l *lane, p *profile.Profile, faulted, clean run) {
	t.Helper()
	if clean.Status != "SUCCEEDED" {
		t.Fatalf("clean run: %s", clean)
	}
	out := clean.outputs(t)
	if faulted.Status == "SUCCEEDED" && (out["action"] != "unchanged" || out["secretChanged"] != false || out["alarmsChanged"] != false) {
		t.Errorf("the clean run after a converged faulted run changed things: action %v, changes %v, secretChanged %v, alarmsChanged %v",
			out["action"], out["changes"], out["secretChanged"], out["alarmsChanged"])
	}
	if problems := l.inspect(t, p).converged(p); len(problems) > 0 {
		t.Errorf("not converged: %s", strings.Join(problems, "; "))
	}
}

// applyDrift changes, behind ecprov's back, everything a provision puts
// back, so that a provision calls every repairing operation: a parameter,
// the subnets, a tag and the snapshot retention of the group, the secret's
// value, tags and deletion, one alarm's threshold and a stray alarm of a
// member that left.
func applyDrift(t *testing.T, l *lane, p *profile.Profile) {
	t.Helper()
	ctx := context.Background()
	ec := elasticache.NewFromConfig(l.cfg)
	sm := secretsmanager.NewFromConfig(l.cfg)
	cw := cloudwatch.NewFromConfig(l.cfg)
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("drift: %s: %v", what, err)
		}
	}
	_, err := ec.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{CacheParameterGroupName: aws.String(p.ParameterGroupName),
		ParameterNameValues: []ectypes.ParameterNameValue{{ParameterName: aws.String("timeout"), ParameterValue: aws.String("0")}}})
	must("parameter", err)
	_, err = ec.ModifyCacheSubnetGroup(ctx, &elasticache.ModifyCacheSubnetGroupInput{CacheSubnetGroupName: aws.String(p.SubnetGroupName),
		SubnetIds: append(slices.Clone(p.Network.SubnetIDs), "subnet-0ec00000000000a02")})
	must("subnets", err)
	g, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(p.ReplicationGroupID)})
	must("describe group", err)
	_, err = ec.RemoveTagsFromResource(ctx, &elasticache.RemoveTagsFromResourceInput{ResourceName: g.ReplicationGroups[0].ARN, TagKeys: []string{"Module"}})
	must("group tag", err)
	_, err = ec.ModifyReplicationGroup(ctx, &elasticache.ModifyReplicationGroupInput{ReplicationGroupId: aws.String(p.ReplicationGroupID),
		SnapshotRetentionLimit: aws.Int32(1), ApplyImmediately: aws.Bool(true)})
	must("retention", err)
	waitFor(t, "the group to be available after the drift", 20*time.Second, func() bool {
		g, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(p.ReplicationGroupID)})
		return err == nil && aws.ToString(g.ReplicationGroups[0].Status) == "available"
	})

	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(p.SecretName), SecretString: aws.String(`{"primaryEndpoint":"stale.example"}`)})
	must("secret value", err)
	_, err = sm.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(p.SecretName), TagKeys: []string{"Module"}})
	must("secret tag", err)
	_, err = sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(p.SecretName), RecoveryWindowInDays: aws.Int64(7)})
	must("secret deletion", err)

	member := profile.MemberClusterID(p.ReplicationGroupID, 1)
	want := alarms.Desired(p, member)[0]
	want.Threshold = aws.Float64(50)
	_, err = cw.PutMetricAlarm(ctx, &want)
	must("alarm threshold", err)
	stray := alarms.Desired(p, profile.MemberClusterID(p.ReplicationGroupID, 3))[0]
	_, err = cw.PutMetricAlarm(ctx, &stray)
	must("stray alarm", err)
	a, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(alarms.Prefix(p.ReplicationGroupID)), AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	must("describe alarms", err)
	if len(a.MetricAlarms) != 7 {
		t.Fatalf("drift: %d alarms, want 7", len(a.MetricAlarms))
	}
}

// Package integration runs the provisioning core's handlers, unchanged and
// with the real AWS SDK clients, against an in-process emulator backed by
// real redis-server processes.
package integration

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/redis/go-redis/v9"

	"github.com/ecprov/ecprov/emulator"
	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/endpointsecret"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/profilestore"
	"github.com/ecprov/ecprov/internal/readiness"
	"github.com/ecprov/ecprov/internal/replicationgroup"
	"github.com/ecprov/ecprov/internal/teardown"
)

// env is one emulator and the handlers wired to it with real SDK clients.
type env struct {
	emu           *emulator.Emulator
	cfg           aws.Config
	ec            *elasticache.Client
	sm            *secretsmanager.Client
	createcluster *replicationgroup.Handler
	waitready     *readiness.Handler
	publishsecret *endpointsecret.Handler
	alarms        *alarms.Handler
	teardown      *teardown.Handler
	tlsConf       *tls.Config
	profile       json.RawMessage
	groupID       string
}

func start(t *testing.T) *env {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	emu, err := emulator.New(emulator.Options{DataDir: t.TempDir(), Logger: log, MetricsInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("close emulator: %v", err)
		}
	})
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(emu.URL()),
		// The SDK's standard retryer, as in the Lambdas (3 attempts).
		RetryMaxAttempts: 3,
	}
	raw, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	ec := elasticache.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	am := &alarms.Handler{ElastiCache: ec, CloudWatch: cloudwatch.NewFromConfig(cfg), Log: log}
	return &env{
		emu: emu, cfg: cfg, ec: ec, sm: sm,
		createcluster: &replicationgroup.Handler{EC2: ec2.NewFromConfig(cfg), ElastiCache: ec, Log: log},
		waitready:     &readiness.Handler{ElastiCache: ec, Log: log},
		publishsecret: &endpointsecret.Handler{ElastiCache: ec, Secrets: sm, Log: log},
		alarms:        am,
		teardown:      &teardown.Handler{ElastiCache: ec, Alarms: am, Secrets: sm, Profiles: &profilestore.Handler{Secrets: sm, Log: log}, Log: log},
		tlsConf:       emu.CA().ClientTLSConfig(),
		profile:       raw,
		groupID:       "audio-pipeline-dev",
	}
}

// waitReady polls waitready as the state machine would, without its waits.
func (e *env) waitReady(t *testing.T) readiness.Output {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var poll readiness.Poll
	for time.Now().Before(deadline) {
		out, err := e.waitready.Handle(context.Background(), readiness.Input{ReplicationGroupID: e.groupID, Poll: poll})
		if err != nil {
			t.Fatalf("waitready: %v", err)
		}
		if out.Ready {
			return out
		}
		poll = out.Poll
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("group not available within 10 s")
	return readiness.Output{}
}

func (e *env) provision(t *testing.T) (replicationgroup.Output, readiness.Output, endpointsecret.Output, alarms.Output) {
	t.Helper()
	ctx := context.Background()
	created, err := e.createcluster.Handle(ctx, replicationgroup.Input{Profile: e.profile})
	if err != nil {
		t.Fatalf("createcluster: %v", err)
	}
	ready := e.waitReady(t)
	secret, err := e.publishsecret.Handle(ctx, endpointsecret.Input{Profile: e.profile})
	if err != nil {
		t.Fatalf("publishsecret: %v", err)
	}
	al, err := e.alarms.Handle(ctx, alarms.Input{Profile: e.profile})
	if err != nil {
		t.Fatalf("alarms: %v", err)
	}
	return created, ready, secret, al
}

func (e *env) document(t *testing.T) endpointsecret.Document {
	t.Helper()
	v, err := e.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("audio-pipeline/dev/redis-endpoint")})
	if err != nil {
		t.Fatal(err)
	}
	var d endpointsecret.Document
	if err := json.Unmarshal([]byte(aws.ToString(v.SecretString)), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *env) client(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, TLSConfig: e.tlsConf, DialTimeout: 2 * time.Second, MaxRetries: -1})
}

func TestProvisionRerunDriftFailoverDelete(t *testing.T) {
	e := start(t)
	ctx := context.Background()

	created, ready, secret, al := e.provision(t)
	if created.Action != replicationgroup.ActionCreated || !secret.Created || len(al.AlarmNames) != 6 {
		t.Fatalf("first run: create %s, secret %+v, alarms %d", created.Action, secret, len(al.AlarmNames))
	}
	doc := e.document(t)
	if doc.CurrentPrimaryNode != "audio-pipeline-dev-001" || !doc.TLS || doc.Port != ready.Port || !strings.HasPrefix(doc.EngineVersion, "7.0") {
		t.Fatalf("secret document = %+v", doc)
	}

	// Over TLS through the primary endpoint, and on every node.
	primary := e.client(doc.PrimaryEndpoint + ":" + itoa(doc.Port))
	defer primary.Close()
	if err := primary.Set(ctx, "call:42:summary", "ok", time.Minute).Err(); err != nil {
		t.Fatalf("write through the primary endpoint: %v", err)
	}
	for _, m := range ready.Members {
		node := e.client(m.Address + ":" + itoa(int32(m.Port)))
		if err := node.Ping(ctx).Err(); err != nil {
			t.Fatalf("PING %s: %v", m.CacheClusterID, err)
		}
		cfg, err := node.ConfigGet(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if cfg["timeout"] != "300" || cfg["maxmemory-policy"] != "allkeys-lru" {
			t.Errorf("%s: timeout %q, maxmemory-policy %q (R8)", m.CacheClusterID, cfg["timeout"], cfg["maxmemory-policy"])
		}
		info, _ := node.Info(ctx, "replication").Result()
		if m.Role == "primary" && !strings.Contains(info, "connected_slaves:1") {
			t.Errorf("primary INFO replication:\n%s", info)
		}
		node.Close()
	}

	// A re-run changes nothing: no modification, no secret version, no alarm write.
	again, _, secret2, al2 := e.provision(t)
	if again.Action != replicationgroup.ActionUnchanged || len(again.Changes) != 0 || secret2.Changed || secret2.VersionID != secret.VersionID || al2.Changed {
		t.Fatalf("re-run changed things: create %+v, secret %+v, alarms %+v", again, secret2, al2)
	}

	// Drift: someone sets timeout back to 0; the next run repairs it and the
	// servers show it.
	_, err := e.ec.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("audio-pipeline-dev-redis7"),
		ParameterNameValues:     []ectypes.ParameterNameValue{{ParameterName: aws.String("timeout"), ParameterValue: aws.String("0")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	node := e.client(ready.Members[1].Address + ":" + itoa(ready.Members[1].Port))
	defer node.Close()
	if v, _ := node.ConfigGet(ctx, "timeout").Result(); v["timeout"] != "0" {
		t.Fatalf("the drift did not reach the server: %v", v)
	}
	repaired, err := e.createcluster.Handle(ctx, replicationgroup.Input{Profile: e.profile})
	if err != nil || repaired.Action != replicationgroup.ActionModified || repaired.Changes[0].Field != "parameters.timeout" {
		t.Fatalf("repair: %+v %v", repaired, err)
	}
	if v, _ := node.ConfigGet(ctx, "timeout").Result(); v["timeout"] != "300" {
		t.Fatalf("CONFIG GET timeout after repair = %v", v)
	}

	// TestFailover swaps the roles; the next publish names the new primary.
	if _, err := e.ec.TestFailover(ctx, &elasticache.TestFailoverInput{ReplicationGroupId: aws.String(e.groupID), NodeGroupId: aws.String("0001")}); err != nil {
		t.Fatal(err)
	}
	waitPrimary(t, e, "audio-pipeline-dev-002")
	e.waitReady(t)
	moved, err := e.publishsecret.Handle(ctx, endpointsecret.Input{Profile: e.profile})
	if err != nil || !moved.Changed || e.document(t).CurrentPrimaryNode != "audio-pipeline-dev-002" {
		t.Fatalf("secret after TestFailover: %+v %v", moved, err)
	}

	// Delete: every teardown step, then nothing is left. Right after a
	// failover the group is busy recovering: that is a RetryableAWSError,
	// which the state machine retries, and so does this test.
	for _, step := range []string{teardown.StepAlarms, teardown.StepGroup} {
		e.teardownStep(t, step)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := e.waitready.Handle(ctx, readiness.Input{ReplicationGroupID: e.groupID, UntilDeleted: true})
		if err != nil {
			t.Fatal(err)
		}
		if out.Gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group still %s", out.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, step := range []string{teardown.StepGroups, teardown.StepSecret} {
		e.teardownStep(t, step)
	}
	if _, err := e.ec.DescribeCacheParameterGroups(ctx, &elasticache.DescribeCacheParameterGroupsInput{CacheParameterGroupName: aws.String("audio-pipeline-dev-redis7")}); failure.ErrorCode(err) != "CacheParameterGroupNotFound" {
		t.Errorf("parameter group left: %v", err)
	}
	d, err := e.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("audio-pipeline/dev/redis-endpoint")})
	if err != nil || d.DeletedDate == nil {
		t.Errorf("secret not scheduled for deletion: %+v %v", d, err)
	}
}

func TestKilledPrimaryFailsOverAndTheSecretFollows(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	_, ready, _, _ := e.provision(t)
	pid, ok := e.emu.ElastiCache().NodePID(ready.CurrentPrimary)
	if !ok {
		t.Fatalf("no process for %s", ready.CurrentPrimary)
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitPrimary(t, e, "audio-pipeline-dev-002")
	t.Logf("Describe shows the new primary %.2fs after kill -9", time.Since(killed).Seconds())
	if time.Since(killed) > 5*time.Second {
		t.Errorf("failover took %s, want within 5 s", time.Since(killed))
	}
	primary := e.client(ready.PrimaryEndpoint.Address + ":" + itoa(ready.PrimaryEndpoint.Port))
	defer primary.Close()
	var err error
	for i := 0; i < 50; i++ {
		if err = primary.Set(ctx, "celery-task-meta-1", "SUCCESS", time.Minute).Err(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("write through the primary endpoint after failover: %v", err)
	}
	e.waitReady(t)
	out, err := e.publishsecret.Handle(ctx, endpointsecret.Input{Profile: e.profile})
	if err != nil || !out.Changed || e.document(t).CurrentPrimaryNode != "audio-pipeline-dev-002" {
		t.Fatalf("secret after failover: %+v %v", out, err)
	}
}

func TestBadNetworkCreatesNothing(t *testing.T) {
	e := start(t)
	var m map[string]any
	_ = json.Unmarshal(e.profile, &m)
	m["network"].(map[string]any)["securityGroupIds"] = []string{"sg-0ec000000000f0001"}
	bad, _ := json.Marshal(m)
	_, err := e.createcluster.Handle(context.Background(), replicationgroup.Input{Profile: bad})
	if failure.NameOf(err) != failure.NetworkCheckFailed || !strings.Contains(err.Error(), "0.0.0.0/0") {
		t.Fatalf("err = %v", err)
	}
	out, err := e.ec.DescribeCacheParameterGroups(context.Background(), &elasticache.DescribeCacheParameterGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range out.CacheParameterGroups {
		if !strings.HasPrefix(aws.ToString(g.CacheParameterGroupName), "default.") {
			t.Errorf("created %s despite the failed pre-flight", aws.ToString(g.CacheParameterGroupName))
		}
	}
}

func (e *env) teardownStep(t *testing.T, step string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := e.teardown.Handle(context.Background(), teardown.Input{Step: step, Profile: e.profile})
		if err == nil {
			return
		}
		if failure.NameOf(err) != failure.RetryableAWSError || time.Now().After(deadline) {
			t.Fatalf("teardown %s: %v", step, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitPrimary(t *testing.T, e *env, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		g, err := replicationgroup.FindByID(context.Background(), e.ec, e.groupID)
		if err == nil && replicationgroup.TopologyOf(g).CurrentPrimary == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not become primary within 5 s", want)
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

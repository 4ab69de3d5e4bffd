package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec "github.com/aws/aws-sdk-go-v2/service/elasticache"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"github.com/redis/go-redis/v9"

	"github.com/ecprov/ecprov/emulator"
	emec2 "github.com/ecprov/ecprov/emulator/ec2"
	"github.com/ecprov/ecprov/emulator/server"
)

var ctx = context.Background()

func start(t *testing.T, opts emulator.Options) *emulator.Emulator {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.Logger == nil {
		var w io.Writer = io.Discard
		if os.Getenv("ECPROV_TEST_LOG") != "" {
			w = os.Stderr
		}
		opts.Logger = slog.New(slog.NewJSONHandler(w, nil))
	}
	e, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

// clients builds real SDK clients from the emulator's Env, as a user's
// process would.
type clients struct {
	ec  *ec.Client
	ec2 *awsec2.Client
	sm  *sm.Client
	cw  *cw.Client
}

func newClients(env map[string]string) clients {
	creds := credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], "")
	url, region := aws.String(env["AWS_ENDPOINT_URL"]), env["AWS_REGION"]
	return clients{
		ec:  ec.New(ec.Options{Region: region, Credentials: creds, BaseEndpoint: url}),
		ec2: awsec2.New(awsec2.Options{Region: region, Credentials: creds, BaseEndpoint: url}),
		sm:  sm.New(sm.Options{Region: region, Credentials: creds, BaseEndpoint: url}),
		cw:  cw.New(cw.Options{Region: region, Credentials: creds, BaseEndpoint: url}),
	}
}

func TestServesEveryService(t *testing.T) {
	e := start(t, emulator.Options{})
	env := e.Env()
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECPROV_CA_FILE"} {
		if env[k] == "" {
			t.Errorf("Env()[%s] is empty", k)
		}
	}
	if !strings.HasPrefix(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:") || env["AWS_REGION"] != "us-east-1" {
		t.Errorf("Env = %v", env)
	}
	if pem, err := os.ReadFile(env["ECPROV_CA_FILE"]); err != nil || !strings.Contains(string(pem), "BEGIN CERTIFICATE") {
		t.Errorf("CA file %s: %v", env["ECPROV_CA_FILE"], err)
	}

	c := newClients(env)
	calls := map[string]func() error{
		"elasticache DescribeReplicationGroups": func() error {
			_, err := c.ec.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{})
			return err
		},
		"ec2 DescribeSubnets": func() error {
			out, err := c.ec2.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{SubnetIds: []string{emec2.SubnetA1}})
			if err == nil && len(out.Subnets) != 1 {
				err = fmt.Errorf("%d subnets", len(out.Subnets))
			}
			return err
		},
		"secretsmanager CreateSecret": func() error {
			_, err := c.sm.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("audio-pipeline/dev/redis-endpoint"), SecretString: aws.String("{}")})
			return err
		},
		"cloudwatch DescribeAlarms": func() error {
			_, err := c.cw.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	resp, err := http.Get(env["AWS_ENDPOINT_URL"] + "/_emulator/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()

	// A second emulator on the same port fails with a clear error.
	port := env["AWS_ENDPOINT_URL"][strings.LastIndexByte(env["AWS_ENDPOINT_URL"], ':')+1:]
	var p int
	fmt.Sscan(port, &p)
	other, err := emulator.New(emulator.Options{Port: p, DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Start(); err == nil || !strings.Contains(err.Error(), "listen on 127.0.0.1:"+port) {
		t.Errorf("second Start on a taken port: %v", err)
	}
}

// TestEvictionsAlarm fills a real cache past maxmemory and expects the
// CloudWatch alarm ecprov creates (Evictions > 100, Sum over 60 s, one
// period) to go to ALARM. Periods are scaled down 20x to keep it short.
func TestEvictionsAlarm(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not on PATH")
	}
	e := start(t, emulator.Options{MetricsInterval: 100 * time.Millisecond, MetricsPeriodScale: 0.05})
	c := newClients(e.Env())

	if _, err := c.ec.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("ecprov-test"), CacheSubnetGroupDescription: aws.String("test"),
		SubnetIds: []string{emec2.SubnetA1, emec2.SubnetB1},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ec.CreateReplicationGroup(ctx, &ec.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String("evict"), ReplicationGroupDescription: aws.String("eviction test"),
		Engine: aws.String("redis"), EngineVersion: aws.String("7.0"), CacheNodeType: aws.String("cache.t4g.micro"),
		NumCacheClusters: aws.Int32(1), CacheSubnetGroupName: aws.String("ecprov-test"),
		SecurityGroupIds: []string{emec2.SecurityGroupRedis},
	}); err != nil {
		t.Fatal(err)
	}
	var endpoint string
	waitFor(t, 20*time.Second, "replication group available", func() bool {
		out, err := c.ec.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("evict")})
		if err != nil || aws.ToString(out.ReplicationGroups[0].Status) != "available" {
			return false
		}
		ep := out.ReplicationGroups[0].NodeGroups[0].PrimaryEndpoint
		endpoint = net.JoinHostPort(aws.ToString(ep.Address), fmt.Sprint(aws.ToInt32(ep.Port)))
		return true
	})
	pid, ok := e.ElastiCache().NodePID("evict-001")
	if !ok {
		t.Fatal("no process for node evict-001")
	}

	if _, err := c.cw.PutMetricAlarm(ctx, &cw.PutMetricAlarmInput{
		AlarmName: aws.String("evict-001-evictions"), Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String("Evictions"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String("evict-001")}},
		Statistic:  cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(100), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}); err != nil {
		t.Fatal(err)
	}

	// A t4g.micro holds 0.5 GB; filling that would dominate the test, so the
	// node's maxmemory is lowered to 4 MB first, with the emulator's own
	// access: clients may not CONFIG SET, as on ElastiCache. The eviction
	// path is the same.
	rdb := redis.NewClient(&redis.Options{Addr: endpoint, Protocol: 2})
	defer rdb.Close()
	for k, v := range map[string]string{"maxmemory": "4mb", "maxmemory-policy": "allkeys-lru"} {
		if _, err := e.ElastiCache().AdminCommand(ctx, "evict-001", "CONFIG", "SET", k, v); err != nil {
			t.Fatalf("CONFIG SET %s: %v", k, err)
		}
	}
	value := strings.Repeat("x", 8<<10)
	pipe := rdb.Pipeline()
	for i := range 2000 { // 16 MB into 4 MB
		pipe.Set(ctx, fmt.Sprintf("call:%d", i), value, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("filling the cache: %v", err)
	}
	evicted, err := rdb.Info(ctx, "stats").Result()
	if err != nil || !strings.Contains(evicted, "evicted_keys:") || strings.Contains(evicted, "evicted_keys:0\r") {
		t.Fatalf("no evictions on the node: %v", err)
	}

	var last cwtypes.MetricAlarm
	waitFor(t, 15*time.Second, "alarm in ALARM", func() bool {
		out, err := c.cw.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"evict-001-evictions"}})
		if err != nil || len(out.MetricAlarms) != 1 {
			return false
		}
		last = out.MetricAlarms[0]
		return last.StateValue == cwtypes.StateValueAlarm
	})
	if !strings.HasPrefix(aws.ToString(last.StateReason), "Threshold Crossed: 1 datapoint [") {
		t.Errorf("StateReason = %q", aws.ToString(last.StateReason))
	}

	// Close stops every redis-server the emulator started.
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "redis-server gone after Close", func() bool {
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	})
}

// TestElastiCacheFaults injects the fault of the emulator's documentation
// into the Query-protocol service: the SDK retries the throttled calls and
// succeeds, and AWS's error codes arrive intact.
func TestElastiCacheFaults(t *testing.T) {
	e := start(t, emulator.Options{})
	env := e.Env()
	attempts := 0
	client := ec.New(ec.Options{
		Region: env["AWS_REGION"], BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { attempts++; return 0, nil })
		}),
	})
	resp, err := http.Post(env["AWS_ENDPOINT_URL"]+"/_emulator/faults", "application/json",
		strings.NewReader(`{"service":"elasticache","operation":"CreateCacheSubnetGroup","count":2,"code":"Throttling","status":400}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("adding fault: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := client.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("g"), CacheSubnetGroupDescription: aws.String("g"), SubnetIds: []string{emec2.SubnetA1, emec2.SubnetB1},
	}); err != nil {
		t.Fatalf("CreateCacheSubnetGroup after 2 throttles: %v", err)
	}
	if attempts != 2 {
		t.Errorf("%d retries, want 2", attempts)
	}

	e.Router().Faults().Add(server.Fault{Service: "elasticache", Code: "InvalidParameterValue", Status: 400, Message: "injected"})
	_, err = client.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValue" || ae.ErrorMessage() != "injected" {
		t.Errorf("got %v, want InvalidParameterValue: injected", err)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within %s", what, timeout)
}

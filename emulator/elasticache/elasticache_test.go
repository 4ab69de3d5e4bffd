package elasticache_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ec "github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/redis/go-redis/v9"

	emec2 "github.com/ecprov/ecprov/emulator/ec2"
	"github.com/ecprov/ecprov/emulator/elasticache"
	"github.com/ecprov/ecprov/emulator/internal/awscli"
)

type env struct {
	svc    *elasticache.Service
	client *ec.Client
	url    string
}

func newEnv(t *testing.T, opts elasticache.Options) *env {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.Logger == nil {
		var w io.Writer = io.Discard
		if os.Getenv("ECPROV_TEST_LOG") != "" {
			w = os.Stderr
		}
		opts.Logger = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	svc, err := elasticache.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Error(err)
		}
	})
	client := ec.New(ec.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
	return &env{svc: svc, client: client, url: srv.URL}
}

func requireRedis(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not on PATH")
	}
}

// waitFor polls cond every 25 ms until it is true or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) time.Duration {
	t.Helper()
	start := time.Now()
	var lastErr error
	for time.Since(start) < timeout {
		ok, err := cond()
		if ok {
			return time.Since(start)
		}
		lastErr = err
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s (last error: %v)", what, timeout, lastErr)
	return 0
}

func (e *env) group(t *testing.T, id string) types.ReplicationGroup {
	t.Helper()
	out, err := e.client.DescribeReplicationGroups(context.Background(), &ec.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out.ReplicationGroups[0]
}

func (e *env) waitStatus(t *testing.T, id, status string, timeout time.Duration) time.Duration {
	t.Helper()
	return waitFor(t, timeout, "replication group "+id+" "+status, func() (bool, error) {
		out, err := e.client.DescribeReplicationGroups(context.Background(), &ec.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
		if err != nil {
			return false, err
		}
		got := aws.ToString(out.ReplicationGroups[0].Status)
		return got == status, fmt.Errorf("status %s", got)
	})
}

func roles(g types.ReplicationGroup) map[string]string {
	out := map[string]string{}
	for _, m := range g.NodeGroups[0].NodeGroupMembers {
		out[aws.ToString(m.CacheClusterId)] = aws.ToString(m.CurrentRole)
	}
	return out
}

func redisClient(e *env, ep *types.Endpoint) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:         fmt.Sprintf("%s:%d", aws.ToString(ep.Address), aws.ToInt32(ep.Port)),
		TLSConfig:    e.svc.CA().ClientTLSConfig(),
		DialTimeout:  time.Second,
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
		MaxRetries:   -1,
		Protocol:     2,
	})
}

func configGet(t *testing.T, c *redis.Client, name string) string {
	t.Helper()
	v, err := c.ConfigGet(context.Background(), name).Result()
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", name, err)
	}
	return v[name]
}

func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

func eventMessages(t *testing.T, e *env, sourceType types.SourceType, id string) []string {
	t.Helper()
	out, err := e.client.DescribeEvents(context.Background(), &ec.DescribeEventsInput{SourceType: sourceType, SourceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for i := len(out.Events) - 1; i >= 0; i-- { // oldest first
		msgs = append(msgs, aws.ToString(out.Events[i].Message))
	}
	return msgs
}

// TestReplicationGroupLifecycle drives a 2-node TLS group through the whole
// life ecprov needs: create, parameters on the servers, automatic failover
// after kill -9, TestFailover, snapshot, modify, delete.
func TestReplicationGroupLifecycle(t *testing.T) {
	requireRedis(t)
	var noticesSeen []elasticache.Notice
	notified := make(chan elasticache.Notice, 100)
	e := newEnv(t, elasticache.Options{Notify: func(topic string, n elasticache.Notice) { notified <- n }})
	ctx := context.Background()
	const topic = "arn:aws:sns:us-east-1:000000000000:ecprov-dev-events"

	// Parameter group with the ecprov settings.
	if _, err := e.client.CreateCacheParameterGroup(ctx, &ec.CreateCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("ecprov-dev-redis7"), CacheParameterGroupFamily: aws.String("redis7"), Description: aws.String("ecprov dev"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ModifyCacheParameterGroup(ctx, &ec.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("ecprov-dev-redis7"),
		ParameterNameValues: []types.ParameterNameValue{
			{ParameterName: aws.String("timeout"), ParameterValue: aws.String("300")},
			{ParameterName: aws.String("maxmemory-policy"), ParameterValue: aws.String("allkeys-lru")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("ecprov-dev"), CacheSubnetGroupDescription: aws.String("private subnets"),
		SubnetIds: []string{emec2.SubnetA1, emec2.SubnetB1},
	}); err != nil {
		t.Fatal(err)
	}

	created, err := e.client.CreateReplicationGroup(ctx, &ec.CreateReplicationGroupInput{
		ReplicationGroupId:          aws.String("EcProv-Dev"),
		ReplicationGroupDescription: aws.String("ecprov dev cache"),
		Engine:                      aws.String("redis"),
		EngineVersion:               aws.String("7.0"),
		CacheNodeType:               aws.String("cache.t4g.micro"),
		NumCacheClusters:            aws.Int32(2),
		AutomaticFailoverEnabled:    aws.Bool(true),
		MultiAZEnabled:              aws.Bool(true),
		AtRestEncryptionEnabled:     aws.Bool(true),
		TransitEncryptionEnabled:    aws.Bool(true),
		TransitEncryptionMode:       types.TransitEncryptionModeRequired,
		CacheParameterGroupName:     aws.String("ecprov-dev-redis7"),
		CacheSubnetGroupName:        aws.String("ecprov-dev"),
		SecurityGroupIds:            []string{emec2.SecurityGroupRedis},
		SnapshotRetentionLimit:      aws.Int32(7),
		SnapshotWindow:              aws.String("03:00-04:00"),
		PreferredMaintenanceWindow:  aws.String("sun:05:00-sun:06:00"),
		NotificationTopicArn:        aws.String(topic),
		Tags:                        []types.Tag{{Key: aws.String("Project"), Value: aws.String("ecprov")}, {Key: aws.String("Environment"), Value: aws.String("dev")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	const id = "ecprov-dev"
	if got := aws.ToString(created.ReplicationGroup.ReplicationGroupId); got != id {
		t.Fatalf("id = %q, want it stored lower-case as %q", got, id)
	}
	if got := aws.ToString(created.ReplicationGroup.Status); got != "creating" {
		t.Fatalf("status after create = %q, want creating", got)
	}
	took := e.waitStatus(t, id, "available", 20*time.Second)
	t.Logf("2-node TLS replication group available after %s", took)

	g := e.group(t, id)
	if !slices.Equal(g.MemberClusters, []string{"ecprov-dev-001", "ecprov-dev-002"}) {
		t.Fatalf("MemberClusters = %v", g.MemberClusters)
	}
	if r := roles(g); r["ecprov-dev-001"] != "primary" || r["ecprov-dev-002"] != "replica" {
		t.Fatalf("roles = %v", r)
	}
	if g.AutomaticFailover != types.AutomaticFailoverStatusEnabled || g.MultiAZ != types.MultiAZStatusEnabled ||
		!aws.ToBool(g.TransitEncryptionEnabled) || g.TransitEncryptionMode != types.TransitEncryptionModeRequired ||
		!aws.ToBool(g.AtRestEncryptionEnabled) || aws.ToBool(g.ClusterEnabled) || aws.ToInt32(g.SnapshotRetentionLimit) != 7 ||
		aws.ToString(g.SnapshotWindow) != "03:00-04:00" || aws.ToString(g.CacheNodeType) != "cache.t4g.micro" ||
		aws.ToString(g.ARN) != "arn:aws:elasticache:us-east-1:000000000000:replicationgroup:ecprov-dev" {
		t.Fatalf("group settings: %+v", g)
	}
	ng := g.NodeGroups[0]
	if ng.PrimaryEndpoint == nil || ng.ReaderEndpoint == nil || aws.ToString(ng.PrimaryEndpoint.Address) != "127.0.0.1" {
		t.Fatalf("endpoints: primary %+v reader %+v", ng.PrimaryEndpoint, ng.ReaderEndpoint)
	}
	zones := map[string]bool{}
	for _, m := range ng.NodeGroupMembers {
		zones[aws.ToString(m.PreferredAvailabilityZone)] = true
		if m.ReadEndpoint == nil || aws.ToInt32(m.ReadEndpoint.Port) == 0 {
			t.Fatalf("member %s has no ReadEndpoint", aws.ToString(m.CacheClusterId))
		}
	}
	if !zones["us-east-1a"] || !zones["us-east-1b"] {
		t.Fatalf("zones = %v, want us-east-1a and us-east-1b", zones)
	}

	// The servers: TLS only, parameters applied, linked.
	primary := redisClient(e, ng.PrimaryEndpoint)
	defer primary.Close()
	if err := primary.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING over TLS through the primary endpoint: %v", err)
	}
	for name, want := range map[string]string{"timeout": "300", "maxmemory-policy": "allkeys-lru", "maxmemory": "536870912", "tcp-keepalive": "300", "maxmemory-samples": "3"} {
		if got := configGet(t, primary, name); got != want {
			t.Errorf("CONFIG GET %s = %q, want %q", name, got, want)
		}
	}
	info, err := primary.Info(ctx, "replication").Result()
	if err != nil || !strings.Contains(info, "connected_slaves:1") || !strings.Contains(info, "role:master") {
		t.Fatalf("INFO replication = %q, %v", info, err)
	}
	plain := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", aws.ToInt32(ng.PrimaryEndpoint.Port)), DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
	if err := plain.Ping(ctx).Err(); err == nil {
		t.Fatal("a plaintext PING succeeded on a TLS-required group")
	}
	plain.Close()
	if err := primary.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatal(err)
	}
	reader := redisClient(e, ng.ReaderEndpoint)
	defer reader.Close()
	waitFor(t, 5*time.Second, "write replicated to the reader endpoint", func() (bool, error) {
		v, err := reader.Get(ctx, "greeting").Result()
		return v == "hello", err
	})
	if err := reader.Set(ctx, "x", "y", 0).Err(); err == nil || !strings.Contains(err.Error(), "READONLY") {
		t.Fatalf("write on the reader endpoint: err = %v, want READONLY", err)
	}

	// A parameter change reaches every node.
	if _, err := e.client.ModifyCacheParameterGroup(ctx, &ec.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("ecprov-dev-redis7"),
		ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String("timeout"), ParameterValue: aws.String("600")}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, m := range ng.NodeGroupMembers {
		c := redisClient(e, m.ReadEndpoint)
		if got := configGet(t, c, "timeout"); got != "600" {
			t.Errorf("%s: timeout after ModifyCacheParameterGroup = %q, want 600", aws.ToString(m.CacheClusterId), got)
		}
		c.Close()
	}

	// DescribeCacheClusters carries what DescribeReplicationGroups does not.
	clusters, err := e.client.DescribeCacheClusters(ctx, &ec.DescribeCacheClustersInput{ShowCacheNodeInfo: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(clusters.CacheClusters) != 2 {
		t.Fatalf("DescribeCacheClusters returned %d clusters", len(clusters.CacheClusters))
	}
	for _, c := range clusters.CacheClusters {
		if aws.ToString(c.EngineVersion) != "7.0.7" || aws.ToString(c.CacheParameterGroup.CacheParameterGroupName) != "ecprov-dev-redis7" ||
			aws.ToString(c.NotificationConfiguration.TopicArn) != topic || aws.ToString(c.PreferredMaintenanceWindow) != "sun:05:00-sun:06:00" ||
			len(c.CacheNodes) != 1 || c.CacheNodes[0].Endpoint == nil || aws.ToString(c.CacheSubnetGroupName) != "ecprov-dev" ||
			len(c.SecurityGroups) != 1 || aws.ToString(c.SecurityGroups[0].SecurityGroupId) != emec2.SecurityGroupRedis ||
			aws.ToString(c.ReplicationGroupId) != id {
			t.Fatalf("cache cluster %s: %+v", aws.ToString(c.CacheClusterId), c)
		}
	}
	tags, err := e.client.ListTagsForResource(ctx, &ec.ListTagsForResourceInput{ResourceName: g.ARN})
	if err != nil || len(tags.TagList) != 2 {
		t.Fatalf("tags = %+v, %v", tags, err)
	}

	awsCLIDescribe(t, e, id)

	// kill -9 the primary: the replica takes over within 5 s.
	pid, ok := e.svc.NodePID("ecprov-dev-001")
	if !ok {
		t.Fatal("no pid for ecprov-dev-001")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitFor(t, 5*time.Second, "ecprov-dev-002 promoted", func() (bool, error) {
		return roles(e.group(t, id))["ecprov-dev-002"] == "primary", nil
	})
	waitFor(t, 5*time.Second-time.Since(killed), "write through the primary endpoint after failover", func() (bool, error) {
		c := redisClient(e, ng.PrimaryEndpoint)
		defer c.Close()
		return c.Set(ctx, "after-failover", "1", 0).Err() == nil, nil
	})
	t.Logf("failover after kill -9: writes accepted %s after the kill", time.Since(killed))
	waitFor(t, 10*time.Second, "ecprov-dev-001 recovered", func() (bool, error) {
		msgs := eventMessages(t, e, types.SourceTypeCacheCluster, "ecprov-dev-001")
		return slices.Contains(msgs, "Finished recovery for cache nodes 0001"), nil
	})
	if newPID, ok := e.svc.NodePID("ecprov-dev-001"); !ok || newPID == pid {
		t.Fatalf("ecprov-dev-001 not restarted (pid %d, ok %v)", newPID, ok)
	}
	if v, err := primary.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		// primary is a pooled client: its old connection was dropped, so retry once.
		if v, err = primary.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
			t.Fatalf("data after failover: %q, %v", v, err)
		}
	}

	// TestFailover swaps the roles back and records AWS's events.
	if _, err := e.client.TestFailover(ctx, &ec.TestFailoverInput{ReplicationGroupId: aws.String(id), NodeGroupId: aws.String("0001")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "TestFailover completed", func() (bool, error) {
		msgs := eventMessages(t, e, types.SourceTypeCacheCluster, "ecprov-dev-002")
		return slices.Contains(msgs, "Finished recovery for cache nodes 0001"), nil
	})
	if r := roles(e.group(t, id)); r["ecprov-dev-001"] != "primary" || r["ecprov-dev-002"] != "replica" {
		t.Fatalf("roles after TestFailover = %v", r)
	}
	rgEvents := eventMessages(t, e, types.SourceTypeReplicationGroup, id)
	wantOrder := []string{
		"Replication group ecprov-dev created",
		"Failover from primary node ecprov-dev-001 to replica node ecprov-dev-002 completed",
		"Test Failover API called for node group 0001",
		"Failover from primary node ecprov-dev-002 to replica node ecprov-dev-001 completed",
	}
	if !inOrder(rgEvents, wantOrder) {
		t.Fatalf("replication group events = %q, want in order %q", rgEvents, wantOrder)
	}
	ccEvents := eventMessages(t, e, types.SourceTypeCacheCluster, "ecprov-dev-002")
	if !inOrder(ccEvents, []string{"Recovering cache nodes 0001", "Finished recovery for cache nodes 0001"}) {
		t.Fatalf("ecprov-dev-002 events = %q", ccEvents)
	}
	waitFor(t, 5*time.Second, "a write after TestFailover", func() (bool, error) {
		c := redisClient(e, ng.PrimaryEndpoint)
		defer c.Close()
		return c.Set(ctx, "after-test-failover", "1", 0).Err() == nil, nil
	})
	var failovers []string
	for _, n := range e.svc.Outbox() {
		if n.Event == "ElastiCache:FailoverComplete" {
			if n.TopicARN != topic || n.ReplicationGroupID != id {
				t.Fatalf("notice %+v", n)
			}
			failovers = append(failovers, n.CacheClusterID)
		}
	}
	if !slices.Equal(failovers, []string{"ecprov-dev-002", "ecprov-dev-001"}) {
		t.Fatalf("FailoverComplete notices for %v", failovers)
	}
	for len(noticesSeen) < len(e.svc.Outbox()) {
		select {
		case n := <-notified:
			noticesSeen = append(noticesSeen, n)
		case <-time.After(2 * time.Second):
			t.Fatalf("Notify saw %d notices, Outbox has %d", len(noticesSeen), len(e.svc.Outbox()))
		}
	}
	var msg map[string]string
	if err := json.Unmarshal([]byte(failoverNotice(e.svc.Outbox()).Message()), &msg); err != nil || msg["ElastiCache:FailoverComplete"] != id {
		t.Fatalf("notice message %v, %v", msg, err)
	}

	// A manual snapshot is taken from the replica.
	if _, err := e.client.CreateSnapshot(ctx, &ec.CreateSnapshotInput{ReplicationGroupId: aws.String(id), SnapshotName: aws.String("ecprov-dev-manual")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "snapshot available", func() (bool, error) {
		out, err := e.client.DescribeSnapshots(ctx, &ec.DescribeSnapshotsInput{SnapshotName: aws.String("ecprov-dev-manual")})
		if err != nil {
			return false, err
		}
		return aws.ToString(out.Snapshots[0].SnapshotStatus) == "available", nil
	})
	e.waitStatus(t, id, "available", 5*time.Second)

	// Modify: node type and retention, applied immediately.
	mod, err := e.client.ModifyReplicationGroup(ctx, &ec.ModifyReplicationGroupInput{
		ReplicationGroupId: aws.String(id), CacheNodeType: aws.String("cache.t4g.small"),
		SnapshotRetentionLimit: aws.Int32(5), ApplyImmediately: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(mod.ReplicationGroup.Status); got != "modifying" {
		t.Fatalf("status after modify = %q, want modifying", got)
	}
	e.waitStatus(t, id, "available", 5*time.Second)
	g = e.group(t, id)
	if aws.ToString(g.CacheNodeType) != "cache.t4g.small" || aws.ToInt32(g.SnapshotRetentionLimit) != 5 {
		t.Fatalf("after modify: node type %s retention %d", aws.ToString(g.CacheNodeType), aws.ToInt32(g.SnapshotRetentionLimit))
	}
	c := redisClient(e, ng.PrimaryEndpoint)
	gib := float64(1 << 30)
	if got := configGet(t, c, "maxmemory"); got != strconv.FormatInt(int64(1.37*gib), 10) {
		t.Fatalf("maxmemory after resize = %s", got)
	}
	c.Close()

	// Delete with a final snapshot: processes go away.
	var pids []int
	for _, m := range []string{"ecprov-dev-001", "ecprov-dev-002"} {
		p, _ := e.svc.NodePID(m)
		pids = append(pids, p)
	}
	del, err := e.client.DeleteReplicationGroup(ctx, &ec.DeleteReplicationGroupInput{ReplicationGroupId: aws.String(id), FinalSnapshotIdentifier: aws.String("ecprov-dev-final")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(del.ReplicationGroup.Status); got != "deleting" {
		t.Fatalf("status after delete = %q", got)
	}
	waitFor(t, 10*time.Second, "group gone", func() (bool, error) {
		_, err := e.client.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
		var nf *types.ReplicationGroupNotFoundFault
		return errors.As(err, &nf), err
	})
	for _, p := range pids {
		if processAlive(p) {
			t.Fatalf("redis-server pid %d still alive after delete", p)
		}
	}
	snaps, err := e.client.DescribeSnapshots(ctx, &ec.DescribeSnapshotsInput{ReplicationGroupId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range snaps.Snapshots {
		names = append(names, aws.ToString(s.SnapshotName)+"="+aws.ToString(s.SnapshotStatus))
	}
	if !slices.Equal(names, []string{"ecprov-dev-final=available", "ecprov-dev-manual=available"}) {
		t.Fatalf("snapshots = %v", names)
	}
	if _, err := e.client.DeleteCacheSubnetGroup(ctx, &ec.DeleteCacheSubnetGroupInput{CacheSubnetGroupName: aws.String("ecprov-dev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteCacheParameterGroup(ctx, &ec.DeleteCacheParameterGroupInput{CacheParameterGroupName: aws.String("ecprov-dev-redis7")}); err != nil {
		t.Fatal(err)
	}
}

func failoverNotice(ns []elasticache.Notice) elasticache.Notice {
	for _, n := range ns {
		if n.Event == "ElastiCache:FailoverComplete" {
			return n
		}
	}
	return elasticache.Notice{}
}

// inOrder reports whether want appears in got as a subsequence.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// awsCLIDescribe checks that the AWS CLI (botocore's parser) reads the
// responses; skipped when aws is not installed.
func awsCLIDescribe(t *testing.T, e *env, id string) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Log("aws CLI not on PATH; skipping the CLI check")
		return
	}
	run := func(args ...string) ([]byte, error) { return awscli.Command(e.url, args...).CombinedOutput() }
	out, err := run("elasticache", "describe-replication-groups", "--replication-group-id", id)
	if err != nil {
		t.Fatalf("aws elasticache describe-replication-groups: %v\n%s", err, out)
	}
	var got struct {
		ReplicationGroups []struct {
			ReplicationGroupId string
			Status             string
			MemberClusters     []string
			NodeGroups         []struct {
				PrimaryEndpoint struct {
					Address string
					Port    int
				}
				NodeGroupMembers []struct{ CacheClusterId, CurrentRole string }
			}
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("CLI output: %v\n%s", err, out)
	}
	rg := got.ReplicationGroups
	if len(rg) != 1 || rg[0].ReplicationGroupId != id || rg[0].Status != "available" || len(rg[0].MemberClusters) != 2 ||
		rg[0].NodeGroups[0].PrimaryEndpoint.Port == 0 || rg[0].NodeGroups[0].NodeGroupMembers[0].CurrentRole != "primary" {
		t.Fatalf("CLI parsed %+v", rg)
	}
	out, err = run("elasticache", "describe-cache-clusters", "--show-cache-node-info")
	if err != nil || !strings.Contains(string(out), `"EngineVersion": "7.0.7"`) {
		t.Fatalf("aws elasticache describe-cache-clusters: %v\n%s", err, out)
	}
	out, err = run("elasticache", "describe-replication-groups", "--replication-group-id", "nope")
	if err == nil || !strings.Contains(string(out), "ReplicationGroupNotFoundFault") {
		t.Fatalf("CLI error for a missing group: %v\n%s", err, out)
	}
}

func killPID(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

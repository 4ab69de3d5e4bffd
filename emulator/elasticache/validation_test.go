package elasticache_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec "github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"
	"github.com/redis/go-redis/v9"

	emec2 "github.com/ecprov/ecprov/emulator/ec2"
	"github.com/ecprov/ecprov/emulator/elasticache"
)

// validRG is a request that passes every check; cases change one field.
func validRG(mut func(*ec.CreateReplicationGroupInput)) *ec.CreateReplicationGroupInput {
	in := &ec.CreateReplicationGroupInput{
		ReplicationGroupId:          aws.String("valid"),
		ReplicationGroupDescription: aws.String("d"),
		CacheNodeType:               aws.String("cache.t4g.micro"),
		NumCacheClusters:            aws.Int32(2),
		AutomaticFailoverEnabled:    aws.Bool(true),
		MultiAZEnabled:              aws.Bool(true),
		TransitEncryptionEnabled:    aws.Bool(true),
		CacheSubnetGroupName:        aws.String("subnets"),
		SnapshotWindow:              aws.String("03:00-04:00"),
		PreferredMaintenanceWindow:  aws.String("sun:05:00-sun:06:00"),
	}
	mut(in)
	return in
}

// TestErrorsAsSDKTypes checks that each rule fails with the code the SDK
// turns into the right typed error.
func TestErrorsAsSDKTypes(t *testing.T) {
	e := newEnv(t, elasticache.Options{})
	ctx := context.Background()
	if _, err := e.client.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("subnets"), CacheSubnetGroupDescription: aws.String("d"), SubnetIds: []string{emec2.SubnetA1, emec2.SubnetB1},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateCacheParameterGroup(ctx, &ec.CreateCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("mine"), CacheParameterGroupFamily: aws.String("redis7"), Description: aws.String("d"),
	}); err != nil {
		t.Fatal(err)
	}
	create := func(mut func(*ec.CreateReplicationGroupInput)) func() error {
		return func() error { _, err := e.client.CreateReplicationGroup(ctx, validRG(mut)); return err }
	}
	modifyParams := func(name, value string) func() error {
		return func() error {
			_, err := e.client.ModifyCacheParameterGroup(ctx, &ec.ModifyCacheParameterGroupInput{
				CacheParameterGroupName: aws.String("mine"),
				ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String(name), ParameterValue: aws.String(value)}},
			})
			return err
		}
	}
	var (
		invalidValue     *types.InvalidParameterValueException
		invalidCombo     *types.InvalidParameterCombinationException
		rgNotFound       *types.ReplicationGroupNotFoundFault
		pgNotFound       *types.CacheParameterGroupNotFoundFault
		pgExists         *types.CacheParameterGroupAlreadyExistsFault
		pgState          *types.InvalidCacheParameterGroupStateFault
		sgNotFound       *types.CacheSubnetGroupNotFoundFault
		sgExists         *types.CacheSubnetGroupAlreadyExistsFault
		invalidSubnet    *types.InvalidSubnet
		invalidARN       *types.InvalidARNFault
		snapshotNotFound *types.SnapshotNotFoundFault
		clusterNotFound  *types.CacheClusterNotFoundFault
	)
	tests := []struct {
		name    string
		call    func() error
		target  any
		message string // a fragment the message must hold
	}{
		{"id starts with digit", create(func(in *ec.CreateReplicationGroupInput) { in.ReplicationGroupId = aws.String("1abc") }), &invalidValue, "begin with a letter"},
		{"id with double hyphen", create(func(in *ec.CreateReplicationGroupInput) { in.ReplicationGroupId = aws.String("a--b") }), &invalidValue, "two consecutive hyphens"},
		{"id with trailing hyphen", create(func(in *ec.CreateReplicationGroupInput) { in.ReplicationGroupId = aws.String("abc-") }), &invalidValue, "end with a hyphen"},
		{"id too long", create(func(in *ec.CreateReplicationGroupInput) { in.ReplicationGroupId = aws.String(strings.Repeat("a", 41)) }), &invalidValue, "1 to 40"},
		{"failover with one node", create(func(in *ec.CreateReplicationGroupInput) { in.NumCacheClusters = aws.Int32(1); in.MultiAZEnabled = nil }), &invalidCombo, "at least 2 cache clusters"},
		{"multi-az without failover", create(func(in *ec.CreateReplicationGroupInput) { in.AutomaticFailoverEnabled = aws.Bool(false) }), &invalidCombo, "automatic failover"},
		{"transit without subnet group", create(func(in *ec.CreateReplicationGroupInput) { in.CacheSubnetGroupName = nil }), &invalidCombo, "CacheSubnetGroupName"},
		{"mode without transit", create(func(in *ec.CreateReplicationGroupInput) {
			in.TransitEncryptionEnabled = nil
			in.TransitEncryptionMode = types.TransitEncryptionModeRequired
		}), &invalidCombo, "TransitEncryptionEnabled"},
		{"snapshot window 30 min", create(func(in *ec.CreateReplicationGroupInput) { in.SnapshotWindow = aws.String("03:00-03:30") }), &invalidValue, "at least 60"},
		{"maintenance window 30 min", create(func(in *ec.CreateReplicationGroupInput) {
			in.PreferredMaintenanceWindow = aws.String("sun:05:00-sun:05:30")
		}), &invalidValue, "at least 60"},
		{"windows overlap", create(func(in *ec.CreateReplicationGroupInput) {
			in.PreferredMaintenanceWindow = aws.String("mon:03:30-mon:04:30")
		}), &invalidCombo, "overlap"},
		{"windows overlap across midnight", create(func(in *ec.CreateReplicationGroupInput) {
			in.SnapshotWindow = aws.String("23:30-00:30")
			in.PreferredMaintenanceWindow = aws.String("tue:00:00-tue:01:00")
		}), &invalidCombo, "overlap"},
		// A node's port is a TCP port (checkPort).
		{"port 0", create(func(in *ec.CreateReplicationGroupInput) { in.Port = aws.Int32(0) }), &invalidValue, "Port 0 is not a valid port number; use 1 to 65535"},
		{"port -5", create(func(in *ec.CreateReplicationGroupInput) { in.Port = aws.Int32(-5) }), &invalidValue, "Port -5 is not a valid port number; use 1 to 65535"},
		{"port 70000", create(func(in *ec.CreateReplicationGroupInput) { in.Port = aws.Int32(70000) }), &invalidValue, "Port 70000 is not a valid port number; use 1 to 65535"},
		// botocore elasticache 2015-02-02: TransitEncryptionMode enum, AllowedNodeGroupId \d+ of 1 to 4.
		{"transit mode outside the enum", create(func(in *ec.CreateReplicationGroupInput) { in.TransitEncryptionMode = "sometimes" }), &invalidValue,
			"Value 'sometimes' at 'transitEncryptionMode' failed to satisfy constraint: Member must satisfy enum value set: [preferred, required]"},
		{"node group id not digits", func() error {
			_, err := e.client.TestFailover(ctx, &ec.TestFailoverInput{ReplicationGroupId: aws.String("valid"), NodeGroupId: aws.String("one")})
			return err
		}, &invalidValue, "Value 'one' at 'nodeGroupId' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d+"},
		{"retention 36", create(func(in *ec.CreateReplicationGroupInput) { in.SnapshotRetentionLimit = aws.Int32(36) }), &invalidValue, "0 (off) to 35"},
		{"engine 6.2", create(func(in *ec.CreateReplicationGroupInput) { in.EngineVersion = aws.String("6.2") }), &invalidValue, "7.0"},
		{"unknown node type", create(func(in *ec.CreateReplicationGroupInput) { in.CacheNodeType = aws.String("cache.x1.huge") }), &invalidValue, "cache.t4g.micro"},
		{"unknown parameter group", create(func(in *ec.CreateReplicationGroupInput) { in.CacheParameterGroupName = aws.String("nope") }), &pgNotFound, "nope"},
		{"unknown subnet group", create(func(in *ec.CreateReplicationGroupInput) { in.CacheSubnetGroupName = aws.String("nope") }), &sgNotFound, "nope"},
		{"security group of another VPC is unknown", create(func(in *ec.CreateReplicationGroupInput) { in.SecurityGroupIds = []string{"sg-0ec0000000000dead"} }), &invalidValue, "sg-0ec0000000000dead"},
		{"auth token is not emulated", create(func(in *ec.CreateReplicationGroupInput) { in.AuthToken = aws.String("a-long-enough-token-1234") }), &invalidValue, "AuthToken"},
		{"bad topic ARN", create(func(in *ec.CreateReplicationGroupInput) { in.NotificationTopicArn = aws.String("topic") }), &invalidValue, "SNS topic ARN"},
		{"missing group", func() error {
			_, err := e.client.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("missing")})
			return err
		}, &rgNotFound, "missing"},
		{"test failover on missing group", func() error {
			_, err := e.client.TestFailover(ctx, &ec.TestFailoverInput{ReplicationGroupId: aws.String("missing"), NodeGroupId: aws.String("0001")})
			return err
		}, &rgNotFound, "missing"},
		{"parameter group family", func() error {
			_, err := e.client.CreateCacheParameterGroup(ctx, &ec.CreateCacheParameterGroupInput{
				CacheParameterGroupName: aws.String("six"), CacheParameterGroupFamily: aws.String("redis6.x"), Description: aws.String("d"),
			})
			return err
		}, &invalidValue, "redis7"},
		{"parameter group exists", func() error {
			_, err := e.client.CreateCacheParameterGroup(ctx, &ec.CreateCacheParameterGroupInput{
				CacheParameterGroupName: aws.String("MINE"), CacheParameterGroupFamily: aws.String("redis7"), Description: aws.String("d"),
			})
			return err
		}, &pgExists, "mine"},
		{"bad maxmemory-policy", modifyParams("maxmemory-policy", "lru-please"), &invalidValue, "allkeys-lru"},
		{"timeout below 20", modifyParams("timeout", "5"), &invalidValue, "0,20-"},
		{"timeout not a number", modifyParams("timeout", "soon"), &invalidValue, "integer"},
		{"unknown parameter", modifyParams("maxmemory-polcy", "allkeys-lru"), &invalidValue, "Unknown parameter"},
		{"bad keyspace events", modifyParams("notify-keyspace-events", "Q"), &invalidValue, "event class"},
		{"non-modifiable parameter", modifyParams("cluster-enabled", "yes"), &invalidValue, "not modifiable"},
		{"modify default group", func() error {
			_, err := e.client.ModifyCacheParameterGroup(ctx, &ec.ModifyCacheParameterGroupInput{
				CacheParameterGroupName: aws.String("default.redis7"),
				ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String("timeout"), ParameterValue: aws.String("300")}},
			})
			return err
		}, &invalidValue, "default parameter group"},
		{"delete default group", func() error {
			_, err := e.client.DeleteCacheParameterGroup(ctx, &ec.DeleteCacheParameterGroupInput{CacheParameterGroupName: aws.String("default.redis7")})
			return err
		}, &pgState, "cannot be deleted"},
		{"describe missing parameter group", func() error {
			_, err := e.client.DescribeCacheParameters(ctx, &ec.DescribeCacheParametersInput{CacheParameterGroupName: aws.String("nope")})
			return err
		}, &pgNotFound, "nope"},
		{"subnets in two VPCs", func() error {
			_, err := e.client.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
				CacheSubnetGroupName: aws.String("split"), CacheSubnetGroupDescription: aws.String("d"), SubnetIds: []string{emec2.SubnetA1, emec2.SubnetOtherC},
			})
			return err
		}, &invalidSubnet, "same VPC"},
		{"unknown subnet", func() error {
			_, err := e.client.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
				CacheSubnetGroupName: aws.String("ghost"), CacheSubnetGroupDescription: aws.String("d"), SubnetIds: []string{"subnet-0ec0000000000ffff"},
			})
			return err
		}, &invalidSubnet, "does not exist"},
		{"subnet group exists", func() error {
			_, err := e.client.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
				CacheSubnetGroupName: aws.String("subnets"), CacheSubnetGroupDescription: aws.String("d"), SubnetIds: []string{emec2.SubnetA1},
			})
			return err
		}, &sgExists, "subnets"},
		{"tags of a bad ARN", func() error {
			_, err := e.client.ListTagsForResource(ctx, &ec.ListTagsForResourceInput{ResourceName: aws.String("not-an-arn")})
			return err
		}, &invalidARN, "not a valid"},
		{"tags of a missing group", func() error {
			_, err := e.client.ListTagsForResource(ctx, &ec.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:elasticache:us-east-1:000000000000:replicationgroup:missing")})
			return err
		}, &rgNotFound, "missing"},
		{"missing snapshot", func() error {
			_, err := e.client.DescribeSnapshots(ctx, &ec.DescribeSnapshotsInput{SnapshotName: aws.String("nope")})
			return err
		}, &snapshotNotFound, "nope"},
		{"missing cache cluster", func() error {
			_, err := e.client.DescribeCacheClusters(ctx, &ec.DescribeCacheClustersInput{CacheClusterId: aws.String("nope-001")})
			return err
		}, &clusterNotFound, "nope-001"},
		{"bad MaxRecords", func() error {
			_, err := e.client.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{MaxRecords: aws.Int32(5)})
			return err
		}, &invalidValue, "between 20 and 100"},
		{"reset with both", func() error {
			_, err := e.client.ResetCacheParameterGroup(ctx, &ec.ResetCacheParameterGroupInput{
				CacheParameterGroupName: aws.String("mine"), ResetAllParameters: aws.Bool(true),
				ParameterNameValues: []types.ParameterNameValue{{ParameterName: aws.String("timeout")}},
			})
			return err
		}, &invalidCombo, "not both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("call succeeded")
			}
			if !errors.As(err, tc.target) {
				t.Fatalf("err = %v (%T), want %T", err, err, tc.target)
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || !strings.Contains(ae.ErrorMessage(), tc.message) {
				t.Fatalf("message %q does not mention %q", ae.ErrorMessage(), tc.message)
			}
		})
	}
	// None of the rejected creates left a group behind.
	out, err := e.client.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{})
	if err != nil || len(out.ReplicationGroups) != 0 {
		t.Fatalf("groups after rejected creates: %d, %v", len(out.ReplicationGroups), err)
	}
}

func TestDescribeCacheParameters(t *testing.T) {
	e := newEnv(t, elasticache.Options{})
	ctx := context.Background()
	params := func(group string, source string) map[string]types.Parameter {
		in := &ec.DescribeCacheParametersInput{CacheParameterGroupName: aws.String(group)}
		if source != "" {
			in.Source = aws.String(source)
		}
		out := map[string]types.Parameter{}
		p := ec.NewDescribeCacheParametersPaginator(e.client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, prm := range page.Parameters {
				out[aws.ToString(prm.ParameterName)] = prm
			}
		}
		return out
	}
	def := params("default.redis7", "")
	for _, name := range []string{"timeout", "maxmemory-policy", "notify-keyspace-events", "maxmemory-samples", "tcp-keepalive"} {
		p, ok := def[name]
		if !ok {
			t.Fatalf("default.redis7 lacks %s", name)
		}
		if aws.ToString(p.Source) != "system" || p.ChangeType != types.ChangeTypeImmediate || !aws.ToBool(p.IsModifiable) || aws.ToString(p.DataType) == "" {
			t.Fatalf("%s = %+v", name, p)
		}
	}
	if got := aws.ToString(def["maxmemory-policy"].ParameterValue); got != "volatile-lru" {
		t.Fatalf("default maxmemory-policy = %q, want volatile-lru as on ElastiCache", got)
	}
	if !strings.Contains(aws.ToString(def["maxmemory-policy"].AllowedValues), "allkeys-lru") {
		t.Fatalf("AllowedValues = %q", aws.ToString(def["maxmemory-policy"].AllowedValues))
	}

	if _, err := e.client.CreateCacheParameterGroup(ctx, &ec.CreateCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("mine"), CacheParameterGroupFamily: aws.String("redis7"), Description: aws.String("d"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ModifyCacheParameterGroup(ctx, &ec.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("mine"),
		ParameterNameValues: []types.ParameterNameValue{
			{ParameterName: aws.String("timeout"), ParameterValue: aws.String("300")},
			{ParameterName: aws.String("notify-keyspace-events"), ParameterValue: aws.String("Ex")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	user := params("mine", "user")
	if len(user) != 2 || aws.ToString(user["timeout"].ParameterValue) != "300" || aws.ToString(user["timeout"].Source) != "user" {
		t.Fatalf("user parameters = %+v", user)
	}
	first, err := e.client.DescribeCacheParameters(ctx, &ec.DescribeCacheParametersInput{CacheParameterGroupName: aws.String("mine")})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.CacheNodeTypeSpecificParameters) != 1 {
		t.Fatalf("node-type-specific parameters: %+v", first.CacheNodeTypeSpecificParameters)
	}
	found := false
	for _, v := range first.CacheNodeTypeSpecificParameters[0].CacheNodeTypeSpecificValues {
		found = found || (aws.ToString(v.CacheNodeType) == "cache.t4g.micro" && aws.ToString(v.Value) == "536870912")
	}
	if !found {
		t.Fatal("maxmemory for cache.t4g.micro is not 536870912")
	}
	if _, err := e.client.ResetCacheParameterGroup(ctx, &ec.ResetCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("mine"),
		ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String("timeout")}},
	}); err != nil {
		t.Fatal(err)
	}
	if user := params("mine", "user"); len(user) != 1 || aws.ToString(user["notify-keyspace-events"].ParameterValue) != "Ex" {
		t.Fatalf("after reset of timeout: %+v", user)
	}
	groups, err := e.client.DescribeCacheParameterGroups(ctx, &ec.DescribeCacheParameterGroupsInput{})
	if err != nil || len(groups.CacheParameterGroups) != 2 {
		t.Fatalf("parameter groups = %+v, %v", groups, err)
	}
}

// TestGroupStateRules covers the rules that need a group in a given state,
// and the create-failure knob.
func TestGroupStateRules(t *testing.T) {
	requireRedis(t)
	e := newEnv(t, elasticache.Options{CreateDelay: 1500 * time.Millisecond})
	ctx := context.Background()
	if _, err := e.client.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("subnets"), CacheSubnetGroupDescription: aws.String("d"), SubnetIds: []string{emec2.SubnetA1, emec2.SubnetB1},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateCacheParameterGroup(ctx, &ec.CreateCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("mine"), CacheParameterGroupFamily: aws.String("redis7"), Description: aws.String("d"),
	}); err != nil {
		t.Fatal(err)
	}
	in := &ec.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String("one"), ReplicationGroupDescription: aws.String("d"),
		CacheNodeType: aws.String("cache.t4g.micro"), NumCacheClusters: aws.Int32(1),
		CacheSubnetGroupName: aws.String("subnets"), CacheParameterGroupName: aws.String("mine"),
	}
	if _, err := e.client.CreateReplicationGroup(ctx, in); err != nil {
		t.Fatal(err)
	}
	var (
		exists   *types.ReplicationGroupAlreadyExistsFault
		rgState  *types.InvalidReplicationGroupStateFault
		inUse    *types.CacheSubnetGroupInUse
		pgState  *types.InvalidCacheParameterGroupStateFault
		noFail   *types.InvalidParameterCombinationException
		snapDup  *types.SnapshotAlreadyExistsFault
		ngAbsent *types.NodeGroupNotFoundFault
	)
	check := func(name string, err error, target any) {
		t.Helper()
		if !errors.As(err, target) {
			t.Errorf("%s: err = %v, want %T", name, err, target)
		}
	}
	_, err := e.client.CreateReplicationGroup(ctx, in)
	check("create twice", err, &exists)
	_, err = e.client.ModifyReplicationGroup(ctx, &ec.ModifyReplicationGroupInput{ReplicationGroupId: aws.String("one"), SnapshotRetentionLimit: aws.Int32(1)})
	check("modify while creating", err, &rgState)
	_, err = e.client.DeleteReplicationGroup(ctx, &ec.DeleteReplicationGroupInput{ReplicationGroupId: aws.String("one")})
	check("delete while creating", err, &rgState)
	_, err = e.client.TestFailover(ctx, &ec.TestFailoverInput{ReplicationGroupId: aws.String("one"), NodeGroupId: aws.String("0001")})
	check("test failover while creating", err, &rgState)
	_, err = e.client.DeleteCacheSubnetGroup(ctx, &ec.DeleteCacheSubnetGroupInput{CacheSubnetGroupName: aws.String("subnets")})
	check("delete subnet group in use", err, &inUse)
	_, err = e.client.DeleteCacheParameterGroup(ctx, &ec.DeleteCacheParameterGroupInput{CacheParameterGroupName: aws.String("mine")})
	check("delete parameter group in use", err, &pgState)

	took := e.waitStatus(t, "one", "available", 10*time.Second)
	if took < time.Second {
		t.Errorf("available after %s, before the 1.5 s create delay", took)
	}
	_, err = e.client.TestFailover(ctx, &ec.TestFailoverInput{ReplicationGroupId: aws.String("one"), NodeGroupId: aws.String("0001")})
	check("test failover without automatic failover", err, &noFail)
	_, err = e.client.TestFailover(ctx, &ec.TestFailoverInput{ReplicationGroupId: aws.String("one"), NodeGroupId: aws.String("0002")})
	check("test failover of node group 0002", err, &ngAbsent)
	_, err = e.client.ModifyReplicationGroup(ctx, &ec.ModifyReplicationGroupInput{ReplicationGroupId: aws.String("one"), AutomaticFailoverEnabled: aws.Bool(true)})
	check("failover on one node", err, &noFail)

	node := e.group(t, "one").NodeGroups[0].NodeGroupMembers[0].ReadEndpoint
	plain := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", aws.ToInt32(node.Port)), MaxRetries: 3})
	defer plain.Close()
	if err := plain.Set(ctx, "seed", "from-snapshot", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateSnapshot(ctx, &ec.CreateSnapshotInput{ReplicationGroupId: aws.String("one"), SnapshotName: aws.String("snap")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "snapshot", func() (bool, error) {
		out, err := e.client.DescribeSnapshots(ctx, &ec.DescribeSnapshotsInput{SnapshotName: aws.String("snap")})
		return err == nil && aws.ToString(out.Snapshots[0].SnapshotStatus) == "available", err
	})
	e.waitStatus(t, "one", "available", 5*time.Second)
	snaps, err := e.client.DescribeSnapshots(ctx, &ec.DescribeSnapshotsInput{ReplicationGroupId: aws.String("one"), ShowNodeGroupConfig: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if ns := snaps.Snapshots[0].NodeSnapshots; len(ns) != 1 || ns[0].NodeGroupConfiguration == nil ||
		aws.ToString(ns[0].NodeGroupConfiguration.PrimaryAvailabilityZone) != "us-east-1a" || aws.ToString(ns[0].CacheClusterId) != "one-001" {
		t.Fatalf("node snapshots = %+v", ns)
	}
	_, err = e.client.CreateSnapshot(ctx, &ec.CreateSnapshotInput{ReplicationGroupId: aws.String("one"), SnapshotName: aws.String("snap")})
	check("snapshot twice", err, &snapDup)

	// Switching parameter groups pushes the new group's values.
	if _, err := e.client.CreateCacheParameterGroup(ctx, &ec.CreateCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("tuned"), CacheParameterGroupFamily: aws.String("redis7"), Description: aws.String("d"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ModifyCacheParameterGroup(ctx, &ec.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("tuned"),
		ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String("timeout"), ParameterValue: aws.String("300")}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ModifyReplicationGroup(ctx, &ec.ModifyReplicationGroupInput{
		ReplicationGroupId: aws.String("one"), CacheParameterGroupName: aws.String("tuned"), ApplyImmediately: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, "one", "available", 5*time.Second)
	if got := configGet(t, plain, "timeout"); got != "300" {
		t.Fatalf("timeout after switching to parameter group tuned = %q, want 300", got)
	}

	// A node type change without ApplyImmediately waits as a pending value...
	if _, err := e.client.ModifyReplicationGroup(ctx, &ec.ModifyReplicationGroupInput{
		ReplicationGroupId: aws.String("one"), CacheNodeType: aws.String("cache.t4g.medium"), ApplyImmediately: aws.Bool(false),
	}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, "one", "available", 5*time.Second)
	clusters, err := e.client.DescribeCacheClusters(ctx, &ec.DescribeCacheClustersInput{CacheClusterId: aws.String("one-001")})
	if err != nil {
		t.Fatal(err)
	}
	if c := clusters.CacheClusters[0]; aws.ToString(c.CacheNodeType) != "cache.t4g.micro" || aws.ToString(c.PendingModifiedValues.CacheNodeType) != "cache.t4g.medium" {
		t.Fatalf("node type %s pending %s", aws.ToString(c.CacheNodeType), aws.ToString(c.PendingModifiedValues.CacheNodeType))
	}
	if got := configGet(t, plain, "maxmemory"); got != "536870912" {
		t.Fatalf("maxmemory before the pending change applies = %s", got)
	}

	// ...and a primary without automatic failover is restarted in place,
	// which applies it.
	pid, _ := e.svc.NodePID("one-001")
	if err := killPID(pid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "one-001 restarted", func() (bool, error) {
		newPID, ok := e.svc.NodePID("one-001")
		return ok && newPID != pid, nil
	})
	waitFor(t, 5*time.Second, "maxmemory of cache.t4g.medium after the recovery", func() (bool, error) {
		v, err := plain.ConfigGet(ctx, "maxmemory").Result()
		return err == nil && v["maxmemory"] == strconv.FormatInt(int64(3.09*float64(gib)), 10), err
	})
	if got := aws.ToString(e.group(t, "one").CacheNodeType); got != "cache.t4g.medium" {
		t.Fatalf("node type after recovery = %s", got)
	}
	if got := configGet(t, plain, "timeout"); got != "300" {
		t.Fatalf("timeout after recovery = %q, want 300 from parameter group tuned", got)
	}

	// The fault knob: the next create of "broken" ends in create-failed.
	e.svc.InjectCreateFailure("broken")
	broken := *in
	broken.ReplicationGroupId = aws.String("broken")
	if _, err := e.client.CreateReplicationGroup(ctx, &broken); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, "broken", "create-failed", 10*time.Second)
	if _, err := e.client.DeleteReplicationGroup(ctx, &ec.DeleteReplicationGroupInput{ReplicationGroupId: aws.String("broken")}); err != nil {
		t.Fatalf("delete a create-failed group: %v", err)
	}
	// A group created from the snapshot starts with its data.
	restored := *in
	restored.ReplicationGroupId, restored.SnapshotName = aws.String("restored"), aws.String("snap")
	if _, err := e.client.CreateReplicationGroup(ctx, &restored); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, "restored", "available", 10*time.Second)
	rnode := e.group(t, "restored").NodeGroups[0].PrimaryEndpoint
	rc := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", aws.ToInt32(rnode.Port)), MaxRetries: 3})
	defer rc.Close()
	if v, err := rc.Get(ctx, "seed").Result(); err != nil || v != "from-snapshot" {
		t.Fatalf("restored group: GET seed = %q, %v", v, err)
	}
	for _, id := range []string{"one", "restored"} {
		if _, err := e.client.DeleteReplicationGroup(ctx, &ec.DeleteReplicationGroupInput{ReplicationGroupId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "groups gone", func() (bool, error) {
		out, err := e.client.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{})
		return err == nil && len(out.ReplicationGroups) == 0, err
	})
	if _, ok := e.svc.NodePID("one-001"); ok {
		t.Fatal("one-001 still running after delete")
	}
}

var gib = int64(1 << 30)

// Package awsfake has small in-memory stand-ins for the AWS APIs, behind the
// same interfaces the handlers use. They exist for the handlers' unit tests
// (table-driven, no processes); the same handlers run against the real SDK
// and the local emulator in the integration tests.
package awsfake

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	smithy "github.com/aws/smithy-go"
)

// Calls records API calls by operation name.
type Calls struct {
	mu    sync.Mutex
	names []string
	// Fail makes the next call of an operation return the error.
	Fail map[string]error
}

func (c *Calls) record(op string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = append(c.names, op)
	if err, ok := c.Fail[op]; ok {
		delete(c.Fail, op)
		return err
	}
	return nil
}

// FailNext makes the next call of op fail with err.
func (c *Calls) FailNext(op string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Fail == nil {
		c.Fail = map[string]error{}
	}
	c.Fail[op] = err
}

// Names returns the calls so far and forgets them.
func (c *Calls) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.names
	c.names = nil
	return out
}

// APIError builds an AWS error with a code, as the SDK returns it.
func APIError(code, message string) error {
	return &smithy.GenericAPIError{Code: code, Message: message}
}

// Node is a member cluster's settings that live outside the group record.
type Node struct {
	EngineVersion      string
	ParameterGroupName string
	SubnetGroupName    string
	MaintenanceWindow  string
	SecurityGroupIDs   []string
	TopicARN           string
	// Pending is the member's PendingModifiedValues: a node type or engine
	// version change not applied yet.
	Pending types.PendingModifiedValues
}

// ElastiCache is an in-memory ElastiCache. New groups are available at once
// unless CreateStatus says otherwise.
type ElastiCache struct {
	Calls
	mu           sync.Mutex
	ParamGroups  map[string]*types.CacheParameterGroup
	Params       map[string]map[string]string
	SubnetGroups map[string]*types.CacheSubnetGroup
	Groups       map[string]*types.ReplicationGroup
	Nodes        map[string]*Node // by replication group id
	Tags         map[string]map[string]string
	CreateStatus string
	// LastFinalSnapshot is the FinalSnapshotIdentifier of the last delete.
	LastFinalSnapshot string
}

// NewElastiCache returns an empty fake.
func NewElastiCache() *ElastiCache {
	return &ElastiCache{
		ParamGroups:  map[string]*types.CacheParameterGroup{},
		Params:       map[string]map[string]string{},
		SubnetGroups: map[string]*types.CacheSubnetGroup{},
		Groups:       map[string]*types.ReplicationGroup{},
		Nodes:        map[string]*Node{},
		Tags:         map[string]map[string]string{},
	}
}

func arn(kind, name string) string {
	return fmt.Sprintf("arn:aws:elasticache:us-east-1:000000000000:%s:%s", kind, name)
}

func (f *ElastiCache) DescribeCacheParameterGroups(_ context.Context, in *elasticache.DescribeCacheParameterGroupsInput, _ ...func(*elasticache.Options)) (*elasticache.DescribeCacheParameterGroupsOutput, error) {
	if err := f.record("DescribeCacheParameterGroups"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.ParamGroups[aws.ToString(in.CacheParameterGroupName)]
	if !ok {
		return nil, APIError("CacheParameterGroupNotFound", "CacheParameterGroup not found")
	}
	return &elasticache.DescribeCacheParameterGroupsOutput{CacheParameterGroups: []types.CacheParameterGroup{*g}}, nil
}

func (f *ElastiCache) CreateCacheParameterGroup(_ context.Context, in *elasticache.CreateCacheParameterGroupInput, _ ...func(*elasticache.Options)) (*elasticache.CreateCacheParameterGroupOutput, error) {
	if err := f.record("CreateCacheParameterGroup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.CacheParameterGroupName)
	if _, ok := f.ParamGroups[name]; ok {
		return nil, APIError("CacheParameterGroupAlreadyExists", "exists")
	}
	g := &types.CacheParameterGroup{CacheParameterGroupName: in.CacheParameterGroupName, CacheParameterGroupFamily: in.CacheParameterGroupFamily, ARN: aws.String(arn("parametergroup", name))}
	f.ParamGroups[name] = g
	f.Params[name] = map[string]string{"timeout": "0", "maxmemory-policy": "volatile-lru", "maxmemory-samples": "3"}
	f.tag(aws.ToString(g.ARN), in.Tags)
	return &elasticache.CreateCacheParameterGroupOutput{CacheParameterGroup: g}, nil
}

func (f *ElastiCache) DescribeCacheParameters(_ context.Context, in *elasticache.DescribeCacheParametersInput, _ ...func(*elasticache.Options)) (*elasticache.DescribeCacheParametersOutput, error) {
	if err := f.record("DescribeCacheParameters"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	params, ok := f.Params[aws.ToString(in.CacheParameterGroupName)]
	if !ok {
		return nil, APIError("CacheParameterGroupNotFound", "not found")
	}
	out := &elasticache.DescribeCacheParametersOutput{}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		out.Parameters = append(out.Parameters, types.Parameter{ParameterName: aws.String(k), ParameterValue: aws.String(params[k])})
	}
	return out, nil
}

func (f *ElastiCache) ModifyCacheParameterGroup(_ context.Context, in *elasticache.ModifyCacheParameterGroupInput, _ ...func(*elasticache.Options)) (*elasticache.ModifyCacheParameterGroupOutput, error) {
	if err := f.record("ModifyCacheParameterGroup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	params, ok := f.Params[aws.ToString(in.CacheParameterGroupName)]
	if !ok {
		return nil, APIError("CacheParameterGroupNotFound", "not found")
	}
	for _, p := range in.ParameterNameValues {
		params[aws.ToString(p.ParameterName)] = aws.ToString(p.ParameterValue)
	}
	return &elasticache.ModifyCacheParameterGroupOutput{CacheParameterGroupName: in.CacheParameterGroupName}, nil
}

func (f *ElastiCache) DescribeCacheSubnetGroups(_ context.Context, in *elasticache.DescribeCacheSubnetGroupsInput, _ ...func(*elasticache.Options)) (*elasticache.DescribeCacheSubnetGroupsOutput, error) {
	if err := f.record("DescribeCacheSubnetGroups"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.SubnetGroups[aws.ToString(in.CacheSubnetGroupName)]
	if !ok {
		return nil, APIError("CacheSubnetGroupNotFoundFault", "not found")
	}
	return &elasticache.DescribeCacheSubnetGroupsOutput{CacheSubnetGroups: []types.CacheSubnetGroup{*g}}, nil
}

func (f *ElastiCache) CreateCacheSubnetGroup(_ context.Context, in *elasticache.CreateCacheSubnetGroupInput, _ ...func(*elasticache.Options)) (*elasticache.CreateCacheSubnetGroupOutput, error) {
	if err := f.record("CreateCacheSubnetGroup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.CacheSubnetGroupName)
	g := &types.CacheSubnetGroup{CacheSubnetGroupName: in.CacheSubnetGroupName, ARN: aws.String(arn("subnetgroup", name))}
	for _, s := range in.SubnetIds {
		g.Subnets = append(g.Subnets, types.Subnet{SubnetIdentifier: aws.String(s)})
	}
	f.SubnetGroups[name] = g
	f.tag(aws.ToString(g.ARN), in.Tags)
	return &elasticache.CreateCacheSubnetGroupOutput{CacheSubnetGroup: g}, nil
}

func (f *ElastiCache) ModifyCacheSubnetGroup(_ context.Context, in *elasticache.ModifyCacheSubnetGroupInput, _ ...func(*elasticache.Options)) (*elasticache.ModifyCacheSubnetGroupOutput, error) {
	if err := f.record("ModifyCacheSubnetGroup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.SubnetGroups[aws.ToString(in.CacheSubnetGroupName)]
	g.Subnets = nil
	for _, s := range in.SubnetIds {
		g.Subnets = append(g.Subnets, types.Subnet{SubnetIdentifier: aws.String(s)})
	}
	return &elasticache.ModifyCacheSubnetGroupOutput{CacheSubnetGroup: g}, nil
}

func (f *ElastiCache) DescribeReplicationGroups(_ context.Context, in *elasticache.DescribeReplicationGroupsInput, _ ...func(*elasticache.Options)) (*elasticache.DescribeReplicationGroupsOutput, error) {
	if err := f.record("DescribeReplicationGroups"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.Groups[aws.ToString(in.ReplicationGroupId)]
	if !ok {
		return nil, APIError("ReplicationGroupNotFoundFault", "ReplicationGroup not found")
	}
	return &elasticache.DescribeReplicationGroupsOutput{ReplicationGroups: []types.ReplicationGroup{*g}}, nil
}

func (f *ElastiCache) DescribeCacheClusters(_ context.Context, in *elasticache.DescribeCacheClustersInput, _ ...func(*elasticache.Options)) (*elasticache.DescribeCacheClustersOutput, error) {
	if err := f.record("DescribeCacheClusters"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.CacheClusterId)
	for rgID, g := range f.Groups {
		for _, m := range g.MemberClusters {
			if m != id {
				continue
			}
			n := f.Nodes[rgID]
			pending := n.Pending
			cc := types.CacheCluster{
				CacheClusterId:             aws.String(id),
				ReplicationGroupId:         aws.String(rgID),
				EngineVersion:              aws.String(n.EngineVersion),
				CacheParameterGroup:        &types.CacheParameterGroupStatus{CacheParameterGroupName: aws.String(n.ParameterGroupName)},
				CacheSubnetGroupName:       aws.String(n.SubnetGroupName),
				PreferredMaintenanceWindow: aws.String(n.MaintenanceWindow),
				PendingModifiedValues:      &pending,
			}
			for _, sg := range n.SecurityGroupIDs {
				cc.SecurityGroups = append(cc.SecurityGroups, types.SecurityGroupMembership{SecurityGroupId: aws.String(sg), Status: aws.String("active")})
			}
			if n.TopicARN != "" {
				cc.NotificationConfiguration = &types.NotificationConfiguration{TopicArn: aws.String(n.TopicARN), TopicStatus: aws.String("active")}
			}
			return &elasticache.DescribeCacheClustersOutput{CacheClusters: []types.CacheCluster{cc}}, nil
		}
	}
	return nil, APIError("CacheClusterNotFound", "CacheCluster not found")
}

func (f *ElastiCache) CreateReplicationGroup(_ context.Context, in *elasticache.CreateReplicationGroupInput, _ ...func(*elasticache.Options)) (*elasticache.CreateReplicationGroupOutput, error) {
	if err := f.record("CreateReplicationGroup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.ReplicationGroupId)
	if _, ok := f.Groups[id]; ok {
		return nil, APIError("ReplicationGroupAlreadyExists", "exists")
	}
	status := f.CreateStatus
	if status == "" {
		status = "available"
	}
	g := &types.ReplicationGroup{
		ReplicationGroupId:       in.ReplicationGroupId,
		ARN:                      aws.String(arn("replicationgroup", id)),
		Description:              in.ReplicationGroupDescription,
		Status:                   aws.String(status),
		CacheNodeType:            in.CacheNodeType,
		AtRestEncryptionEnabled:  in.AtRestEncryptionEnabled,
		TransitEncryptionEnabled: in.TransitEncryptionEnabled,
		TransitEncryptionMode:    in.TransitEncryptionMode,
		KmsKeyId:                 in.KmsKeyId,
		SnapshotRetentionLimit:   in.SnapshotRetentionLimit,
		SnapshotWindow:           in.SnapshotWindow,
		AutomaticFailover:        types.AutomaticFailoverStatusDisabled,
		MultiAZ:                  types.MultiAZStatusDisabled,
	}
	if aws.ToBool(in.AutomaticFailoverEnabled) {
		g.AutomaticFailover = types.AutomaticFailoverStatusEnabled
	}
	if aws.ToBool(in.MultiAZEnabled) {
		g.MultiAZ = types.MultiAZStatusEnabled
	}
	ng := types.NodeGroup{
		NodeGroupId:     aws.String("0001"),
		PrimaryEndpoint: &types.Endpoint{Address: aws.String("master." + id + ".cache.local"), Port: in.Port},
		ReaderEndpoint:  &types.Endpoint{Address: aws.String("replica." + id + ".cache.local"), Port: in.Port},
	}
	for i := 1; i <= int(aws.ToInt32(in.NumCacheClusters)); i++ {
		member := fmt.Sprintf("%s-%03d", id, i)
		role := "replica"
		if i == 1 {
			role = "primary"
		}
		g.MemberClusters = append(g.MemberClusters, member)
		ng.NodeGroupMembers = append(ng.NodeGroupMembers, types.NodeGroupMember{CacheClusterId: aws.String(member), CacheNodeId: aws.String("0001"), CurrentRole: aws.String(role), PreferredAvailabilityZone: aws.String(fmt.Sprintf("us-east-1%c", 'a'+i-1))})
	}
	g.NodeGroups = []types.NodeGroup{ng}
	f.Groups[id] = g
	f.Nodes[id] = &Node{
		EngineVersion:      aws.ToString(in.EngineVersion) + ".7",
		ParameterGroupName: aws.ToString(in.CacheParameterGroupName),
		SubnetGroupName:    aws.ToString(in.CacheSubnetGroupName),
		MaintenanceWindow:  aws.ToString(in.PreferredMaintenanceWindow),
		SecurityGroupIDs:   in.SecurityGroupIds,
		TopicARN:           aws.ToString(in.NotificationTopicArn),
	}
	f.tag(aws.ToString(g.ARN), in.Tags)
	cp := *g
	return &elasticache.CreateReplicationGroupOutput{ReplicationGroup: &cp}, nil
}

func (f *ElastiCache) ModifyReplicationGroup(_ context.Context, in *elasticache.ModifyReplicationGroupInput, _ ...func(*elasticache.Options)) (*elasticache.ModifyReplicationGroupOutput, error) {
	if err := f.record("ModifyReplicationGroup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.ReplicationGroupId)
	g, ok := f.Groups[id]
	if !ok {
		return nil, APIError("ReplicationGroupNotFoundFault", "not found")
	}
	n := f.Nodes[id]
	if in.SnapshotRetentionLimit != nil {
		g.SnapshotRetentionLimit = in.SnapshotRetentionLimit
	}
	if in.SnapshotWindow != nil {
		g.SnapshotWindow = in.SnapshotWindow
	}
	if in.CacheNodeType != nil {
		g.CacheNodeType = in.CacheNodeType
	}
	if in.EngineVersion != nil {
		n.EngineVersion = aws.ToString(in.EngineVersion)
	}
	if in.ReplicationGroupDescription != nil {
		g.Description = in.ReplicationGroupDescription
	}
	if in.PreferredMaintenanceWindow != nil {
		n.MaintenanceWindow = aws.ToString(in.PreferredMaintenanceWindow)
	}
	if in.CacheParameterGroupName != nil {
		n.ParameterGroupName = aws.ToString(in.CacheParameterGroupName)
	}
	if in.SecurityGroupIds != nil {
		n.SecurityGroupIDs = in.SecurityGroupIds
	}
	if in.NotificationTopicArn != nil {
		n.TopicARN = aws.ToString(in.NotificationTopicArn)
	}
	if in.AutomaticFailoverEnabled != nil {
		g.AutomaticFailover = types.AutomaticFailoverStatusDisabled
		if *in.AutomaticFailoverEnabled {
			g.AutomaticFailover = types.AutomaticFailoverStatusEnabled
		}
	}
	if in.MultiAZEnabled != nil {
		g.MultiAZ = types.MultiAZStatusDisabled
		if *in.MultiAZEnabled {
			g.MultiAZ = types.MultiAZStatusEnabled
		}
	}
	if in.TransitEncryptionMode != "" {
		g.TransitEncryptionMode = in.TransitEncryptionMode
	}
	cp := *g
	return &elasticache.ModifyReplicationGroupOutput{ReplicationGroup: &cp}, nil
}

func (f *ElastiCache) ListTagsForResource(_ context.Context, in *elasticache.ListTagsForResourceInput, _ ...func(*elasticache.Options)) (*elasticache.ListTagsForResourceOutput, error) {
	if err := f.record("ListTagsForResource"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &elasticache.ListTagsForResourceOutput{}
	tags := f.Tags[aws.ToString(in.ResourceName)]
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out.TagList = append(out.TagList, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out, nil
}

func (f *ElastiCache) AddTagsToResource(_ context.Context, in *elasticache.AddTagsToResourceInput, _ ...func(*elasticache.Options)) (*elasticache.AddTagsToResourceOutput, error) {
	if err := f.record("AddTagsToResource"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tag(aws.ToString(in.ResourceName), in.Tags)
	return &elasticache.AddTagsToResourceOutput{}, nil
}

func (f *ElastiCache) tag(arn string, tags []types.Tag) {
	if f.Tags[arn] == nil {
		f.Tags[arn] = map[string]string{}
	}
	for _, t := range tags {
		f.Tags[arn][aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
}

// Failover swaps the roles of the first two members, as TestFailover does.
func (f *ElastiCache) Failover(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ms := f.Groups[id].NodeGroups[0].NodeGroupMembers
	for i := range ms {
		if aws.ToString(ms[i].CurrentRole) == "primary" {
			ms[i].CurrentRole = aws.String("replica")
		} else {
			ms[i].CurrentRole = aws.String("primary")
		}
	}
}

// RemoveMember drops the last member cluster, as DecreaseReplicaCount does.
func (f *ElastiCache) RemoveMember(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.Groups[id]
	last := g.MemberClusters[len(g.MemberClusters)-1]
	g.MemberClusters = g.MemberClusters[:len(g.MemberClusters)-1]
	ng := &g.NodeGroups[0]
	ng.NodeGroupMembers = ng.NodeGroupMembers[:len(ng.NodeGroupMembers)-1]
	return last
}

func (f *ElastiCache) DeleteReplicationGroup(_ context.Context, in *elasticache.DeleteReplicationGroupInput, _ ...func(*elasticache.Options)) (*elasticache.DeleteReplicationGroupOutput, error) {
	if err := f.record("DeleteReplicationGroup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.ReplicationGroupId)
	g, ok := f.Groups[id]
	if !ok {
		return nil, APIError("ReplicationGroupNotFoundFault", "not found")
	}
	g.Status = aws.String("deleting")
	f.LastFinalSnapshot = aws.ToString(in.FinalSnapshotIdentifier)
	cp := *g
	return &elasticache.DeleteReplicationGroupOutput{ReplicationGroup: &cp}, nil
}

func (f *ElastiCache) DeleteCacheParameterGroup(_ context.Context, in *elasticache.DeleteCacheParameterGroupInput, _ ...func(*elasticache.Options)) (*elasticache.DeleteCacheParameterGroupOutput, error) {
	if err := f.record("DeleteCacheParameterGroup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.CacheParameterGroupName)
	if _, ok := f.ParamGroups[name]; !ok {
		return nil, APIError("CacheParameterGroupNotFound", "not found")
	}
	delete(f.ParamGroups, name)
	delete(f.Params, name)
	return &elasticache.DeleteCacheParameterGroupOutput{}, nil
}

func (f *ElastiCache) DeleteCacheSubnetGroup(_ context.Context, in *elasticache.DeleteCacheSubnetGroupInput, _ ...func(*elasticache.Options)) (*elasticache.DeleteCacheSubnetGroupOutput, error) {
	if err := f.record("DeleteCacheSubnetGroup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.CacheSubnetGroupName)
	if _, ok := f.SubnetGroups[name]; !ok {
		return nil, APIError("CacheSubnetGroupNotFoundFault", "not found")
	}
	delete(f.SubnetGroups, name)
	return &elasticache.DeleteCacheSubnetGroupOutput{}, nil
}

// Forget removes a group as if its deletion had finished.
func (f *ElastiCache) Forget(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.Groups, id)
	delete(f.Nodes, id)
}

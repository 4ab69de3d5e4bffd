package replicationgroup

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/preflight"
	"github.com/ecprov/ecprov/internal/profile"
)

// API is the part of ElastiCache that createcluster uses.
type API interface {
	GroupReader
	CreateReplicationGroup(ctx context.Context, in *elasticache.CreateReplicationGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateReplicationGroupOutput, error)
	ModifyReplicationGroup(ctx context.Context, in *elasticache.ModifyReplicationGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.ModifyReplicationGroupOutput, error)
	DescribeCacheParameterGroups(ctx context.Context, in *elasticache.DescribeCacheParameterGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeCacheParameterGroupsOutput, error)
	CreateCacheParameterGroup(ctx context.Context, in *elasticache.CreateCacheParameterGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateCacheParameterGroupOutput, error)
	DescribeCacheParameters(ctx context.Context, in *elasticache.DescribeCacheParametersInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeCacheParametersOutput, error)
	ModifyCacheParameterGroup(ctx context.Context, in *elasticache.ModifyCacheParameterGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.ModifyCacheParameterGroupOutput, error)
	DescribeCacheSubnetGroups(ctx context.Context, in *elasticache.DescribeCacheSubnetGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeCacheSubnetGroupsOutput, error)
	CreateCacheSubnetGroup(ctx context.Context, in *elasticache.CreateCacheSubnetGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateCacheSubnetGroupOutput, error)
	ModifyCacheSubnetGroup(ctx context.Context, in *elasticache.ModifyCacheSubnetGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.ModifyCacheSubnetGroupOutput, error)
	ListTagsForResource(ctx context.Context, in *elasticache.ListTagsForResourceInput, optFns ...func(*elasticache.Options)) (*elasticache.ListTagsForResourceOutput, error)
	AddTagsToResource(ctx context.Context, in *elasticache.AddTagsToResourceInput, optFns ...func(*elasticache.Options)) (*elasticache.AddTagsToResourceOutput, error)
}

// CreateClusterInput is the createcluster event.
type CreateClusterInput struct {
	// Profile is the environment profile, as in environments/<env>.json.
	Profile json.RawMessage `json:"profile"`
	// ReportImmutable returns immutable differences in the output instead of
	// failing with ImmutableSettingChanged (reconcile uses it).
	ReportImmutable bool `json:"reportImmutable,omitempty"`
}

// Actions createcluster reports.
const (
	ActionCreated    = "created"
	ActionModified   = "modified"
	ActionUnchanged  = "unchanged"
	ActionInProgress = "in-progress"
)

// CreateClusterOutput says what createcluster did.
type CreateClusterOutput struct {
	ReplicationGroupID string           `json:"replicationGroupId"`
	Action             string           `json:"action"`
	Status             string           `json:"status"`
	Changes            []Change         `json:"changes"`
	Immutable          []Change         `json:"immutable"`
	Network            preflight.Result `json:"network"`
}

// Creator runs createcluster.
type Creator struct {
	EC2         preflight.API
	ElastiCache API
	Log         *slog.Logger
}

// ParseProfile decodes, defaults and validates a profile carried in an
// event; a bad one is an InvalidProfile error listing every problem.
func ParseProfile(raw json.RawMessage) (*profile.Profile, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, failure.New(failure.InvalidProfile, "the event has no profile; start the execution with {\"profile\": <contents of environments/ENV.json>}")
	}
	p, err := profile.Decode(strings.NewReader(string(raw)))
	if err != nil {
		return nil, failure.Wrap(failure.InvalidProfile, err, "profile")
	}
	p.ApplyDefaults()
	if err := p.Validate(); err != nil {
		return nil, failure.Wrap(failure.InvalidProfile, err, "profile")
	}
	return p, nil
}

// CreateCluster validates the profile, checks the network, and ensures the
// parameter group, the subnet group and the replication group. A second run
// against the state the first one left makes no mutating call.
func (c *Creator) CreateCluster(ctx context.Context, in CreateClusterInput) (CreateClusterOutput, error) {
	log := logging.For(ctx, c.Log)
	p, err := ParseProfile(in.Profile)
	if err != nil {
		return CreateClusterOutput{}, err
	}
	out := CreateClusterOutput{ReplicationGroupID: p.ReplicationGroupID, Changes: []Change{}, Immutable: []Change{}}
	log = log.With("replication_group_id", p.ReplicationGroupID, "environment", p.Environment)

	if out.Network, err = preflight.Check(ctx, c.EC2, p); err != nil {
		return out, err
	}
	pgChanges, created, err := c.ensureParameterGroup(ctx, p)
	if err != nil {
		return out, err
	}
	out.Changes = append(out.Changes, pgChanges...)
	sgChanges, err := c.ensureSubnetGroup(ctx, p)
	if err != nil {
		return out, err
	}
	out.Changes = append(out.Changes, sgChanges...)

	group, err := FindByID(ctx, c.ElastiCache, p.ReplicationGroupID)
	if failure.NameOf(err) == failure.NotFound {
		group, err = c.createGroup(ctx, p)
		if err != nil {
			return out, err
		}
		out.Action, out.Status = ActionCreated, aws.ToString(group.Status)
		out.Changes = append(out.Changes, Change{Resource: "replication-group", Field: "replicationGroupId", To: p.ReplicationGroupID})
		log.Info("replication group created", "status", out.Status, "parameter_group_created", created)
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Status = aws.ToString(group.Status)
	groupChanges, immutable, err := c.convergeGroup(ctx, p, group)
	if err != nil {
		return out, err
	}
	out.Changes = append(out.Changes, groupChanges...)
	out.Immutable = append(out.Immutable, immutable...)
	switch {
	case out.Status == StatusCreating:
		out.Action = ActionInProgress
	case len(out.Changes) > 0:
		out.Action = ActionModified
	default:
		out.Action = ActionUnchanged
	}
	log.Info("replication group converged", "action", out.Action, "changes", len(out.Changes), "immutable", len(immutable))
	if len(immutable) > 0 && !in.ReportImmutable {
		return out, failure.New(failure.ImmutableSettingChanged, "%s: the profile differs from the group in settings AWS cannot change in place: %s; the other settings were applied. Restore the profile's old values, or create a new group (new replicationGroupId) and migrate",
			p.ReplicationGroupID, joinChanges(immutable))
	}
	return out, nil
}

func (c *Creator) createGroup(ctx context.Context, p *profile.Profile) (*types.ReplicationGroup, error) {
	d := Desired(p)
	in := &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:          aws.String(p.ReplicationGroupID),
		ReplicationGroupDescription: aws.String(d.Description),
		Engine:                      aws.String("redis"),
		EngineVersion:               aws.String(d.EngineVersion),
		CacheNodeType:               aws.String(d.NodeType),
		NumCacheClusters:            aws.Int32(int32(d.NumCacheClusters)),
		AutomaticFailoverEnabled:    aws.Bool(d.AutomaticFailover),
		MultiAZEnabled:              aws.Bool(d.MultiAZ),
		CacheParameterGroupName:     aws.String(d.ParameterGroupName),
		CacheSubnetGroupName:        aws.String(d.SubnetGroupName),
		SecurityGroupIds:            d.SecurityGroupIDs,
		Port:                        aws.Int32(d.Port),
		AtRestEncryptionEnabled:     aws.Bool(true),
		TransitEncryptionEnabled:    aws.Bool(true),
		TransitEncryptionMode:       types.TransitEncryptionMode(d.TransitEncryptionMode),
		SnapshotRetentionLimit:      aws.Int32(d.SnapshotRetention),
		SnapshotWindow:              aws.String(d.SnapshotWindow),
		PreferredMaintenanceWindow:  aws.String(d.MaintenanceWindow),
		Tags:                        tagsOf(p.Tags),
	}
	if d.KMSKeyID != "" {
		in.KmsKeyId = aws.String(d.KMSKeyID)
	}
	if d.NotificationTopicARN != "" {
		in.NotificationTopicArn = aws.String(d.NotificationTopicARN)
	}
	out, err := c.ElastiCache.CreateReplicationGroup(ctx, in)
	if err != nil {
		// Another execution created it between our read and this call.
		if failure.ErrorCode(err) == "ReplicationGroupAlreadyExists" {
			return FindByID(ctx, c.ElastiCache, p.ReplicationGroupID)
		}
		return nil, failure.AWS(err, "create replication group "+p.ReplicationGroupID)
	}
	return out.ReplicationGroup, nil
}

// convergeGroup compares the group with the profile and applies what can be
// changed in place. A group that is busy is left alone; the change is
// reported as retryable so that the state machine comes back later.
func (c *Creator) convergeGroup(ctx context.Context, p *profile.Profile, g *types.ReplicationGroup) ([]Change, []Change, error) {
	status := aws.ToString(g.Status)
	switch status {
	case StatusCreateFailed:
		return nil, nil, failure.New(failure.CreateFailed, "replication group %s is in create-failed; see `aws elasticache describe-events --source-identifier %s --source-type replication-group`, delete it (ecprov teardown) and provision again", p.ReplicationGroupID, p.ReplicationGroupID)
	case StatusDeleting:
		return nil, nil, failure.New(failure.GroupBeingDeleted, "replication group %s is being deleted; provision again once it is gone", p.ReplicationGroupID)
	case StatusCreating:
		return nil, nil, nil // settings were just sent with the create
	}
	var member *types.CacheCluster
	if len(g.MemberClusters) > 0 {
		m, err := FindCacheClusterByID(ctx, c.ElastiCache, g.MemberClusters[0])
		if err != nil && failure.NameOf(err) != failure.NotFound {
			return nil, nil, err
		}
		member = m
	}
	delta := Diff(Desired(p), Observed(g, member))
	changes := delta.Modify
	if in := delta.ModifyInput(p.ReplicationGroupID); in != nil {
		if status != StatusAvailable {
			return nil, nil, failure.New(failure.RetryableAWSError, "replication group %s is %s; %d change(s) wait until it is available: %s", p.ReplicationGroupID, status, len(changes), joinChanges(changes))
		}
		if _, err := c.ElastiCache.ModifyReplicationGroup(ctx, in); err != nil {
			return nil, nil, failure.AWS(err, "modify replication group "+p.ReplicationGroupID)
		}
	}
	tagChanges, err := c.ensureTags(ctx, aws.ToString(g.ARN), "replication-group", p.Tags)
	if err != nil {
		return nil, nil, err
	}
	return append(changes, tagChanges...), delta.Immutable, nil
}

func joinChanges(cs []Change) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, "; ")
}

// ensureTags adds the profile's tags that a resource lacks or has with
// another value. Tags the resource has beyond the profile's are kept: other
// tools may own them.
func (c *Creator) ensureTags(ctx context.Context, arn, resource string, want map[string]string) ([]Change, error) {
	if arn == "" {
		return nil, nil
	}
	out, err := c.ElastiCache.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		return nil, failure.AWS(err, "list tags of "+arn)
	}
	have := map[string]string{}
	for _, t := range out.TagList {
		have[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	missing := map[string]string{}
	var changes []Change
	for _, k := range sortedKeys(want) {
		if v, ok := have[k]; !ok || v != want[k] {
			missing[k] = want[k]
			changes = append(changes, Change{Resource: resource, Field: "tags." + k, From: have[k], To: want[k]})
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if _, err := c.ElastiCache.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: tagsOf(missing)}); err != nil {
		return nil, failure.AWS(err, "tag "+arn)
	}
	return changes, nil
}

func tagsOf(m map[string]string) []types.Tag {
	out := make([]types.Tag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

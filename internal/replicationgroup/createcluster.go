package replicationgroup

import (
	"context"
	"encoding/json"
	"log/slog"
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

// Input is the createcluster event.
type Input struct {
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

// Output says what createcluster did.
type Output struct {
	ReplicationGroupID string           `json:"replicationGroupId"`
	Action             string           `json:"action"`
	Status             string           `json:"status"`
	Changes            []Change         `json:"changes"`
	Immutable          []Change         `json:"immutable"`
	Network            preflight.Result `json:"network"`
}

// Handler runs the createcluster function.
type Handler struct {
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

// Handle validates the profile, checks the network, and ensures the
// parameter group, the subnet group and the replication group. A second run
// against the state the first one left makes no mutating call.
func (h *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	log := logging.For(ctx, h.Log)
	p, err := ParseProfile(in.Profile)
	if err != nil {
		return Output{}, err
	}
	out := Output{ReplicationGroupID: p.ReplicationGroupID, Changes: []Change{}, Immutable: []Change{}}
	log = log.With("replication_group_id", p.ReplicationGroupID, "environment", p.Environment)

	if out.Network, err = preflight.Check(ctx, h.EC2, p); err != nil {
		return out, err
	}
	pgChanges, created, err := h.convergeParameterGroup(ctx, p)
	if err != nil {
		return out, err
	}
	out.Changes = append(out.Changes, pgChanges...)
	sgChanges, err := h.convergeSubnetGroup(ctx, p)
	if err != nil {
		return out, err
	}
	out.Changes = append(out.Changes, sgChanges...)

	group, err := FindByID(ctx, h.ElastiCache, p.ReplicationGroupID)
	if failure.NameOf(err) == failure.NotFound {
		group, err = h.createGroup(ctx, p)
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
	groupChanges, immutable, err := h.convergeGroup(ctx, p, group)
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

func (h *Handler) createGroup(ctx context.Context, p *profile.Profile) (*types.ReplicationGroup, error) {
	out, err := h.ElastiCache.CreateReplicationGroup(ctx, createInput(p))
	if err != nil {
		// Another execution created it between our read and this call.
		if failure.ErrorCode(err) == "ReplicationGroupAlreadyExists" {
			return FindByID(ctx, h.ElastiCache, p.ReplicationGroupID)
		}
		return nil, failure.AWS(err, "create replication group "+p.ReplicationGroupID)
	}
	return out.ReplicationGroup, nil
}

// convergeGroup compares the group with the profile and applies what can be
// changed in place. A group that is busy is left alone; the change is
// reported as retryable so that the state machine comes back later.
func (h *Handler) convergeGroup(ctx context.Context, p *profile.Profile, g *types.ReplicationGroup) ([]Change, []Change, error) {
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
		m, err := FindCacheClusterByID(ctx, h.ElastiCache, g.MemberClusters[0])
		if err != nil && failure.NameOf(err) != failure.NotFound {
			return nil, nil, err
		}
		member = m
	}
	delta := Diff(Desired(p), Observe(g, member))
	changes := delta.Modify
	if in := delta.ModifyInput(p.ReplicationGroupID); in != nil {
		if status != StatusAvailable {
			return nil, nil, failure.New(failure.RetryableAWSError, "replication group %s is %s; %d change(s) wait until it is available: %s", p.ReplicationGroupID, status, len(changes), joinChanges(changes))
		}
		if _, err := h.ElastiCache.ModifyReplicationGroup(ctx, in); err != nil {
			return nil, nil, failure.AWS(err, "modify replication group "+p.ReplicationGroupID)
		}
	}
	tagChanges, err := h.convergeTags(ctx, aws.ToString(g.ARN), "replication-group", p.Tags)
	if err != nil {
		return nil, nil, err
	}
	return append(changes, tagChanges...), delta.Immutable, nil
}

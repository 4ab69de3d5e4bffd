// Package teardown removes what createcluster, publishsecret and alarms made,
// one step per call so that the state machine orders them and waits between.
// Every step tolerates resources that are already gone, so a teardown after a
// partial failure, or a second teardown, finishes cleanly.
package teardown

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/profilestore"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

// ElastiCacheAPI is the part of ElastiCache teardown uses.
type ElastiCacheAPI interface {
	replicationgroup.GroupReader
	DeleteReplicationGroup(ctx context.Context, in *elasticache.DeleteReplicationGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.DeleteReplicationGroupOutput, error)
	DeleteCacheParameterGroup(ctx context.Context, in *elasticache.DeleteCacheParameterGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.DeleteCacheParameterGroupOutput, error)
	DeleteCacheSubnetGroup(ctx context.Context, in *elasticache.DeleteCacheSubnetGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.DeleteCacheSubnetGroupOutput, error)
}

// SecretsAPI is the part of Secrets Manager teardown uses.
type SecretsAPI interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	DeleteSecret(ctx context.Context, in *secretsmanager.DeleteSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
}

// The steps, in the order teardown.asl.json runs them.
const (
	StepAlarms = "alarms"
	StepGroup  = "group"
	StepGroups = "groups"
	StepSecret = "secret"
)

// Input is the teardown function's event.
type Input struct {
	Step    string          `json:"step"`
	Profile json.RawMessage `json:"profile"`
}

// Output lists what a step deleted and what was already gone.
type Output struct {
	Step          string   `json:"step"`
	Deleted       []string `json:"deleted"`
	AlreadyGone   []string `json:"alreadyGone"`
	FinalSnapshot string   `json:"finalSnapshot"`
}

// Handler runs the teardown function.
type Handler struct {
	ElastiCache ElastiCacheAPI
	Alarms      *alarms.Handler
	Secrets     SecretsAPI
	Profiles    *profilestore.Handler
	Log         *slog.Logger
	Now         func() time.Time
}

// Handle runs one step.
func (r *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	p, err := replicationgroup.ParseProfile(in.Profile)
	if err != nil {
		return Output{}, err
	}
	log := logging.For(ctx, r.Log).With("replication_group_id", p.ReplicationGroupID, "step", in.Step)
	out := Output{Step: in.Step, Deleted: []string{}, AlreadyGone: []string{}}
	switch in.Step {
	case StepAlarms:
		names, err := r.Alarms.DeleteAll(ctx, p.ReplicationGroupID)
		if err != nil {
			return out, err
		}
		out.Deleted = append(out.Deleted, names...)
	case StepGroup:
		if err := r.deleteGroup(ctx, p.ReplicationGroupID, &out); err != nil {
			return out, err
		}
	case StepGroups:
		_, err := r.ElastiCache.DeleteCacheParameterGroup(ctx, &elasticache.DeleteCacheParameterGroupInput{CacheParameterGroupName: aws.String(p.ParameterGroupName)})
		if err := record(&out, "parameter-group "+p.ParameterGroupName, err, "CacheParameterGroupNotFound"); err != nil {
			return out, err
		}
		_, err = r.ElastiCache.DeleteCacheSubnetGroup(ctx, &elasticache.DeleteCacheSubnetGroupInput{CacheSubnetGroupName: aws.String(p.SubnetGroupName)})
		if err := record(&out, "subnet-group "+p.SubnetGroupName, err, "CacheSubnetGroupNotFoundFault"); err != nil {
			return out, err
		}
	case StepSecret:
		if err := r.deleteSecret(ctx, p.SecretName, int64(p.SecretRecoveryWindowDays), &out); err != nil {
			return out, err
		}
		stored, err := r.Profiles.Handle(ctx, profilestore.Input{Action: "delete", Profile: in.Profile})
		if err != nil {
			return out, err
		}
		if stored.Changed {
			out.Deleted = append(out.Deleted, "stored-profile "+stored.Name)
		} else {
			out.AlreadyGone = append(out.AlreadyGone, "stored-profile "+stored.Name)
		}
	default:
		return out, failure.New(failure.InvalidInput, "teardown: step %q is not alarms, group, groups or secret", in.Step)
	}
	log.Info("teardown step done", "deleted", out.Deleted, "already_gone", out.AlreadyGone)
	return out, nil
}

func (r *Handler) deleteGroup(ctx context.Context, id string, out *Output) error {
	g, err := replicationgroup.FindByID(ctx, r.ElastiCache, id)
	if failure.NameOf(err) == failure.NotFound {
		out.AlreadyGone = append(out.AlreadyGone, "replication-group "+id)
		return nil
	}
	if err != nil {
		return err
	}
	status := aws.ToString(g.Status)
	if status == replicationgroup.StatusDeleting {
		out.AlreadyGone = append(out.AlreadyGone, "replication-group "+id+" (deleting)")
		return nil
	}
	in := &elasticache.DeleteReplicationGroupInput{ReplicationGroupId: aws.String(id)}
	// A group that never became available has no data to keep, and AWS
	// refuses a final snapshot of it.
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	if status != replicationgroup.StatusCreateFailed {
		out.FinalSnapshot = id + "-final-" + now().UTC().Format("20060102-150405")
		in.FinalSnapshotIdentifier = aws.String(out.FinalSnapshot)
	}
	_, err = r.ElastiCache.DeleteReplicationGroup(ctx, in)
	if failure.ErrorCode(err) == "SnapshotAlreadyExistsFault" && in.FinalSnapshotIdentifier != nil {
		// Torn down, provisioned and torn down again within a second.
		out.FinalSnapshot += "-" + strconv.FormatInt(now().UnixNano()%100000, 10)
		in.FinalSnapshotIdentifier = aws.String(out.FinalSnapshot)
		_, err = r.ElastiCache.DeleteReplicationGroup(ctx, in)
	}
	if err != nil {
		if replicationgroup.IsNotFound(err) {
			out.AlreadyGone = append(out.AlreadyGone, "replication-group "+id)
			out.FinalSnapshot = ""
			return nil
		}
		return failure.AWS(err, "delete replication group "+id)
	}
	out.Deleted = append(out.Deleted, "replication-group "+id)
	return nil
}

func (r *Handler) deleteSecret(ctx context.Context, name string, window int64, out *Output) error {
	desc, err := r.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if failure.ErrorCode(err) == "ResourceNotFoundException" {
		out.AlreadyGone = append(out.AlreadyGone, "secret "+name)
		return nil
	}
	if err != nil {
		return failure.AWS(err, "describe secret "+name)
	}
	if desc.DeletedDate != nil {
		out.AlreadyGone = append(out.AlreadyGone, "secret "+name+" (scheduled for deletion)")
		return nil
	}
	_, err = r.Secrets.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: desc.ARN, RecoveryWindowInDays: aws.Int64(window)})
	return record(out, "secret "+name+" (scheduled for deletion)", err, "ResourceNotFoundException")
}

func record(out *Output, what string, err error, notFoundCode string) error {
	switch {
	case err == nil:
		out.Deleted = append(out.Deleted, what)
	case failure.ErrorCode(err) == notFoundCode:
		out.AlreadyGone = append(out.AlreadyGone, what)
	default:
		return failure.AWS(err, "delete "+what)
	}
	return nil
}

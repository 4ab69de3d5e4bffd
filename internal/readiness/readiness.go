// Package readiness is waitready: one look at a replication group, and when
// to look again. The waiting itself is a Wait state in the state machine, so
// no Lambda sleeps.
package readiness

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

// Input is the waitready event.
type Input struct {
	ReplicationGroupID string `json:"replicationGroupId"`
	// Poll is the previous call's Poll, so the schedule knows how long the
	// state machine has waited so far. Absent on the first call.
	Poll Poll `json:"poll"`
	// UntilDeleted waits for the group to be gone (teardown) instead of
	// available: a missing group is then the goal, not an error.
	UntilDeleted bool `json:"untilDeleted,omitempty"`
}

// Poll is the schedule's state, carried through the state machine.
type Poll struct {
	Attempt       int `json:"attempt"`
	WaitedSeconds int `json:"waitedSeconds"`
}

// Output is what waitready saw.
type Output struct {
	ReplicationGroupID string `json:"replicationGroupId"`
	Status             string `json:"status"`
	Ready              bool   `json:"ready"`
	Gone               bool   `json:"gone,omitempty"`
	replicationgroup.Topology
	Port int32 `json:"port,omitempty"`
	// NextPollSeconds is the Wait state's SecondsPath; 0 when Ready.
	NextPollSeconds int  `json:"nextPollSeconds"`
	Poll            Poll `json:"poll"`
}

// Handler runs the waitready function.
type Handler struct {
	ElastiCache replicationgroup.GroupReader
	Log         *slog.Logger
}

// Handle reads the group's status once (one DescribeReplicationGroups call,
// what terraform-provider-aws calls statusReplicationGroup) and says how long
// the state machine should wait before the next look. It never waits itself.
func (w *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	log := logging.For(ctx, w.Log).With("replication_group_id", in.ReplicationGroupID)
	if in.ReplicationGroupID == "" {
		return Output{}, failure.New(failure.InvalidInput, "waitready: replicationGroupId is empty")
	}
	out := Output{ReplicationGroupID: in.ReplicationGroupID, Poll: Poll{Attempt: in.Poll.Attempt + 1, WaitedSeconds: in.Poll.WaitedSeconds}}
	g, err := replicationgroup.FindByID(ctx, w.ElastiCache, in.ReplicationGroupID)
	if err != nil {
		if in.UntilDeleted && failure.NameOf(err) == failure.NotFound {
			out.Status, out.Ready, out.Gone = "deleted", true, true
			out.Topology.Members = []replicationgroup.Member{}
			log.Info("replication group gone", "attempt", out.Poll.Attempt)
			return out, nil
		}
		return out, err
	}
	out.Status = aws.ToString(g.Status)
	out.Topology = replicationgroup.TopologyOf(g)
	if out.PrimaryEndpoint != nil {
		out.Port = out.PrimaryEndpoint.Port
	}
	if out.Status == replicationgroup.StatusCreateFailed {
		return out, failure.New(failure.CreateFailed, "replication group %s is in create-failed; see `aws elasticache describe-events --source-identifier %s --source-type replication-group`", in.ReplicationGroupID, in.ReplicationGroupID)
	}
	out.Ready = !in.UntilDeleted && out.Status == replicationgroup.StatusAvailable
	if !out.Ready {
		out.NextPollSeconds = NextPoll(out.Status, in.Poll.WaitedSeconds)
		out.Poll.WaitedSeconds += out.NextPollSeconds
	}
	log.Info("replication group polled", "status", out.Status, "ready", out.Ready, "attempt", out.Poll.Attempt, "next_poll_seconds", out.NextPollSeconds)
	return out, nil
}

// NextPoll is the polling schedule: seconds to wait, given the status and
// the seconds waited so far.
//
// A creation takes 5 to 15 minutes and is never done in the first three, so
// the first look is at 3 minutes, then every minute, then every 30 s, and
// from 6 minutes on every 15 s, when it is most likely to finish; after 12
// minutes, every 30 s. A 10-minute creation costs 22 calls and is noticed
// within 15 s (docs/benchmarks.md compares this with Terraform and the SDK
// waiter). Modifications usually take under a minute, deletions a few.
func NextPoll(status string, waited int) int {
	switch status {
	case replicationgroup.StatusCreating:
		switch {
		case waited < 180:
			return 180 - waited
		case waited < 300:
			return 60
		case waited < 360:
			return 30
		case waited < 720:
			return 15
		default:
			return 30
		}
	case replicationgroup.StatusModifying, replicationgroup.StatusSnapshotting:
		if waited < 120 {
			return 15
		}
		return 30
	case replicationgroup.StatusDeleting:
		if waited < 60 {
			return 60 - waited
		}
		return 20
	}
	return 30
}

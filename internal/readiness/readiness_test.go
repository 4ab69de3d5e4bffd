package readiness_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/ecprov/ecprov/internal/awsfake"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/readiness"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

func group(t *testing.T, status string) *awsfake.ElastiCache {
	t.Helper()
	ec := awsfake.NewElastiCache()
	ec.CreateStatus = status
	_, err := ec.CreateReplicationGroup(context.Background(), &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String("audio-pipeline-dev"), NumCacheClusters: aws.Int32(2), Port: aws.Int32(6379),
		TransitEncryptionEnabled: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	ec.Names()
	return ec
}

func TestOneCallReportsReadinessAndTopology(t *testing.T) {
	ec := group(t, "available")
	w := &readiness.Handler{ElastiCache: ec}
	out, err := w.Handle(context.Background(), readiness.Input{ReplicationGroupID: "audio-pipeline-dev"})
	if err != nil {
		t.Fatal(err)
	}
	if calls := ec.Names(); len(calls) != 1 || calls[0] != "DescribeReplicationGroups" {
		t.Fatalf("calls = %v, want one DescribeReplicationGroups", calls)
	}
	if !out.Ready || out.NextPollSeconds != 0 || out.Port != 6379 || !out.TLS {
		t.Fatalf("out = %+v", out)
	}
	if out.CurrentPrimary != "audio-pipeline-dev-001" || len(out.Members) != 2 || out.Members[1].Role != "replica" {
		t.Fatalf("members = %+v, primary %s", out.Members, out.CurrentPrimary)
	}
	if out.PrimaryEndpoint == nil || out.ReaderEndpoint == nil {
		t.Fatal("endpoints missing")
	}
}

func TestCreatingGroupSchedulesTheNextPoll(t *testing.T) {
	ec := group(t, "creating")
	w := &readiness.Handler{ElastiCache: ec}
	out, err := w.Handle(context.Background(), readiness.Input{ReplicationGroupID: "audio-pipeline-dev"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Ready || out.NextPollSeconds != 180 || out.Poll.Attempt != 1 || out.Poll.WaitedSeconds != 180 {
		t.Fatalf("first poll = %+v", out)
	}
	next, _ := w.Handle(context.Background(), readiness.Input{ReplicationGroupID: "audio-pipeline-dev", Poll: out.Poll})
	if next.NextPollSeconds != 60 || next.Poll.Attempt != 2 || next.Poll.WaitedSeconds != 240 {
		t.Fatalf("second poll = %+v", next.Poll)
	}
}

func TestCreateFailedAndMissingFailWithStableNames(t *testing.T) {
	w := &readiness.Handler{ElastiCache: group(t, "create-failed")}
	_, err := w.Handle(context.Background(), readiness.Input{ReplicationGroupID: "audio-pipeline-dev"})
	if failure.NameOf(err) != failure.CreateFailed {
		t.Fatalf("create-failed: %v", err)
	}
	_, err = w.Handle(context.Background(), readiness.Input{ReplicationGroupID: "audio-pipeline-nope"})
	if failure.NameOf(err) != failure.NotFound {
		t.Fatalf("missing: %v", err)
	}
	out, err := w.Handle(context.Background(), readiness.Input{ReplicationGroupID: "audio-pipeline-nope", UntilDeleted: true})
	if err != nil || !out.Gone || !out.Ready {
		t.Fatalf("untilDeleted on a missing group: %+v %v", out, err)
	}
	ec := group(t, "available")
	ec.FailNext("DescribeReplicationGroups", awsfake.APIError("Throttling", "Rate exceeded"))
	_, err = (&readiness.Handler{ElastiCache: ec}).Handle(context.Background(), readiness.Input{ReplicationGroupID: "audio-pipeline-dev"})
	var named *failure.Error
	if !errors.As(err, &named) || named.Name != failure.RetryableAWSError {
		t.Fatalf("throttling: %v", err)
	}
}

// TestScheduleForATenMinuteCreation: the polling target of issue 6 is at most
// 25 calls for a 10-minute creation, with the group noticed within 15 s of
// becoming available.
func TestScheduleForATenMinuteCreation(t *testing.T) {
	simulate := func(readyAt int) (calls, delay int) {
		waited := 0
		for {
			calls++
			if waited >= readyAt {
				return calls, waited - readyAt
			}
			waited += readiness.NextPoll(replicationgroup.StatusCreating, waited)
		}
	}
	calls, delay := simulate(600)
	t.Logf("10-minute creation: %d calls, noticed after %ds", calls, delay)
	if calls > 25 {
		t.Errorf("10-minute creation costs %d calls, want <= 25", calls)
	}
	for readyAt := 361; readyAt <= 720; readyAt++ {
		if _, delay := simulate(readyAt); delay > 15 {
			t.Fatalf("ready at %ds noticed %ds late, want <= 15", readyAt, delay)
		}
	}
	if _, delay := simulate(1000); delay > 30 {
		t.Errorf("a slow creation is noticed %ds late", delay)
	}
}

package e2e

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// runawayLoop is a valid state machine that never ends by itself: a
// Pass/Choice loop, which runs without ever giving Node's event loop a turn.
const runawayLoop = `{
  "StartAt": "Spin",
  "States": {
    "Spin": {"Type": "Pass", "Next": "Again?"},
    "Again?": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "BooleanEquals": true, "Next": "Done"}], "Default": "Spin"},
    "Done": {"Type": "Succeed"}
  }
}`

// loopRun is how one runaway loop ended.
type loopRun struct {
	arn                string
	start, stop        time.Time
	status, err, cause string
	events             int64
}

// TestProvisionBesideARunawayLoop: while Pass/Choice loops spin one after
// another, a real provision runs and succeeds; each loop ends as on AWS,
// FAILED with States.Runtime at 25,000 history events.
func TestProvisionBesideARunawayLoop(t *testing.T) {
	ctx := context.Background()
	api := sfn.NewFromConfig(cfg)
	created, err := api.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("e2e-runaway"),
		Definition: aws.String(runawayLoop), RoleArn: aws.String("arn:aws:iam::000000000000:role/e2e-runaway")})
	if err != nil {
		t.Fatal(err)
	}

	// The loops run on their own goroutine, one at a time, until the
	// provision ends: at most maxLoops, each holding a full history. If the
	// test fails first, the loop being followed is left at once.
	const maxLoops = 10
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var (
		wg      sync.WaitGroup
		loops   []loopRun
		loopErr error
	)
	stopLoops := sync.OnceFunc(func() { close(done); wg.Wait() })
	defer func() { cancel(); stopLoops() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range maxLoops {
			select {
			case <-done:
				return
			default:
			}
			r, err := runLoop(loopCtx, api, aws.ToString(created.StateMachineArn), fmt.Sprintf("spin-%d", i))
			if err != nil {
				loopErr = err
				return
			}
			loops = append(loops, r)
		}
	}()
	p, raw := profileFor(t, "e2e-runaway", nil)
	provision := start(t, "provision", p, raw)
	stopLoops()
	out := mustSucceed(t, provision)
	if out["action"] != "created" {
		t.Errorf("provision beside the loops: outputs %v", out)
	}
	if loopErr != nil {
		t.Fatal(loopErr)
	}

	d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(provision.arn)})
	if err != nil {
		t.Fatal(err)
	}
	const cause = "The execution reached the maximum number of history events (25000)."
	overlapped := 0
	for _, l := range loops {
		if l.status != "FAILED" || l.err != "States.Runtime" || l.cause != cause || l.events != 25000 {
			t.Errorf("loop %s: %s %s %q after %d events; want FAILED States.Runtime %q at event 25000", l.arn, l.status, l.err, l.cause, l.events, cause)
		}
		if l.start.Before(*d.StopDate) && l.stop.After(*d.StartDate) {
			overlapped++
		}
	}
	if overlapped == 0 {
		t.Fatalf("no loop ran while the provision did (%d loops): the test proved nothing", len(loops))
	}
	t.Logf("%d loops ran to the history limit beside the provision (%.1fs)", overlapped, d.StopDate.Sub(*d.StartDate).Seconds())
}

// runLoop starts a loop and waits for it to end.
func runLoop(ctx context.Context, api *sfn.Client, machine, name string) (loopRun, error) {
	started, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine),
		Name: aws.String(name), Input: aws.String(`{"stop": false}`)})
	if err != nil {
		return loopRun{}, err
	}
	arn := aws.ToString(started.ExecutionArn)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return loopRun{}, err
		}
		if d.Status != "RUNNING" {
			h, err := api.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: true, MaxResults: 1})
			if err != nil || len(h.Events) == 0 {
				return loopRun{}, fmt.Errorf("history of %s: %v", arn, err)
			}
			return loopRun{arn: arn, start: *d.StartDate, stop: *d.StopDate, status: string(d.Status),
				err: aws.ToString(d.Error), cause: aws.ToString(d.Cause), events: h.Events[0].Id}, nil
		}
		select {
		case <-ctx.Done():
			return loopRun{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return loopRun{}, errors.New("loop " + arn + " still RUNNING after 2 minutes")
}

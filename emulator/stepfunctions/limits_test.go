package stepfunctions_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ecprov/ecprov/emulator/stepfunctions"
)

// spin is a valid state machine that never ends by itself: a Pass/Choice
// loop, which the interpreter runs without ever yielding to Node's event
// loop. Each turn adds four events to the history.
const spin = `{
  "StartAt": "Spin",
  "States": {
    "Spin": {"Type": "Pass", "Next": "Again?"},
    "Again?": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "BooleanEquals": true, "Next": "Done"}], "Default": "Spin"},
    "Done": {"Type": "Succeed"}
  }
}`

// allHistory reads a whole history in pages of 1,000, the most AWS gives.
func (e *env) allHistory(t testing.TB, executionArn string) []types.HistoryEvent {
	t.Helper()
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(e.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(executionArn), MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, page.Events...)
	}
	return events
}

// lastEventID is the id of the newest event of an execution.
func (e *env) lastEventID(t testing.TB, executionArn string) int64 {
	t.Helper()
	out, err := e.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(executionArn), ReverseOrder: true, MaxResults: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) == 0 {
		return 0
	}
	return out.Events[0].Id
}

func (e *env) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 30s waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loopsEnded waits until the runner has no execution and no state machine
// loop still stepping: a stopped or failed execution runs no more states.
func (e *env) loopsEnded(t testing.TB) {
	t.Helper()
	e.waitFor(t, "the runner to end every execution's loop", func() bool {
		running, loops, err := stepfunctions.RunnerStats(ctx, e.sfn)
		if err != nil {
			t.Fatal(err)
		}
		return running == 0 && loops == 0
	})
}

// TestHistoryLimit: a loop fails as on AWS when its history reaches 25,000
// events: event 25,000 is ExecutionFailed with States.Runtime, and the
// runner ends the loop.
func TestHistoryLimit(t *testing.T) {
	e := newEnv(t, 0)
	machine := e.createMachine(t, "spin", spin)
	arn := e.start(t, machine, "spin", `{"stop": false}`)
	out := e.wait(t, arn)
	const cause = "The execution reached the maximum number of history events (25000)."
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.Runtime" || aws.ToString(out.Cause) != cause ||
		out.StopDate == nil || out.Output != nil {
		t.Fatalf("DescribeExecution: status %s error %q cause %q stop %v output %v",
			out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), out.StopDate, out.Output)
	}
	events := e.allHistory(t, arn)
	if len(events) != stepfunctions.MaxHistoryEvents {
		t.Fatalf("%d history events, want %d", len(events), stepfunctions.MaxHistoryEvents)
	}
	last := events[len(events)-1]
	d := last.ExecutionFailedEventDetails
	if last.Type != types.HistoryEventTypeExecutionFailed || last.Id != 25000 || last.PreviousEventId != 24999 ||
		d == nil || aws.ToString(d.Error) != "States.Runtime" || aws.ToString(d.Cause) != cause {
		t.Errorf("event 25,000: %s id %d previous %d details %+v", last.Type, last.Id, last.PreviousEventId, d)
	}
	// ExecutionStarted, then four events a turn: 24,999 = 1 + 4*6249 + 2
	// ends on the Pass state's exit, and the Choice state's entry was the
	// event that met the limit.
	if got := events[len(events)-2].Type; got != types.HistoryEventTypePassStateExited {
		t.Errorf("event 24,999 is %s, want PassStateExited", got)
	}
	e.loopsEnded(t)
	if n := e.lastEventID(t, arn); n != 25000 {
		t.Errorf("the history grew to %d events after the failure", n)
	}
}

// quickMachine does real I/O: a Lambda Task, a scaled Wait, another Task.
const quickMachine = `{
  "StartAt": "First",
  "States": {
    "First": {"Type": "Task", "Resource": "${FnArn}", "Parameters": {"mode": "increment", "count.$": "$.n"}, "ResultPath": "$.n", "Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 10, "Next": "Second"},
    "Second": {"Type": "Task", "Resource": "${FnArn}", "Parameters": {"mode": "increment", "count.$": "$.n"}, "ResultPath": "$.n", "End": true}
  }
}`

// TestLoopStarvesNothingAndStopEndsIt: while a Pass/Choice loop spins,
// other executions start, invoke functions, wait and succeed; StopExecution
// aborts the loop, which runs no further state.
func TestLoopStarvesNothingAndStopEndsIt(t *testing.T) {
	e := newEnv(t, 0.01)
	// The loop must still be running when it is stopped.
	stepfunctions.SetHistoryLimit(e.sfn, 1<<30)
	loop := e.createMachine(t, "spin", spin)
	quick := e.createMachine(t, "quick", quickMachine)
	arn := e.start(t, loop, "spin", `{"stop": false}`)
	e.waitFor(t, "the loop to pass 1,000 events", func() bool { return e.lastEventID(t, arn) > 1000 })

	for i, name := range []string{"beside-1", "beside-2"} {
		out := e.wait(t, e.start(t, quick, name, `{"n": 0}`))
		if out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `{"n":2}` {
			t.Fatalf("execution %d beside the loop: %s %q %q", i+1, out.Status, aws.ToString(out.Output), aws.ToString(out.Cause))
		}
	}
	before := e.lastEventID(t, arn)
	e.waitFor(t, "the loop to keep going", func() bool { return e.lastEventID(t, arn) > before })

	if _, err := e.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn), Error: aws.String("Operator"), Cause: aws.String("runaway")}); err != nil {
		t.Fatal(err)
	}
	out := e.wait(t, arn)
	if out.Status != types.ExecutionStatusAborted || aws.ToString(out.Error) != "Operator" || aws.ToString(out.Cause) != "runaway" {
		t.Errorf("after StopExecution: %s %q %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	e.loopsEnded(t)
	if out := e.wait(t, e.start(t, quick, "after", `{"n": 5}`)); out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `{"n":7}` {
		t.Errorf("execution after the stop: %s %q", out.Status, aws.ToString(out.Output))
	}
}

// TestInputLimit: StartExecution takes at most 262,144 bytes of input,
// counted in UTF-8, and refuses more with a ValidationException.
func TestInputLimit(t *testing.T) {
	const limit = 262144 // SensitiveData's max; TestAPIModel ties the embedded model to the AWS CLI's
	e := newEnv(t, 0)
	machine := e.createMachine(t, "echo", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`)
	// jsonString is a JSON string of n bytes: unit repeated inside quotes.
	jsonString := func(unit string, n int) string {
		return `"` + strings.Repeat(unit, (n-2)/len(unit)) + `"`
	}
	atLimit := jsonString("a", limit)
	out := e.wait(t, e.start(t, machine, "at-limit", atLimit))
	if out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != atLimit {
		t.Errorf("input of %d bytes: %s, output of %d bytes", len(atLimit), out.Status, len(aws.ToString(out.Output)))
	}
	tests := map[string]string{
		"one byte over":               jsonString("a", limit+1),
		"fewer characters than bytes": jsonString("é", limit+2), // 131,072 two-byte characters and two quotes
	}
	for name, input := range tests {
		t.Run(name, func(t *testing.T) {
			if len(input) <= limit || !json.Valid([]byte(input)) {
				t.Fatalf("bad test input: %d bytes", len(input))
			}
			_, err := e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(input)})
			var ve *types.ValidationException
			if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "'input'") || !strings.Contains(ve.ErrorMessage(), "262144") {
				t.Fatalf("%d bytes of input: %v, want a ValidationException on 'input' naming 262144", len(input), err)
			}
			list, err := e.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
			if err != nil || len(list.Executions) != 1 {
				t.Errorf("executions after a refused start: %v %+v", err, list)
			}
		})
	}
}

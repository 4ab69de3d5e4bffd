package stepfunctions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ecprov/ecprov/emulator/lambda"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/emulator/stepfunctions"
)

var (
	bootstrapPath string
	riePath       string
	// skipReason is set when Node.js and aws-local-stepfunctions cannot
	// be had (no node_modules and no npm).
	skipReason string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sfn-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := ensureNodeModules(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		bootstrapPath = filepath.Join(dir, "fn", "bootstrap")
		build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrapPath, "./testdata/fn")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the test function: %v\n%s", err, out)
			return 1
		}
		if riePath, err = lambda.EnsureRIE(context.Background(), filepath.Join(dir, "bin", "aws-lambda-rie")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		code := m.Run()
		if left := processesRunning(dir); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "processes left behind: %v\n", left)
			return 1
		}
		return code
	}()
	os.Exit(code)
}

// ensureNodeModules installs the npm packages when they are missing, as CI
// does; without node_modules and npm the tests skip.
func ensureNodeModules() error {
	if _, err := os.Stat("../../node_modules/aws-local-stepfunctions/package.json"); err == nil {
		return nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		skipReason = "node_modules is missing and npm is not installed: install Node.js and npm, then run scripts/node-deps.sh"
		return nil
	}
	cmd := exec.Command("bash", "scripts/node-deps.sh")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/node-deps.sh: %v\n%s", err, out)
	}
	return nil
}

// processesRunning lists the processes whose command line mentions s.
func processesRunning(s string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			out = append(out, e.Name()+": "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return out
}

type env struct {
	data   string // the services' DataDir
	sfn    *stepfunctions.Service
	client *sfn.Client
	router *server.Router
	fnArn  string
}

// newEnv serves Lambda (with the test function as "fn") and Step Functions
// behind the real router, and returns the real SDK client.
func newEnv(t testing.TB, waitScale float64) *env {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	data := t.TempDir()
	lam, err := lambda.New(lambda.Options{DataDir: data, RIEPath: riePath, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lam.Close() })
	counters := t.TempDir()
	if err := lam.CreateFunction(lambda.Function{Name: "fn", BootstrapPath: bootstrapPath, Env: map[string]string{"COUNTER_DIR": counters}}); err != nil {
		t.Fatal(err)
	}
	states, err := stepfunctions.New(stepfunctions.Options{DataDir: data, Logger: logger, WaitScale: waitScale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = states.Close() })
	rt := server.New(nil, lam, states)
	ts := httptest.NewServer(rt)
	t.Cleanup(ts.Close)
	states.SetLambdaEndpoint(ts.URL)
	client := sfn.New(sfn.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	return &env{data: data, sfn: states, client: client, router: rt, fnArn: "arn:aws:lambda:us-east-1:000000000000:function:fn"}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

var ctx = context.Background()

// provision has what the real state machines use: a Task with Retry on a
// named error and on Lambda's service errors, a Catch to a Fail state, and
// a Wait/Task/Choice loop whose Wait reads its seconds from the input.
const provision = `{
  "Comment": "test machine",
  "StartAt": "Flaky",
  "States": {
    "Flaky": {
      "Type": "Task",
      "Resource": "${FnArn}",
      "Parameters": {"mode": "flaky", "key.$": "$$.Execution.Name", "failures.$": "$.failures"},
      "ResultPath": "$.flaky",
      "Retry": [
        {"ErrorEquals": ["Lambda.ServiceException", "Lambda.SdkClientException"], "IntervalSeconds": 1, "MaxAttempts": 2},
        {"ErrorEquals": ["RetryableAWSError"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 3}
      ],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
      "Next": "Init"
    },
    "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.count", "Next": "Wait"},
    "Wait": {"Type": "Wait", "SecondsPath": "$.waitSeconds", "Next": "Count"},
    "Count": {
      "Type": "Task",
      "Resource": "${FnArn}",
      "Parameters": {"mode": "increment", "count.$": "$.count"},
      "ResultPath": "$.count",
      "Next": "Enough?"
    },
    "Enough?": {
      "Type": "Choice",
      "Choices": [{"Variable": "$.count", "NumericLessThan": 3, "Next": "Wait"}],
      "Default": "Done"
    },
    "Done": {"Type": "Succeed"},
    "Failed": {"Type": "Fail", "Error": "ProvisionFailed", "Cause": "the flaky step kept failing"}
  }
}`

func (e *env) createMachine(t testing.TB, name, definition string) string {
	t.Helper()
	arn, err := e.sfn.CreateStateMachine(name, definition, map[string]string{"FnArn": e.fnArn})
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

func (e *env) start(t testing.TB, machineArn, name, input string) string {
	t.Helper()
	out, err := e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machineArn), Name: aws.String(name), Input: aws.String(input)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ExecutionArn)
}

func (e *env) wait(t testing.TB, executionArn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := e.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionArn)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still RUNNING after 30s", executionArn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) history(t testing.TB, executionArn string) []types.HistoryEvent {
	t.Helper()
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(e.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(executionArn), MaxResults: 7})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, page.Events...)
	}
	return events
}

func typesOf(events []types.HistoryEvent) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = string(ev.Type)
	}
	return out
}

func TestExecutionWithRetriesWaitsAndALoop(t *testing.T) {
	e := newEnv(t, 0.01)
	machine := e.createMachine(t, "provision", provision)
	// Two RetryableAWSErrors, then one Lambda.ServiceException from the
	// service itself, then success; three 30 s Waits scaled to 0.3 s.
	if _, err := e.router.Faults().Add(server.Fault{Service: "lambda", Operation: "Invoke", Count: 1, Status: 500, Code: "ServiceException", Message: "injected"}); err != nil {
		t.Fatal(err)
	}
	// The fault hits the first invocation; the flaky function then fails twice.
	start := time.Now()
	arn := e.start(t, machine, "ok-run", `{"failures": 2, "waitSeconds": 30}`)
	out := e.wait(t, arn)
	elapsed := time.Since(start)
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s error %q cause %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	var result struct {
		Count int `json:"count"`
		Flaky struct {
			Calls int `json:"calls"`
		} `json:"flaky"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &result); err != nil {
		t.Fatal(err)
	}
	if result.Count != 3 || result.Flaky.Calls != 3 {
		t.Errorf("output %s: want count 3 and 3 calls of the flaky function", aws.ToString(out.Output))
	}
	if elapsed < 900*time.Millisecond || elapsed > 15*time.Second {
		t.Errorf("execution took %s; three 30 s waits at scale 0.01 take about 0.9 s", elapsed)
	}
	t.Logf("execution took %s", elapsed)

	events := e.history(t, arn)
	loop := []string{"WaitStateEntered", "WaitStateExited", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
		"LambdaFunctionSucceeded", "TaskStateExited", "ChoiceStateEntered", "ChoiceStateExited"}
	want := []string{"ExecutionStarted", "TaskStateEntered",
		"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed", // Lambda.ServiceException
		"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed", // RetryableAWSError
		"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed", // RetryableAWSError
		"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
		"TaskStateExited", "PassStateEntered", "PassStateExited"}
	for range 3 {
		want = append(want, loop...)
	}
	want = append(want, "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded")
	if got := typesOf(events); !slices.Equal(got, want) {
		t.Fatalf("history:\n got %v\nwant %v", got, want)
	}

	var failures []string
	for i, ev := range events {
		if ev.Id != int64(i+1) || ev.PreviousEventId != int64(i) || ev.Timestamp == nil {
			t.Errorf("event %d: id %d previousEventId %d timestamp %v", i, ev.Id, ev.PreviousEventId, ev.Timestamp)
		}
		if d := ev.LambdaFunctionFailedEventDetails; d != nil {
			failures = append(failures, aws.ToString(d.Error))
			if aws.ToString(d.Error) == "RetryableAWSError" && !strings.Contains(aws.ToString(d.Cause), `"errorMessage":"call `) {
				t.Errorf("cause %q: want the function's error document", aws.ToString(d.Cause))
			}
		}
		if d := ev.LambdaFunctionScheduledEventDetails; d != nil && aws.ToString(d.Resource) != e.fnArn {
			t.Errorf("LambdaFunctionScheduled resource %q", aws.ToString(d.Resource))
		}
	}
	if !slices.Equal(failures, []string{"Lambda.ServiceException", "RetryableAWSError", "RetryableAWSError"}) {
		t.Errorf("function failures %v", failures)
	}
	if d := events[0].ExecutionStartedEventDetails; d == nil || aws.ToString(d.Input) != `{"failures": 2, "waitSeconds": 30}` {
		t.Errorf("ExecutionStarted details %+v", d)
	}
	if d := events[1].StateEnteredEventDetails; d == nil || aws.ToString(d.Name) != "Flaky" || aws.ToString(d.Input) != `{"failures":2,"waitSeconds":30}` {
		t.Errorf("first TaskStateEntered: name %q input %q", aws.ToString(d.Name), aws.ToString(d.Input))
	}
	// The Wait lasted 30 s x 0.01.
	for i, ev := range events {
		if ev.Type == types.HistoryEventTypeWaitStateEntered {
			d := events[i+1].Timestamp.Sub(*ev.Timestamp)
			if d < 250*time.Millisecond || d > 2*time.Second {
				t.Errorf("a 30 s Wait at scale 0.01 lasted %s", d)
			}
			break
		}
	}

	rev, err := e.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: true, MaxResults: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := typesOf(rev.Events); !slices.Equal(got, []string{"ExecutionSucceeded", "SucceedStateExited"}) || rev.NextToken == nil {
		t.Errorf("reverse order page: %v next %v", got, rev.NextToken)
	}
	bare, err := e.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), IncludeExecutionData: aws.Bool(false), MaxResults: 2})
	if err != nil {
		t.Fatal(err)
	}
	if d := bare.Events[1].StateEnteredEventDetails; d == nil || d.Input != nil || aws.ToString(d.Name) != "Flaky" {
		t.Errorf("includeExecutionData=false still has input: %+v", d)
	}
}

func TestCatchToFailState(t *testing.T) {
	e := newEnv(t, 0.01)
	machine := e.createMachine(t, "provision", provision)
	arn := e.start(t, machine, "bad-run", `{"failures": 99, "waitSeconds": 1}`)
	out := e.wait(t, arn)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "ProvisionFailed" ||
		aws.ToString(out.Cause) != "the flaky step kept failing" || out.StopDate == nil || out.Output != nil {
		t.Fatalf("DescribeExecution = status %s error %q cause %q stop %v", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), out.StopDate)
	}
	events := e.history(t, arn)
	got := typesOf(events)
	// Four attempts (MaxAttempts 3 retries), caught, Fail state.
	if n := strings.Count(strings.Join(got, " "), "LambdaFunctionFailed"); n != 4 {
		t.Errorf("%d LambdaFunctionFailed events, want 4: %v", n, got)
	}
	tail := got[len(got)-4:]
	if !slices.Equal(tail, []string{"LambdaFunctionFailed", "TaskStateExited", "FailStateEntered", "ExecutionFailed"}) {
		t.Errorf("history ends %v", tail)
	}
	failIn := aws.ToString(events[len(events)-2].StateEnteredEventDetails.Input)
	var caught struct {
		Error struct{ Error, Cause string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(failIn), &caught); err != nil || caught.Error.Error != "RetryableAWSError" ||
		!strings.Contains(caught.Error.Cause, `"errorType":"RetryableAWSError"`) {
		t.Errorf("Catch ResultPath: Fail state input %s", failIn)
	}
	d := events[len(events)-1].ExecutionFailedEventDetails
	if d == nil || aws.ToString(d.Error) != "ProvisionFailed" || aws.ToString(d.Cause) != "the flaky step kept failing" {
		t.Errorf("ExecutionFailed details %+v", d)
	}
}

func TestLambdaInvokeIntegration(t *testing.T) {
	e := newEnv(t, 0)
	machine := e.createMachine(t, "integration", `{
	  "StartAt": "Invoke",
	  "States": {
	    "Invoke": {
	      "Type": "Task",
	      "Resource": "arn:aws:states:::lambda:invoke",
	      "Parameters": {"FunctionName": "${FnArn}", "Payload": {"mode": "increment", "count.$": "$.n"}},
	      "ResultSelector": {"n.$": "$.Payload", "status.$": "$.StatusCode"},
	      "End": true
	    }
	  }
	}`)
	arn := e.start(t, machine, "x", `{"n": 41}`)
	out := e.wait(t, arn)
	if out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `{"n":42,"status":200}` {
		t.Fatalf("status %s output %s error %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Error))
	}
	events := e.history(t, arn)
	want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if got := typesOf(events); !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	d := events[2].TaskScheduledEventDetails
	if d == nil || aws.ToString(d.ResourceType) != "lambda" || aws.ToString(d.Resource) != "invoke" || aws.ToString(d.Region) != "us-east-1" ||
		!strings.Contains(aws.ToString(d.Parameters), `"FunctionName":"`+e.fnArn) {
		t.Errorf("TaskScheduled details %+v", d)
	}
}

func TestStartIdempotencyAndStop(t *testing.T) {
	e := newEnv(t, 1) // real time: the Wait outlasts the test unless stopped
	machine := e.createMachine(t, "waiter", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}}`)
	arn := e.start(t, machine, "same", `{"a": 1}`)
	if again := e.start(t, machine, "same", `{"a": 1}`); again != arn {
		t.Errorf("StartExecution with the same name and input: %s, want %s", again, arn)
	}
	_, err := e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("same"), Input: aws.String(`{"a": 2}`)})
	var exists *types.ExecutionAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("same name, other input: %v, want ExecutionAlreadyExists", err)
	}
	// Let the runner enter the Wait, then stop it.
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(typesOf(e.history(t, arn)), "WaitStateEntered") {
		if time.Now().After(deadline) {
			t.Fatalf("the execution never entered its Wait: %v", typesOf(e.history(t, arn)))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := e.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn), Error: aws.String("Operator"), Cause: aws.String("test")}); err != nil {
		t.Fatal(err)
	}
	out := e.wait(t, arn)
	if out.Status != types.ExecutionStatusAborted || aws.ToString(out.Error) != "Operator" || aws.ToString(out.Cause) != "test" {
		t.Errorf("after StopExecution: %s %q %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	events := e.history(t, arn)
	if last := events[len(events)-1]; last.Type != types.HistoryEventTypeExecutionAborted || aws.ToString(last.ExecutionAbortedEventDetails.Error) != "Operator" {
		t.Errorf("last event %s %+v", last.Type, last.ExecutionAbortedEventDetails)
	}
	time.Sleep(100 * time.Millisecond) // nothing may follow the abort
	if n := len(e.history(t, arn)); n != len(events) {
		t.Errorf("history grew from %d to %d events after the abort", len(events), n)
	}
	_, err = e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("same"), Input: aws.String(`{"a": 1}`)})
	if !errors.As(err, &exists) {
		t.Errorf("reusing the name of a finished execution: %v, want ExecutionAlreadyExists", err)
	}

	list, err := e.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), StatusFilter: types.ExecutionStatusAborted})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) != 1 || aws.ToString(list.Executions[0].ExecutionArn) != arn {
		t.Errorf("ListExecutions ABORTED = %+v", list.Executions)
	}
	list, _ = e.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), StatusFilter: types.ExecutionStatusRunning})
	if len(list.Executions) != 0 {
		t.Errorf("ListExecutions RUNNING = %+v", list.Executions)
	}
}

func TestStateMachinesAndErrors(t *testing.T) {
	e := newEnv(t, 0)
	def := `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`
	in := &sfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/r")}
	first, err := e.client.CreateStateMachine(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.client.CreateStateMachine(ctx, in)
	if err != nil || aws.ToString(second.StateMachineArn) != aws.ToString(first.StateMachineArn) || !second.CreationDate.Equal(*first.CreationDate) {
		t.Errorf("CreateStateMachine twice with the same definition: %v %+v", err, second)
	}
	if aws.ToString(first.StateMachineArn) != "arn:aws:states:us-east-1:000000000000:stateMachine:m" {
		t.Errorf("ARN %s", aws.ToString(first.StateMachineArn))
	}

	tests := []struct {
		name string
		call func() error
		want any
	}{
		{"other definition, same name", func() error {
			_, err := e.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), RoleArn: in.RoleArn,
				Definition: aws.String(`{"StartAt": "Q", "States": {"Q": {"Type": "Succeed"}}}`)})
			return err
		}, new(*types.StateMachineAlreadyExists)},
		{"missing Next target", func() error {
			_, err := e.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), RoleArn: in.RoleArn,
				Definition: aws.String(`{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}`)})
			return err
		}, new(*types.InvalidDefinition)},
		{"not JSON", func() error {
			_, err := e.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), RoleArn: in.RoleArn, Definition: aws.String(`{`)})
			return err
		}, new(*types.InvalidDefinition)},
		{"bad name", func() error {
			_, err := e.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("a b"), RoleArn: in.RoleArn, Definition: aws.String(def)})
			return err
		}, new(*types.InvalidName)},
		{"unknown state machine", func() error {
			_, err := e.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:nope")})
			return err
		}, new(*types.StateMachineDoesNotExist)},
		{"start on an unknown state machine", func() error {
			_, err := e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:nope")})
			return err
		}, new(*types.StateMachineDoesNotExist)},
		{"unknown execution", func() error {
			_, err := e.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:m:nope")})
			return err
		}, new(*types.ExecutionDoesNotExist)},
		{"malformed ARN", func() error {
			_, err := e.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("nope")})
			return err
		}, new(*types.InvalidArn)},
		{"input not JSON", func() error {
			_, err := e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: first.StateMachineArn, Input: aws.String("{")})
			return err
		}, new(*types.InvalidExecutionInput)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !errors.As(err, tt.want) {
				t.Errorf("got %v, want %T", err, tt.want)
			}
		})
	}

	d, err := e.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: first.StateMachineArn})
	if err != nil || aws.ToString(d.Definition) != def || d.Type != types.StateMachineTypeStandard || d.Status != types.StateMachineStatusActive {
		t.Errorf("DescribeStateMachine: %v %+v", err, d)
	}
	if _, err := e.sfn.CreateStateMachine("subst", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${Missing}", "End": true}}}`, nil); err == nil ||
		!strings.Contains(err.Error(), "${Missing}") {
		t.Errorf("a placeholder without substitution: %v", err)
	}
	list, err := e.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 1 || aws.ToString(list.StateMachines[0].Name) != "m" {
		t.Errorf("ListStateMachines: %v %+v", err, list)
	}

	// Executions get a name when none is given.
	out, err := e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: first.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	if x := e.wait(t, aws.ToString(out.ExecutionArn)); x.Status != types.ExecutionStatusSucceeded || aws.ToString(x.Output) != "{}" || len(aws.ToString(x.Name)) != 36 {
		t.Errorf("unnamed execution: %s %q %q", x.Status, aws.ToString(x.Output), aws.ToString(x.Name))
	}
}

// TestFunctionMissing: a Task on a function that does not exist fails with
// Lambda.ResourceNotFoundException, as on AWS.
func TestFunctionMissing(t *testing.T) {
	e := newEnv(t, 0)
	machine := e.createMachine(t, "missing", `{"StartAt": "T", "States": {"T": {"Type": "Task",
	  "Resource": "arn:aws:lambda:us-east-1:000000000000:function:nope", "End": true}}}`)
	out := e.wait(t, e.start(t, machine, "x", `{}`))
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "Lambda.ResourceNotFoundException" {
		t.Errorf("status %s error %q cause %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
}

// TestRunnerCrash: executions of a runner that dies fail with States.Runtime,
// and the next execution gets a new runner.
func TestRunnerCrash(t *testing.T) {
	e := newEnv(t, 1)
	machine := e.createMachine(t, "waiter", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}}`)
	arn := e.start(t, machine, "victim", `{}`)
	script := filepath.Join(e.data, "stepfunctions", "runner.mjs")
	procs := processesRunning(script)
	if len(procs) != 1 {
		t.Fatalf("want one runner, got %v", procs)
	}
	pid, _ := strconv.Atoi(strings.SplitN(procs[0], ":", 2)[0])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	out := e.wait(t, arn)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.Runtime" || !strings.Contains(aws.ToString(out.Cause), "runner exited") {
		t.Errorf("after the runner died: %s %q %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	quick := e.createMachine(t, "quick", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": false, "End": true}}}`)
	if out := e.wait(t, e.start(t, quick, "after", `{}`)); out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != "false" {
		t.Errorf("execution on a new runner: %s %q", out.Status, aws.ToString(out.Output))
	}
}

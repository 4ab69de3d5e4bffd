package stepfunctions

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

type stateMachine struct {
	arn        string
	name       string
	definition string
	roleArn    string
	typ        string
	created    time.Time
	revision   int
}

// Step Functions ends an execution at 25,000 history events, a hard quota
// ("Step Functions service quotas", Quotas related to state machine
// executions). "Avoid reaching the history quota" says how: once the
// history holds 24,999 events, event 25,000 is ExecutionSucceeded if that
// is what comes next, and otherwise an ExecutionFailed that ends the
// execution. Histories from AWS show that event as error States.Runtime
// with this cause.
const (
	maxHistoryEvents  = 25000
	historyLimitError = "States.Runtime"
	historyLimitCause = "The execution reached the maximum number of history events (25000)."
)

type execution struct {
	arn        string
	name       string
	machineArn string
	roleArn    string
	input      string
	status     string
	start      time.Time
	stop       time.Time
	output     *string
	errorName  *string
	cause      *string
	history    []historyEvent
	runner     *runner // the runner running it, while it runs
	// historyLimit is maxHistoryEvents but in tests; atLimit is set when
	// the history reached it.
	historyLimit int
	atLimit      bool
}

func (x *execution) running() bool { return x.status == StatusRunning }

// add appends an event, numbered after the last one. The event that would
// fill the history ends the execution instead, unless it is the success.
func (x *execution) add(ts time.Time, ev historyEvent) {
	switch n := len(x.history); {
	case n >= x.historyLimit:
		return
	case n == x.historyLimit-1 && ev.Type != "ExecutionSucceeded":
		ev = historyEvent{Type: "ExecutionFailed", ExecutionFailedEventDetails: &errorDetails{Error: ptr(historyLimitError), Cause: ptr(historyLimitCause)}}
		x.status, x.stop, x.runner, x.atLimit = StatusFailed, ts, nil, true
		x.output, x.errorName, x.cause = nil, ptr(historyLimitError), ptr(historyLimitCause)
	}
	ev.ID = int64(len(x.history) + 1)
	ev.PreviousEventID = ev.ID - 1
	ev.Timestamp = ts
	ev.Type = strings.TrimSpace(ev.Type)
	x.history = append(x.history, ev)
}

// finish closes the execution with a terminal event.
func (x *execution) finish(ts time.Time, status string, ev historyEvent) {
	if !x.running() {
		return
	}
	x.status = status
	x.stop = ts
	x.runner = nil
	x.add(ts, ev)
}

var noTruncation = &dataDetails{Truncated: new(bool)}

func ptr[T any](v T) *T { return &v }

// apply turns one runner event into history events and, for the last one,
// the execution's outcome. The mapping follows what Step Functions writes:
// a state's Entered/Exited pair, LambdaFunction* events for a Task whose
// Resource is a function ARN, Task* events for the lambda:invoke
// integration, and no event of its own for a retry (the next
// LambdaFunctionScheduled is the retry).
func (x *execution) apply(ev runnerEvent) {
	if !x.running() {
		return
	}
	ts := time.UnixMilli(ev.TS)
	if ev.TS == 0 {
		ts = time.Now()
	}
	switch ev.Type {
	case "StateEntered":
		x.add(ts, historyEvent{Type: ev.StateType + "StateEntered",
			StateEnteredEventDetails: &stateEnteredDetails{Name: ev.Name, Input: ev.Input, InputDetails: noTruncation}})
		switch ev.StateType {
		case "Map":
			x.add(ts, historyEvent{Type: "MapStateStarted", MapStateStartedEventDetails: &mapStateStartedDetails{}})
		case "Parallel":
			x.add(ts, historyEvent{Type: "ParallelStateStarted"})
		}
	case "StateExited":
		switch ev.StateType {
		case "Map":
			x.add(ts, historyEvent{Type: "MapStateSucceeded"})
		case "Parallel":
			x.add(ts, historyEvent{Type: "ParallelStateSucceeded"})
		}
		x.add(ts, historyEvent{Type: ev.StateType + "StateExited",
			StateExitedEventDetails: &stateExitedDetails{Name: ev.Name, Output: ev.Output, OutputDetails: noTruncation}})
	case "StateFailed":
		switch ev.StateType {
		case "Map":
			x.add(ts, historyEvent{Type: "MapStateFailed"})
		case "Parallel":
			x.add(ts, historyEvent{Type: "ParallelStateFailed"})
		}
	case "MapIterationStarted", "MapIterationSucceeded", "MapIterationFailed":
		d := &mapIterationDetails{Name: ev.Name, Index: ev.Index}
		he := historyEvent{Type: ev.Type}
		switch ev.Type {
		case "MapIterationStarted":
			he.MapIterationStartedEventDetails = d
		case "MapIterationSucceeded":
			he.MapIterationSucceededEventDetails = d
		default:
			he.MapIterationFailedEventDetails = d
		}
		x.add(ts, he)
	case "TaskScheduled":
		if ev.Kind == "function" {
			x.add(ts, historyEvent{Type: "LambdaFunctionScheduled", LambdaFunctionScheduledEventDetails: &lambdaScheduledDetails{
				Resource: ev.Resource, Input: ev.Input, InputDetails: noTruncation, TimeoutInSeconds: ev.TimeoutSeconds}})
		} else {
			x.add(ts, historyEvent{Type: "TaskScheduled", TaskScheduledEventDetails: &taskScheduledDetails{
				ResourceType: ev.ResourceType, Resource: ev.Resource, Region: ev.Region, Parameters: ev.Parameters, TimeoutInSeconds: ev.TimeoutSeconds}})
		}
	case "TaskStarted":
		if ev.Kind == "function" {
			x.add(ts, historyEvent{Type: "LambdaFunctionStarted"})
		} else {
			x.add(ts, historyEvent{Type: "TaskStarted", TaskStartedEventDetails: &taskDetails{ResourceType: ev.ResourceType, Resource: ev.Resource}})
		}
	case "TaskSucceeded":
		if ev.Kind == "function" {
			x.add(ts, historyEvent{Type: "LambdaFunctionSucceeded", LambdaFunctionSucceededEventDetails: &outputDetails{Output: ev.Output, OutputDetails: noTruncation}})
		} else {
			x.add(ts, historyEvent{Type: "TaskSucceeded", TaskSucceededEventDetails: &taskDetails{
				ResourceType: ev.ResourceType, Resource: ev.Resource, Output: ev.Output, OutputDetails: noTruncation}})
		}
	case "TaskFailed", "TaskTimedOut":
		if ev.Kind == "function" {
			he := historyEvent{Type: "LambdaFunctionFailed"}
			d := &errorDetails{Error: ev.Error, Cause: ev.Cause}
			if ev.Type == "TaskTimedOut" {
				he.Type, he.LambdaFunctionTimedOutEventDetails = "LambdaFunctionTimedOut", d
			} else {
				he.LambdaFunctionFailedEventDetails = d
			}
			x.add(ts, he)
		} else {
			d := &taskDetails{ResourceType: ev.ResourceType, Resource: ev.Resource, Error: ev.Error, Cause: ev.Cause}
			he := historyEvent{Type: "TaskFailed", TaskFailedEventDetails: d}
			if ev.Type == "TaskTimedOut" {
				he = historyEvent{Type: "TaskTimedOut", TaskTimedOutEventDetails: d}
			}
			x.add(ts, he)
		}
	case "ExecutionSucceeded":
		x.output = ev.Output
		x.finish(ts, StatusSucceeded, historyEvent{Type: "ExecutionSucceeded",
			ExecutionSucceededEventDetails: &outputDetails{Output: ev.Output, OutputDetails: noTruncation}})
	case "ExecutionFailed":
		x.errorName, x.cause = ev.Error, ev.Cause
		x.finish(ts, StatusFailed, historyEvent{Type: "ExecutionFailed", ExecutionFailedEventDetails: &errorDetails{Error: ev.Error, Cause: ev.Cause}})
	case "ExecutionTimedOut":
		x.errorName, x.cause = ev.Error, ev.Cause
		x.finish(ts, StatusTimedOut, historyEvent{Type: "ExecutionTimedOut", ExecutionTimedOutEventDetails: &errorDetails{Error: ev.Error, Cause: ev.Cause}})
	case "ExecutionAborted":
		x.finish(ts, StatusAborted, historyEvent{Type: "ExecutionAborted", ExecutionAbortedEventDetails: &errorDetails{}})
	}
}

// withoutData is the event without inputs and outputs, for
// includeExecutionData=false.
func (ev historyEvent) withoutData() historyEvent {
	if d := ev.ExecutionStartedEventDetails; d != nil {
		ev.ExecutionStartedEventDetails = &executionStartedDetails{RoleArn: d.RoleArn}
	}
	if ev.ExecutionSucceededEventDetails != nil {
		ev.ExecutionSucceededEventDetails = &outputDetails{}
	}
	if d := ev.StateEnteredEventDetails; d != nil {
		ev.StateEnteredEventDetails = &stateEnteredDetails{Name: d.Name}
	}
	if d := ev.StateExitedEventDetails; d != nil {
		ev.StateExitedEventDetails = &stateExitedDetails{Name: d.Name}
	}
	if d := ev.LambdaFunctionScheduledEventDetails; d != nil {
		ev.LambdaFunctionScheduledEventDetails = &lambdaScheduledDetails{Resource: d.Resource, TimeoutInSeconds: d.TimeoutInSeconds}
	}
	if ev.LambdaFunctionSucceededEventDetails != nil {
		ev.LambdaFunctionSucceededEventDetails = &outputDetails{}
	}
	if d := ev.TaskSucceededEventDetails; d != nil {
		ev.TaskSucceededEventDetails = &taskDetails{ResourceType: d.ResourceType, Resource: d.Resource}
	}
	return ev
}

// Names of state machines and executions: AWS allows more characters, but
// these are the ones that are safe everywhere (ARNs, URLs, log groups).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func checkName(what, name string) error {
	if !nameRE.MatchString(name) {
		return clientError("InvalidName", "Invalid Name: '%s' (%s names are 1-80 letters, digits, hyphens and underscores)", name, what)
	}
	return nil
}

// checkDefinitionShape does the checks that need no interpreter; the
// runner's asl-validator does the rest.
func checkDefinitionShape(definition string) (json.RawMessage, error) {
	var def struct {
		StartAt *string                    `json:"StartAt"`
		States  map[string]json.RawMessage `json:"States"`
	}
	if err := json.Unmarshal([]byte(definition), &def); err != nil {
		return nil, invalidDefinition("SCHEMA_VALIDATION_FAILED: the definition is not a JSON object: " + err.Error())
	}
	if def.StartAt == nil {
		return nil, invalidDefinition("SCHEMA_VALIDATION_FAILED: The field 'StartAt' is required")
	}
	if len(def.States) == 0 {
		return nil, invalidDefinition("SCHEMA_VALIDATION_FAILED: The field 'States' is required")
	}
	return json.RawMessage(definition), nil
}

// page cuts a list for maxResults/nextToken; tokens are offsets.
func page[T any](items []T, maxResults int, token string, def int) ([]T, string, error) {
	if maxResults < 0 || maxResults > 1000 {
		return nil, "", validationError("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", maxResults)
	}
	if maxResults == 0 {
		maxResults = def
	}
	start := 0
	if token != "" {
		n, err := parseToken(token)
		if err != nil || n > len(items) {
			return nil, "", invalidToken(token)
		}
		start = n
	}
	end := min(start+maxResults, len(items))
	next := ""
	if end < len(items) {
		next = makeToken(end)
	}
	return items[start:end], next, nil
}

func makeToken(offset int) string { return fmt.Sprintf("ecprov-%d", offset) }

func parseToken(token string) (int, error) {
	var n int
	if _, err := fmt.Sscanf(token, "ecprov-%d", &n); err != nil || n < 0 {
		return 0, fmt.Errorf("bad token %q", token)
	}
	return n, nil
}

// sortExecutions orders executions newest first, as ListExecutions does.
func sortExecutions(xs []*execution) {
	sort.SliceStable(xs, func(i, j int) bool { return xs[i].start.After(xs[j].start) })
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

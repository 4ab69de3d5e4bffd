package stepfunctions

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecprov/ecprov/emulator/server"
)

// One handler per operation. Each validates its input, works on the model
// under s.mu, and returns the output shape or an *apiError.

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// maxInputBytes is the most StartExecution takes as input: 262,144, the
// max of its shape SensitiveData in the states model
// (StartExecutionInput.input), where "length constraints apply to the
// payload size, and are expressed as bytes in UTF-8 encoding". The
// dispatcher's model check counts characters, as for every other string;
// startExecution counts the bytes. Its answer is the model check's: a
// ValidationException, one of StartExecution's errors in the model, whose
// message leaves the value out because the shape is sensitive.
var maxInputBytes = modelMax("StartExecution", "input")

// modelMax is the max the embedded model sets on an operation's input
// member.
func modelMax(operation, member string) int {
	in, err := apiModel.Input(operation)
	if err != nil {
		panic(err)
	}
	m, ok := in.MemberNamed(member)
	if !ok || m.Shape.Max == nil {
		panic(fmt.Sprintf("apimodel.json: %s has no max on %s", operation, member))
	}
	return int(*m.Shape.Max)
}

// validate checks a definition: its shape here, the rest with asl-validator
// in the runner, as CreateStateMachine does on AWS.
func (s *Service) validate(ctx context.Context, definition string) error {
	if _, err := checkDefinitionShape(definition); err != nil {
		return err
	}
	r, err := s.getRunner(ctx)
	if err != nil {
		return fmt.Errorf("validating the definition: %w", err)
	}
	reply, err := r.request(ctx, map[string]any{"op": "validate", "definition": json.RawMessage(definition)})
	if err != nil {
		return fmt.Errorf("validating the definition: %w", err)
	}
	if !reply.OK {
		detail := ""
		if reply.Error != nil {
			detail = strings.TrimSpace(strings.TrimPrefix(*reply.Error, "State machine definition is invalid, see error(s) below:"))
		}
		return invalidDefinition(strings.Join(strings.Fields(detail), " "))
	}
	return nil
}

func (s *Service) createStateMachine(ctx context.Context, in *createStateMachineInput) (*createStateMachineOutput, error) {
	if err := checkName("state machine", in.Name); err != nil {
		return nil, err
	}
	if in.RoleArn == "" {
		return nil, validationError("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	switch in.Type {
	case "":
		in.Type = "STANDARD"
	case "STANDARD":
	default:
		return nil, validationError("ecprov emulator: state machine type %q is not supported; use STANDARD", in.Type)
	}
	if err := s.validate(ctx, in.Definition); err != nil {
		return nil, err
	}
	arn := s.StateMachineARN(in.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if sm, ok := s.machines[arn]; ok {
		// CreateStateMachine is idempotent for the same settings.
		if sm.definition == in.Definition && sm.roleArn == in.RoleArn && sm.typ == in.Type {
			return &createStateMachineOutput{StateMachineArn: arn, CreationDate: sm.created}, nil
		}
		return nil, clientError("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
	}
	sm := &stateMachine{arn: arn, name: in.Name, definition: in.Definition, roleArn: in.RoleArn, typ: in.Type, created: now(), revision: 1}
	s.machines[arn] = sm
	s.log.Info("state machine created", "stateMachineArn", arn, "requestId", server.RequestID(ctx))
	return &createStateMachineOutput{StateMachineArn: arn, CreationDate: sm.created}, nil
}

// machine finds a state machine by ARN. s.mu is held.
func (s *Service) machine(arn string) (*stateMachine, error) {
	if !strings.HasPrefix(arn, "arn:aws:states:") || !strings.Contains(arn, ":stateMachine:") {
		return nil, invalidArn(arn)
	}
	sm, ok := s.machines[arn]
	if !ok {
		return nil, stateMachineDoesNotExist(arn)
	}
	return sm, nil
}

// execution finds an execution by ARN. s.mu is held.
func (s *Service) execution(arn string) (*execution, error) {
	if !strings.HasPrefix(arn, "arn:aws:states:") || !strings.Contains(arn, ":execution:") {
		return nil, invalidArn(arn)
	}
	x, ok := s.executions[arn]
	if !ok {
		return nil, executionDoesNotExist(arn)
	}
	return x, nil
}

func (s *Service) describeStateMachine(_ context.Context, in *stateMachineArnInput) (*describeStateMachineOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, err := s.machine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	return &describeStateMachineOutput{
		StateMachineArn:      sm.arn,
		Name:                 sm.name,
		Status:               "ACTIVE",
		Definition:           sm.definition,
		RoleArn:              sm.roleArn,
		Type:                 sm.typ,
		CreationDate:         sm.created,
		LoggingConfiguration: loggingConfiguration{Level: "OFF"},
		RevisionID:           fmt.Sprint(sm.revision),
	}, nil
}

func (s *Service) listStateMachines(_ context.Context, in *listInput) (*listStateMachinesOutput, error) {
	s.mu.Lock()
	items := make([]stateMachineListItem, 0, len(s.machines))
	for _, sm := range s.machines {
		items = append(items, stateMachineListItem{StateMachineArn: sm.arn, Name: sm.name, Type: sm.typ, CreationDate: sm.created})
	}
	s.mu.Unlock()
	slices.SortFunc(items, func(a, b stateMachineListItem) int { return strings.Compare(a.Name, b.Name) })
	items, next, err := page(items, in.MaxResults, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &listStateMachinesOutput{StateMachines: items, NextToken: next}, nil
}

func (s *Service) updateStateMachine(ctx context.Context, in *updateStateMachineInput) (*updateStateMachineOutput, error) {
	if in.Definition == nil && in.RoleArn == nil {
		return nil, clientError("MissingRequiredParameter", "Either the definition or the roleArn must be specified")
	}
	if in.Definition != nil {
		if err := s.validate(ctx, *in.Definition); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, err := s.machine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if in.Definition != nil {
		sm.definition = *in.Definition
	}
	if in.RoleArn != nil {
		sm.roleArn = *in.RoleArn
	}
	sm.revision++
	return &updateStateMachineOutput{UpdateDate: now(), RevisionID: fmt.Sprint(sm.revision)}, nil
}

func (s *Service) deleteStateMachine(_ context.Context, in *stateMachineArnInput) (*empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.machine(in.StateMachineArn); err != nil {
		return nil, err
	}
	delete(s.machines, in.StateMachineArn)
	return &empty{}, nil
}

func (s *Service) startExecution(ctx context.Context, in *startExecutionInput) (*startExecutionOutput, error) {
	if in.Name == "" {
		in.Name = newUUID()
	}
	if err := checkName("execution", in.Name); err != nil {
		return nil, err
	}
	input := "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if len(input) > maxInputBytes {
		return nil, validationError("1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to %d", maxInputBytes)
	}
	if !json.Valid([]byte(input)) {
		return nil, clientError("InvalidExecutionInput", "Invalid State Machine Execution Input: 'the input is not valid JSON'")
	}

	s.mu.Lock()
	sm, err := s.machine(in.StateMachineArn)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	arn := s.executionARN(sm.name, in.Name)
	if x, ok := s.executions[arn]; ok {
		s.mu.Unlock()
		// Idempotent for a running execution with the same input.
		if x.running() && x.input == input {
			return &startExecutionOutput{ExecutionArn: arn, StartDate: x.start}, nil
		}
		return nil, clientError("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	x := &execution{arn: arn, name: in.Name, machineArn: sm.arn, roleArn: sm.roleArn, input: input, status: StatusRunning, start: now(),
		historyLimit: s.historyLimit}
	x.add(x.start, historyEvent{Type: "ExecutionStarted", ExecutionStartedEventDetails: &executionStartedDetails{
		Input: ptr(input), InputDetails: noTruncation, RoleArn: sm.roleArn}})
	s.executions[arn] = x
	definition, endpoint := sm.definition, s.lambdaEndpoint
	s.mu.Unlock()
	s.log.Info("execution started", "executionArn", arn, "requestId", server.RequestID(ctx))

	r, err := s.getRunner(ctx)
	if err == nil {
		s.mu.Lock()
		if x.running() {
			x.runner = r
		}
		s.mu.Unlock()
		err = r.send(startCommand{
			Op:         "start",
			Exec:       arn,
			Definition: json.RawMessage(definition),
			Input:      json.RawMessage(input),
			Context: map[string]any{
				"Execution":    map[string]any{"Id": arn, "Name": in.Name, "RoleArn": sm.roleArn},
				"StateMachine": map[string]any{"Id": sm.arn, "Name": sm.name},
			},
			WaitScale:      s.opts.WaitScale,
			LambdaEndpoint: endpoint,
			Region:         s.opts.Region,
			HistoryLimit:   x.historyLimit,
		})
	}
	if err != nil {
		s.log.Error("cannot run the execution", "executionArn", arn, "error", err)
		s.mu.Lock()
		s.failExecution(x, StatusFailed, "States.Runtime", "ecprov emulator: cannot run the execution: "+err.Error())
		s.mu.Unlock()
	}
	return &startExecutionOutput{ExecutionArn: arn, StartDate: x.start}, nil
}

func (s *Service) describeExecution(_ context.Context, in *executionArnInput) (*describeExecutionOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, err := s.execution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := &describeExecutionOutput{
		ExecutionArn:    x.arn,
		StateMachineArn: x.machineArn,
		Name:            x.name,
		Status:          x.status,
		StartDate:       x.start,
		Input:           x.input,
		InputDetails:    &dataDetails{Included: ptr(true)},
		Error:           x.errorName,
		Cause:           x.cause,
	}
	if !x.running() {
		out.StopDate = ptr(x.stop)
	}
	if x.status == StatusSucceeded {
		out.Output = x.output
		out.OutputDetails = &dataDetails{Included: ptr(true)}
	}
	return out, nil
}

func (s *Service) getExecutionHistory(_ context.Context, in *getExecutionHistoryInput) (*getExecutionHistoryOutput, error) {
	s.mu.Lock()
	x, err := s.execution(in.ExecutionArn)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	events := slices.Clone(x.history)
	s.mu.Unlock()
	if in.ReverseOrder {
		slices.Reverse(events)
	}
	if in.IncludeExecutionData != nil && !*in.IncludeExecutionData {
		for i := range events {
			events[i] = events[i].withoutData()
		}
	}
	events, next, err := page(events, in.MaxResults, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &getExecutionHistoryOutput{Events: events, NextToken: next}, nil
}

var statuses = []string{StatusRunning, StatusSucceeded, StatusFailed, StatusTimedOut, StatusAborted}

func (s *Service) listExecutions(_ context.Context, in *listExecutionsInput) (*listExecutionsOutput, error) {
	if in.StatusFilter != "" && !slices.Contains(statuses, in.StatusFilter) {
		return nil, validationError("1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			in.StatusFilter, strings.Join(statuses, ", "))
	}
	s.mu.Lock()
	if _, err := s.machine(in.StateMachineArn); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	var xs []*execution
	for _, x := range s.executions {
		if x.machineArn == in.StateMachineArn && (in.StatusFilter == "" || x.status == in.StatusFilter) {
			xs = append(xs, x)
		}
	}
	sortExecutions(xs)
	items := make([]executionListItem, 0, len(xs))
	for _, x := range xs {
		item := executionListItem{ExecutionArn: x.arn, StateMachineArn: x.machineArn, Name: x.name, Status: x.status, StartDate: x.start}
		if !x.running() {
			item.StopDate = ptr(x.stop)
		}
		items = append(items, item)
	}
	s.mu.Unlock()
	items, next, err := page(items, in.MaxResults, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &listExecutionsOutput{Executions: items, NextToken: next}, nil
}

func (s *Service) stopExecution(ctx context.Context, in *stopExecutionInput) (*stopExecutionOutput, error) {
	s.mu.Lock()
	x, err := s.execution(in.ExecutionArn)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if !x.running() {
		stop := x.stop
		s.mu.Unlock()
		return &stopExecutionOutput{StopDate: stop}, nil
	}
	r := x.runner
	x.errorName, x.cause = in.Error, in.Cause
	x.finish(now(), StatusAborted, historyEvent{Type: "ExecutionAborted", ExecutionAbortedEventDetails: &errorDetails{Error: in.Error, Cause: in.Cause}})
	stop := x.stop
	s.mu.Unlock()
	s.log.Info("execution stopped", "executionArn", x.arn, "requestId", server.RequestID(ctx))
	if r != nil {
		// The runner abandons the execution's Task invocations, and its
		// states stop at the next one, a Pass/Choice loop included.
		s.stopInRunner(r, x.arn)
	}
	return &stopExecutionOutput{StopDate: stop}, nil
}

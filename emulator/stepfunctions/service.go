// Package stepfunctions emulates AWS Step Functions (AWS JSON 1.0): state
// machines, executions with their status and history, and StopExecution.
//
// Executions run in the npm package aws-local-stepfunctions, in one
// long-lived Node.js 22 process (runner.mjs, embedded here). Every Task
// state invokes the emulator's Lambda endpoint, so functions run for real
// and their errors come back with the function's errorType, to be matched
// by Retry and Catch as on AWS. Wait states and Retry intervals run
// time-scaled by Options.WaitScale. The runner runs one state per turn of
// its event loop, so an execution that loops shares it with the others and
// StopExecution ends it at its next state; an execution fails, as on AWS,
// when its history reaches 25,000 events.
package stepfunctions

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/ecprov/ecprov/emulator/protocol/awsjson"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel"
	"github.com/ecprov/ecprov/internal/orchestration"
)

// apiModel is botocore's stepfunctions 2016-11-23 model, trimmed to the
// operations served (internal/apimodel). Every request is checked against
// its input shape's constraints before an operation runs, as AWS's front
// end does (StartExecutionInput.input at most 262,144 long among them);
// TestAPIModel keeps the copy equal to the AWS CLI's.
//
//go:embed apimodel.json
var apiModelJSON []byte

var apiModel = apimodel.MustParse(apiModelJSON)

// Options configure a Service.
type Options struct {
	// DataDir is where runner.mjs is written (default .ecprov/local).
	DataDir   string
	Region    string // default us-east-1
	AccountID string // default 000000000000
	Logger    *slog.Logger
	// LambdaEndpoint is the emulator's URL, where Task states invoke
	// functions ("http://127.0.0.1:4566"). SetLambdaEndpoint sets it later,
	// for an emulator that learns its port after building its services.
	LambdaEndpoint string
	// NodeModules is the node_modules directory holding
	// aws-local-stepfunctions (default: the first one found walking up
	// from the working directory).
	NodeModules string
	// NodePath is Node.js 22 or later (default NodeModules/.bin/node, which
	// the npm package node@22 installs).
	NodePath string
	// WaitScale multiplies the time Wait states and Retry intervals take:
	// 1 is real time, 0.01 makes a 180 s Wait last 1.8 s, 0 does not wait.
	WaitScale float64
}

// Service is the Step Functions emulator; it implements server.Service.
type Service struct {
	opts        Options
	log         *slog.Logger
	nodePath    string
	nodeModules string
	dispatcher  awsjson.Dispatcher

	mu             sync.Mutex
	machines       map[string]*stateMachine
	executions     map[string]*execution
	lambdaEndpoint string
	historyLimit   int // maxHistoryEvents; tests may raise it

	runnerMu sync.Mutex
	runner   *runner
	closed   bool
}

// New returns a Step Functions service with no state machines. It finds
// Node.js and aws-local-stepfunctions now, and starts the runner when it
// first needs it.
func New(opts Options) (*Service, error) {
	if opts.DataDir == "" {
		opts.DataDir = ".ecprov/local"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.WaitScale = max(opts.WaitScale, 0)
	s := &Service{
		opts:           opts,
		log:            opts.Logger.With("service", "states"),
		machines:       map[string]*stateMachine{},
		executions:     map[string]*execution{},
		lambdaEndpoint: opts.LambdaEndpoint,
		historyLimit:   maxHistoryEvents,
	}
	var err error
	if s.nodeModules, s.nodePath, err = findNode(opts.NodeModules, opts.NodePath); err != nil {
		return nil, err
	}
	s.dispatcher = awsjson.Dispatcher{
		TargetPrefix: "AWSStepFunctions",
		Version:      awsjson.Version10,
		Service:      "Step Functions",
		InternalCode: "InternalFailure",
		Model:        apiModel,
		Log:          s.log,
		RequestID:    server.RequestID,
		Operations: map[string]awsjson.Operation{
			"CreateStateMachine":   awsjson.Handle(s.createStateMachine),
			"DescribeStateMachine": awsjson.Handle(s.describeStateMachine),
			"ListStateMachines":    awsjson.Handle(s.listStateMachines),
			"UpdateStateMachine":   awsjson.Handle(s.updateStateMachine),
			"DeleteStateMachine":   awsjson.Handle(s.deleteStateMachine),
			"StartExecution":       awsjson.Handle(s.startExecution),
			"DescribeExecution":    awsjson.Handle(s.describeExecution),
			"GetExecutionHistory":  awsjson.Handle(s.getExecutionHistory),
			"ListExecutions":       awsjson.Handle(s.listExecutions),
			"StopExecution":        awsjson.Handle(s.stopExecution),
		},
	}
	return s, nil
}

// findNode resolves the node_modules directory and the Node.js binary.
func findNode(modules, node string) (string, string, error) {
	const hint = "run scripts/node-deps.sh (npm ci) at the repository root"
	if modules == "" {
		dir, err := os.Getwd()
		if err != nil {
			return "", "", err
		}
		for {
			candidate := filepath.Join(dir, "node_modules")
			if _, err := os.Stat(filepath.Join(candidate, "aws-local-stepfunctions", "package.json")); err == nil {
				modules = candidate
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return "", "", fmt.Errorf("no node_modules with aws-local-stepfunctions above %s: %s", dir, hint)
			}
			dir = parent
		}
	}
	modules, err := filepath.Abs(modules)
	if err != nil {
		return "", "", err
	}
	if _, err := os.Stat(filepath.Join(modules, "aws-local-stepfunctions", "package.json")); err != nil {
		return "", "", fmt.Errorf("aws-local-stepfunctions is not installed in %s: %s", modules, hint)
	}
	if node == "" {
		node = filepath.Join(modules, ".bin", "node")
		if _, err := os.Stat(node); err != nil {
			return "", "", fmt.Errorf("no Node.js 22 at %s: %s", node, hint)
		}
	}
	return modules, node, nil
}

// OperationNames lists the operations served.
func (s *Service) OperationNames() []string {
	return slices.Sorted(maps.Keys(s.dispatcher.Operations))
}

// SigningName implements server.Service.
func (*Service) SigningName() string { return "states" }

// Operation implements server.Service.
func (s *Service) Operation(r *http.Request, body []byte) string {
	return s.dispatcher.Operation(r, body)
}

// WriteError implements server.Service.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	s.dispatcher.WriteError(w, r, status, code, message)
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.dispatcher.ServeHTTP(w, r) }

// SetLambdaEndpoint sets the URL where Task states invoke functions, for
// executions started from now on.
func (s *Service) SetLambdaEndpoint(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lambdaEndpoint = url
}

// CreateStateMachine creates (or, with the same definition, finds) a
// STANDARD state machine from an ASL definition whose ${Name} placeholders
// are replaced from substitutions by orchestration.Render, as the CDK app's
// DefinitionSubstitutions are. It returns the state machine's ARN.
func (s *Service) CreateStateMachine(name, definition string, substitutions map[string]string) (string, error) {
	def, err := orchestration.Render(definition, substitutions)
	if err != nil {
		return "", fmt.Errorf("state machine %s: %w", name, err)
	}
	out, err := s.createStateMachine(context.Background(), &createStateMachineInput{
		Name:       name,
		Definition: def,
		RoleArn:    fmt.Sprintf("arn:aws:iam::%s:role/ecprov-local-states", s.opts.AccountID),
	})
	if err != nil {
		return "", fmt.Errorf("state machine %s: %w", name, err)
	}
	return out.StateMachineArn, nil
}

// StateMachineARN is the ARN a state machine of that name has.
func (s *Service) StateMachineARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.opts.Region, s.opts.AccountID, name)
}

func (s *Service) executionARN(machine, name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", s.opts.Region, s.opts.AccountID, machine, name)
}

// Close stops the runner; executions still running end as ABORTED.
func (s *Service) Close() error {
	s.runnerMu.Lock()
	s.closed = true
	r := s.runner
	s.runner = nil
	s.runnerMu.Unlock()
	if r != nil {
		r.kill()
	}
	return nil
}

// getRunner returns the running runner, starting one if there is none.
func (s *Service) getRunner(ctx context.Context) (*runner, error) {
	s.runnerMu.Lock()
	defer s.runnerMu.Unlock()
	if s.closed {
		return nil, errors.New("the Step Functions service is closed")
	}
	if s.runner != nil && s.runner.alive() {
		return s.runner, nil
	}
	r, err := startRunner(ctx, runnerConfig{
		nodePath:    s.nodePath,
		nodeModules: s.nodeModules,
		dataDir:     s.opts.DataDir,
		log:         s.log,
	}, s.onRunnerEvent)
	if err != nil {
		return nil, err
	}
	s.runner = r
	go s.watchRunner(r)
	return r, nil
}

// watchRunner fails the executions of a runner that exits on its own.
func (s *Service) watchRunner(r *runner) {
	<-r.exited
	s.runnerMu.Lock()
	closed := s.closed
	s.runnerMu.Unlock()
	cause := "ecprov emulator: the emulator stopped"
	status := StatusAborted
	if !closed {
		s.log.Error("state machine runner exited", "error", r.exitError())
		cause = fmt.Sprintf("ecprov emulator: the state machine runner exited (%v); see the emulator log", r.exitError())
		status = StatusFailed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.executions {
		if x.running() && x.runner == r {
			s.failExecution(x, status, "States.Runtime", cause)
		}
	}
}

// failExecution ends a running execution from the Go side. s.mu is held.
func (s *Service) failExecution(x *execution, status, errName, cause string) {
	ev := historyEvent{Type: "ExecutionFailed", ExecutionFailedEventDetails: &errorDetails{Error: ptr(errName), Cause: ptr(cause)}}
	if status == StatusAborted {
		ev = historyEvent{Type: "ExecutionAborted", ExecutionAbortedEventDetails: &errorDetails{Error: ptr(errName), Cause: ptr(cause)}}
	}
	x.errorName, x.cause = ptr(errName), ptr(cause)
	x.finish(now(), status, ev)
	s.logFinished(x)
}

func (s *Service) onRunnerEvent(r *runner, ev runnerEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.executions[ev.Exec]
	if !ok || x.runner != r {
		return
	}
	x.apply(ev)
	if x.running() {
		return
	}
	s.logFinished(x)
	if x.atLimit {
		// The runner does not know: end the execution there. Not
		// under s.mu, and not on the goroutine that reads the runner.
		go s.stopInRunner(r, x.arn)
	}
}

// stopInRunner ends an execution in the runner, which records nothing.
func (s *Service) stopInRunner(r *runner, arn string) {
	if err := r.send(map[string]any{"op": "stop", "exec": arn}); err != nil {
		s.log.Warn("telling the runner to stop an execution", "executionArn", arn, "error", err)
	}
}

func (s *Service) logFinished(x *execution) {
	attrs := []any{"executionArn", x.arn, "status", x.status, "durationMs", float64(x.stop.Sub(x.start).Microseconds()) / 1e3}
	if x.errorName != nil {
		attrs = append(attrs, "error", *x.errorName)
	}
	s.log.Info("execution finished", attrs...)
}

// Package lambda emulates AWS Lambda (REST-JSON): Invoke, GetFunction,
// GetFunctionConfiguration, ListFunctions, CreateFunction and
// DeleteFunction.
//
// Each function instance is the AWS Lambda Runtime Interface Emulator
// (aws-lambda-rie) running the function's real bootstrap on this machine, so
// a function runs exactly the code that ships to Lambda, speaking the same
// Runtime API. Instances stay warm and are reused; a function gets up to
// Options.MaxInstances of them when invocations overlap. A runtime that
// crashes or times out is started again on the next invocation (a cold
// start), as on Lambda.
package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure a Service.
type Options struct {
	// DataDir holds the aws-lambda-rie binary (bin/) and the code of
	// functions created over the wire (default .ecprov/local).
	DataDir   string
	Region    string // default us-east-1
	AccountID string // default 000000000000
	Logger    *slog.Logger
	// Env is added to every function's environment: AWS_ENDPOINT_URL,
	// credentials and the like. It is never logged.
	Env map[string]string
	// RIEPath is the aws-lambda-rie binary (default
	// DataDir/bin/aws-lambda-rie-<version>, built with the Go toolchain when
	// missing).
	RIEPath string
	// SupervisorPath is the program that holds each instance's process tree
	// (default DataDir/bin/<SupervisorName()>, built with the Go toolchain
	// when missing; see EnsureSupervisor).
	SupervisorPath string
	// MaxInstances caps the instances, and so the concurrent invocations,
	// of one function (default 4). Further invocations wait.
	MaxInstances int
}

// ErrNotFound is returned (wrapped) by Invoke for an unknown function.
var ErrNotFound = errors.New("function not found")

// Service is the Lambda emulator; it implements server.Service.
type Service struct {
	opts           Options
	log            *slog.Logger
	riePath        string
	supervisorPath string
	envPath        string

	closed    chan struct{}
	closeOnce sync.Once
	asyncMu   sync.Mutex     // orders new Event invocations with Close
	async     sync.WaitGroup // Event invocations in flight

	mu        sync.RWMutex
	functions map[string]*function
}

// New returns a Lambda service with no functions, building aws-lambda-rie
// first if it is missing.
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
	if opts.MaxInstances <= 0 {
		opts.MaxInstances = 4
	}
	s := &Service{
		opts:      opts,
		log:       opts.Logger.With("service", "lambda"),
		closed:    make(chan struct{}),
		functions: map[string]*function{},
	}
	rie := opts.RIEPath
	if rie == "" {
		rie = filepath.Join(opts.DataDir, "bin", "aws-lambda-rie-"+RIEVersion)
	}
	start := time.Now()
	var err error
	if s.riePath, err = EnsureRIE(context.Background(), rie); err != nil {
		return nil, err
	}
	if d := time.Since(start); d > time.Second {
		s.log.Info("built aws-lambda-rie", "path", s.riePath, "durationMs", ms(d))
	}
	sup := opts.SupervisorPath
	if sup == "" {
		sup = filepath.Join(opts.DataDir, "bin", SupervisorName())
	}
	if s.supervisorPath, err = EnsureSupervisor(context.Background(), sup); err != nil {
		return nil, err
	}
	if s.envPath, err = exec.LookPath("env"); err != nil {
		return nil, fmt.Errorf("env(1) is needed to start functions: %w", err)
	}
	// Functions live in memory, so the code of any function created over
	// the wire by an earlier run is left over from a crash.
	if err := os.RemoveAll(s.codeRoot()); err != nil {
		return nil, fmt.Errorf("remove the code a previous run left in %s: %w", s.codeRoot(), err)
	}
	return s, nil
}

// codeRoot holds the code of functions created over the wire, one folder
// per function.
func (s *Service) codeRoot() string {
	return filepath.Join(s.opts.DataDir, "lambda", "functions")
}

// CreateFunction registers a function. A function of the same name is
// replaced: its idle instances end now, busy ones when their invocation
// ends, and the next invocation starts the new code.
func (s *Service) CreateFunction(fn Function) error {
	if s.isClosed() {
		return errClosed
	}
	f, err := s.newFunction(fn)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.functions[f.cfg.Name]
	s.functions[f.cfg.Name] = f
	s.mu.Unlock()
	if old != nil {
		old.retire()
	}
	s.log.Info("function created", "function", f.cfg.Name, "bootstrap", f.cfg.BootstrapPath,
		"timeoutSeconds", int(f.cfg.Timeout/time.Second), "memoryMB", f.cfg.MemoryMB)
	return nil
}

// DeleteFunction removes a function and ends its instances.
func (s *Service) DeleteFunction(name string) error {
	name = functionName(name)
	s.mu.Lock()
	f := s.functions[name]
	delete(s.functions, name)
	s.mu.Unlock()
	if f == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	f.killAll()
	return f.removeCode()
}

// Invoke runs a function synchronously (RequestResponse) for in-process
// callers such as SNS and EventBridge. name may be a name or an ARN. On a
// function error, result is the error document ({"errorType":...,
// "errorMessage":...}) and functionError is "Unhandled", as Lambda's
// X-Amz-Function-Error; err is for failures to invoke at all.
func (s *Service) Invoke(ctx context.Context, name string, payload []byte) (result []byte, functionError string, err error) {
	f, ok := s.function(name)
	if !ok {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, s.functionARN(functionName(name)))
	}
	return s.invoke(ctx, f, newRequestID(), payload, "")
}

// InvokeAsync queues an Event invocation, as SNS and EventBridge invoke
// functions on AWS: it returns once the function is found, and the
// invocation's outcome is only logged. Close waits for it.
func (s *Service) InvokeAsync(name string, payload []byte) error {
	f, ok := s.function(name)
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, s.functionARN(functionName(name)))
	}
	s.invokeAsync(f, newRequestID(), payload)
	return nil
}

func (s *Service) invoke(ctx context.Context, f *function, requestID string, payload []byte, clientContext string) ([]byte, string, error) {
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	var (
		in   *instance
		cold bool
		res  invokeResult
		t0   time.Time
	)
	// An idle instance whose RIE died (killed, say) since its last
	// invocation never receives the event: run it on a fresh one, as Lambda
	// would, rather than report the dead one's exit.
	for attempt := 0; attempt < 2; attempt++ {
		t0 = time.Now()
		var err error
		if in, cold, err = s.acquire(ctx, f); err != nil {
			return nil, "", err
		}
		if !cold {
			t0 = time.Now()
		}
		res, err = in.invoke(ctx, requestID, payload, clientContext, f.cfg.Timeout)
		s.release(f, in, res.discard)
		if err != nil {
			s.log.Warn("invoke failed", "function", f.cfg.Name, "requestId", requestID, "error", err)
			return nil, "", err
		}
		if !res.unsent {
			break
		}
		s.log.Info("instance had exited before the invocation; using another", "function", f.cfg.Name, "instance", in.id, "exit", in.exitError().Error())
	}
	if res.unsent {
		return nil, "", fmt.Errorf("no instance of %s stayed up to take the invocation", f.cfg.Name)
	}
	d := time.Since(t0)
	f.stats.invoked(d, cold, res.functionError)
	attrs := []any{"function", f.cfg.Name, "requestId", requestID, "instance", in.id, "cold", cold, "durationMs", ms(d)}
	functionError := ""
	if res.functionError {
		functionError = "Unhandled"
		attrs = append(attrs, "errorType", errorTypeOf(res.payload))
	}
	s.log.Info("invoke", attrs...)
	return res.payload, functionError, nil
}

// invokeAsync runs an Event invocation in the background.
func (s *Service) invokeAsync(f *function, requestID string, payload []byte) {
	s.asyncMu.Lock()
	defer s.asyncMu.Unlock()
	if s.isClosed() {
		return
	}
	payload = bytes.Clone(payload)
	s.async.Add(1)
	go func() {
		defer s.async.Done()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.closed:
				cancel()
			case <-ctx.Done():
			}
		}()
		_, _, err := s.invoke(ctx, f, requestID, payload, "")
		if err != nil && !errors.Is(err, errClosed) && !errors.Is(err, context.Canceled) {
			s.log.Warn("asynchronous invoke failed", "function", f.cfg.Name, "requestId", requestID, "error", err)
		}
	}()
}

// errorTypeOf reads the errorType of an error document, for logs (never
// the message, which may quote inputs).
func errorTypeOf(payload []byte) string {
	var doc struct {
		ErrorType string `json:"errorType"`
	}
	_ = json.Unmarshal(payload, &doc)
	return doc.ErrorType
}

// Stats returns a function's figures.
func (s *Service) Stats(name string) (Stats, bool) {
	f, ok := s.function(name)
	if !ok {
		return Stats{}, false
	}
	st := f.stats.snapshot()
	st.Instances = f.instanceCount()
	return st, true
}

// FunctionNames lists the functions, sorted.
func (s *Service) FunctionNames() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.functions))
	for n := range s.functions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Close ends every instance, busy or idle. Invocations in progress fail.
func (s *Service) Close() error {
	s.asyncMu.Lock()
	s.closeOnce.Do(func() { close(s.closed) })
	s.asyncMu.Unlock()
	s.mu.RLock()
	fns := make([]*function, 0, len(s.functions))
	for _, f := range s.functions {
		fns = append(fns, f)
	}
	s.mu.RUnlock()
	var wg sync.WaitGroup
	for _, f := range fns {
		wg.Go(f.killAll)
	}
	wg.Wait()
	s.async.Wait()
	// An instance started while closing ends on release; catch any left.
	var errs []error
	for _, f := range fns {
		f.killAll()
		errs = append(errs, f.removeCode())
	}
	return errors.Join(errs...)
}

func (s *Service) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

func (s *Service) function(name string) (*function, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.functions[functionName(name)]
	return f, ok
}

func (s *Service) functionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.opts.Region, s.opts.AccountID, name)
}

// functionName reduces the forms Lambda accepts for FunctionName to the
// name: "name", "name:qualifier", "ACCOUNT:function:name[:qualifier]" and
// "arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier]".
func functionName(s string) string {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[5] == "function":
		return parts[6]
	case len(parts) >= 3 && parts[1] == "function":
		return parts[2]
	default:
		return parts[0]
	}
}

// qualifierOf is the version or alias in a FunctionName, if any.
func qualifierOf(s string) string {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) == 8 && parts[0] == "arn":
		return parts[7]
	case len(parts) == 4 && parts[1] == "function":
		return parts[3]
	case len(parts) == 2:
		return parts[1]
	}
	return ""
}

package stepfunctions

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// runnerScript runs executions in Node.js with aws-local-stepfunctions; see
// the protocol at its top.
//
//go:embed runner.mjs
var runnerScript []byte

// runnerEvent is one line the runner writes: a reply to a request (Req
// set), its start-up notice (Type "ready") or an execution event (Exec set).
type runnerEvent struct {
	Req  string `json:"req,omitempty"`
	OK   bool   `json:"ok,omitempty"`
	Exec string `json:"exec,omitempty"`
	Type string `json:"type,omitempty"`
	TS   int64  `json:"ts,omitempty"`
	Node string `json:"node,omitempty"`

	Name           string  `json:"name,omitempty"`
	StateType      string  `json:"stateType,omitempty"`
	Input          *string `json:"input,omitempty"`
	Output         *string `json:"output,omitempty"`
	Parameters     string  `json:"parameters,omitempty"`
	Kind           string  `json:"kind,omitempty"` // "function" (a Lambda ARN) or "integration" (lambda:invoke)
	Resource       string  `json:"resource,omitempty"`
	ResourceType   string  `json:"resourceType,omitempty"`
	Region         string  `json:"region,omitempty"`
	TimeoutSeconds *int64  `json:"timeoutSeconds,omitempty"`
	Error          *string `json:"error,omitempty"`
	Cause          *string `json:"cause,omitempty"`
	Index          int     `json:"index,omitempty"`
	Attempt        int     `json:"attempt,omitempty"`

	// A stats reply: the executions running, and the state machine loops
	// (executions', Map iterations', Parallel branches') still stepping.
	Running int `json:"running,omitempty"`
	Loops   int `json:"loops,omitempty"`
}

// startCommand starts an execution in the runner.
type startCommand struct {
	Op             string          `json:"op"`
	Exec           string          `json:"exec"`
	Definition     json.RawMessage `json:"definition"`
	Input          json.RawMessage `json:"input"`
	Context        any             `json:"context"`
	WaitScale      float64         `json:"waitScale"`
	LambdaEndpoint string          `json:"lambdaEndpoint"`
	Region         string          `json:"region"`
	HistoryLimit   int             `json:"historyLimit"` // the runner's backstop derives from it
}

// runner is the Node.js process that runs executions. One serves them all:
// Node and the interpreter take about 0.2 s and 80 MB to start. It runs one
// state per turn of its event loop, so that an execution that loops shares
// it with the others and a stop ends it at its next state.
type runner struct {
	log     *slog.Logger
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	onEvent func(*runner, runnerEvent)

	wmu sync.Mutex // serialises writes to stdin

	mu      sync.Mutex
	pending map[string]chan runnerEvent
	nextReq int

	ready   chan runnerEvent
	exited  chan struct{}
	exitErr error
}

type runnerConfig struct {
	nodePath    string
	nodeModules string
	dataDir     string
	log         *slog.Logger
}

// startRunner starts the runner and waits for it to load the interpreter.
func startRunner(ctx context.Context, cfg runnerConfig, onEvent func(*runner, runnerEvent)) (*runner, error) {
	dir := filepath.Join(cfg.dataDir, "stepfunctions")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "runner.mjs")
	if old, err := os.ReadFile(script); err != nil || !bytes.Equal(old, runnerScript) {
		tmp := script + ".tmp" + strconv.Itoa(os.Getpid())
		if err := os.WriteFile(tmp, runnerScript, 0o644); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, script); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(cfg.nodePath, script)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"ECPROV_NODE_MODULES=" + cfg.nodeModules,
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	r := &runner{
		log:     cfg.log,
		cmd:     cmd,
		stdin:   stdin,
		onEvent: onEvent,
		pending: map[string]chan runnerEvent{},
		ready:   make(chan runnerEvent, 1),
		exited:  make(chan struct{}),
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cfg.nodePath, err)
	}
	var pipes sync.WaitGroup
	pipes.Add(2)
	go func() { defer pipes.Done(); r.readEvents(stdout) }()
	go func() { defer pipes.Done(); r.readLog(stderr) }()
	go func() {
		pipes.Wait()
		err := cmd.Wait()
		r.mu.Lock()
		r.exitErr = err
		r.mu.Unlock()
		close(r.exited)
	}()

	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case ev := <-r.ready:
		r.log.Info("state machine runner started", "pid", cmd.Process.Pid, "node", ev.Node, "startMs", float64(time.Since(start).Microseconds())/1e3)
		return r, nil
	case <-r.exited:
		return nil, fmt.Errorf("the state machine runner (%s %s) exited while starting: %v; its log is in the emulator's log", cfg.nodePath, script, r.exitError())
	case <-timeout.C:
		r.kill()
		return nil, errors.New("the state machine runner did not start within 30s")
	case <-ctx.Done():
		r.kill()
		return nil, ctx.Err()
	}
}

func (r *runner) readEvents(stdout io.Reader) {
	br := bufio.NewReaderSize(stdout, 1<<16)
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var ev runnerEvent
			if jerr := json.Unmarshal(line, &ev); jerr != nil {
				r.log.Warn("state machine runner wrote a line that is not JSON", "error", jerr)
			} else {
				r.dispatch(ev)
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *runner) dispatch(ev runnerEvent) {
	switch {
	case ev.Req != "":
		r.mu.Lock()
		ch := r.pending[ev.Req]
		delete(r.pending, ev.Req)
		r.mu.Unlock()
		if ch != nil {
			ch <- ev
		}
	case ev.Type == "ready":
		select {
		case r.ready <- ev:
		default:
		}
	case ev.Exec != "":
		r.onEvent(r, ev)
	}
}

func (r *runner) readLog(stderr io.Reader) {
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		r.log.Warn("state machine runner", "line", sc.Text())
	}
}

// send writes one command.
func (r *runner) send(cmd any) error {
	b, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if !r.alive() {
		return errors.New("the state machine runner has exited")
	}
	_, err = r.stdin.Write(b)
	return err
}

// request sends a command that the runner answers and waits for the answer.
func (r *runner) request(ctx context.Context, cmd map[string]any) (runnerEvent, error) {
	ch := make(chan runnerEvent, 1)
	r.mu.Lock()
	r.nextReq++
	id := strconv.Itoa(r.nextReq)
	r.pending[id] = ch
	r.mu.Unlock()
	cmd["req"] = id
	if err := r.send(cmd); err != nil {
		return runnerEvent{}, err
	}
	select {
	case ev := <-ch:
		return ev, nil
	case <-r.exited:
		return runnerEvent{}, fmt.Errorf("the state machine runner exited: %v", r.exitError())
	case <-ctx.Done():
		r.mu.Lock()
		delete(r.pending, id)
		r.mu.Unlock()
		return runnerEvent{}, ctx.Err()
	}
}

func (r *runner) alive() bool {
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

func (r *runner) exitError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exitErr == nil {
		return errors.New("exit status 0")
	}
	return r.exitErr
}

// kill ends the runner and everything it started.
func (r *runner) kill() {
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		r.log.Warn("state machine runner did not exit after SIGKILL", "pid", r.cmd.Process.Pid)
	}
}

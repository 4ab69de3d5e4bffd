package lambda

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// An instance is one execution environment: an aws-lambda-rie process that
// runs the function's bootstrap, serving one invocation at a time.
//
// The bootstrap does not talk to the RIE's Runtime API directly but through
// a small proxy in this process. The RIE answers a function error with 200
// and the error document, exactly like a result, so the proxy is what tells
// them apart: it sees the runtime post to .../invocation/{id}/error. The
// proxy also ties the bootstrap's life to ours: when it closes, the
// runtime's long poll fails and the bootstrap exits.
type instance struct {
	id        string
	fn        *function
	log       *slog.Logger
	cmd       *exec.Cmd // the supervisor, which runs the RIE
	control   *os.File  // write end of the supervisor's control pipe; closing it ends the instance
	invokeURL string
	proxy     *http.Server
	exited    chan struct{} // closed when the supervisor (so the RIE and its runtime) has exited
	started   time.Time
	killing   atomic.Bool // the RIE's complaints about its runtime dying are expected

	mu          sync.Mutex
	requestID   string // invocation in progress
	erroredID   string // last invocation whose runtime reported an error
	runtimeExit string // how the runtime last exited, from the RIE's log ("exit status 1")
	waitErr     error
}

// instanceConfig is what an instance needs from its function and service.
type instanceConfig struct {
	id             string
	riePath        string
	supervisorPath string
	envPath        string
	bootstrap      string
	env            map[string]string
	log            *slog.Logger
}

// startInstance starts an RIE and waits until it accepts invocations. The
// function's init runs on the first invocation, as it does in the RIE.
func startInstance(ctx context.Context, fn *function, cfg instanceConfig) (*instance, error) {
	var lastErr error
	// Free ports are picked by binding and releasing them, so another
	// process may take one before the RIE binds it; then try again.
	for range 3 {
		in, err := tryStartInstance(ctx, fn, cfg)
		if err == nil {
			return in, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func tryStartInstance(ctx context.Context, fn *function, cfg instanceConfig) (*instance, error) {
	runtimeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	invokeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	in := &instance{
		id:        cfg.id,
		fn:        fn,
		log:       cfg.log.With("instance", cfg.id),
		invokeURL: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations",
		exited:    make(chan struct{}),
		started:   time.Now(),
	}
	proxyListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	in.proxy = &http.Server{
		Handler:  in.runtimeAPIProxy(runtimeAddr),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = in.proxy.Serve(proxyListener) }()

	env := maps.Clone(cfg.env)
	// The RIE passes its own environment on to the runtime, and sets
	// AWS_LAMBDA_RUNTIME_API itself, after ours; env(1) in front of the
	// bootstrap points it at the proxy instead.
	args := []string{
		"--log-level", "info", // pinned: functions read LOG_LEVEL too
		"--runtime-api-address", runtimeAddr,
		"--runtime-interface-emulator-address", invokeAddr,
		cfg.envPath, "AWS_LAMBDA_RUNTIME_API=" + proxyListener.Addr().String(), cfg.bootstrap,
	}
	cmd, stdout, stderr, err := in.startSupervised(cfg, args, env)
	if err != nil {
		_ = in.proxy.Close()
		return nil, err
	}
	var pipes sync.WaitGroup
	pipes.Add(2)
	go func() { defer pipes.Done(); in.readOutput(stdout) }()
	go func() { defer pipes.Done(); in.readRIELog(stderr) }()
	go func() {
		pipes.Wait()
		err := cmd.Wait()
		in.mu.Lock()
		in.waitErr = err
		in.mu.Unlock()
		close(in.exited)
		_ = in.proxy.Close()
		_ = in.control.Close()
	}()

	if err := in.waitReady(ctx, invokeAddr); err != nil {
		in.kill()
		return nil, err
	}
	return in, nil
}

// startSupervised starts the RIE under the supervisor (supervisor/main.go),
// in a process group of its own, and returns the pipes of its output. The
// supervisor ends the RIE, its runtime and their children together, when
// the RIE dies, when in.control is closed, or when the emulator dies.
func (in *instance) startSupervised(cfg instanceConfig, args []string, env map[string]string) (*exec.Cmd, io.Reader, io.Reader, error) {
	controlRead, controlWrite, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, err
	}
	defer controlRead.Close() // the supervisor has its copy
	cmd := exec.Command(cfg.supervisorPath, append([]string{"--", cfg.riePath}, args...)...)
	cmd.Dir = filepath.Dir(cfg.bootstrap)
	cmd.Env = envList(env)
	cmd.ExtraFiles = []*os.File{controlRead} // fd 3
	// No parent-death signal here: the control pipe is the guard. Its EOF
	// comes when the emulator *process* dies, whereas a parent-death signal
	// follows the thread that forked, which the Go runtime may retire.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		controlWrite.Close()
		return nil, nil, nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		controlWrite.Close()
		return nil, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		controlWrite.Close()
		return nil, nil, nil, fmt.Errorf("starting %s under %s: %w", cfg.riePath, cfg.supervisorPath, err)
	}
	in.cmd, in.control = cmd, controlWrite
	return cmd, stdout, stderr, nil
}

func (in *instance) waitReady(ctx context.Context, addr string) error {
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-in.exited:
			return fmt.Errorf("aws-lambda-rie exited while starting: %v", in.exitError())
		case <-deadline.C:
			return fmt.Errorf("aws-lambda-rie did not listen on %s within 10s", addr)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// runtimeAPIProxy forwards the Runtime API to the RIE and notes which
// invocations the runtime reported as failed.
func (in *instance) runtimeAPIProxy(runtimeAddr string) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: runtimeAddr})
	rp.ErrorLog = log.New(io.Discard, "", 0)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /2018-06-01/runtime/invocation/{id}/error
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/error") {
			parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
			if len(parts) == 5 && parts[2] == "invocation" {
				in.mu.Lock()
				in.erroredID = parts[3]
				in.mu.Unlock()
			}
		}
		rp.ServeHTTP(w, r)
	})
}

// invokeResult is what one invocation produced.
type invokeResult struct {
	payload       []byte
	functionError bool
	// discard: the instance is no longer usable.
	discard bool
	// unsent: the RIE was gone before it got the event, so the invocation
	// can run on another instance.
	unsent bool
}

// invoke runs one invocation. timeout is the function's; the RIE enforces
// it, and grace is how much longer to wait for the RIE before giving up on
// the instance.
func (in *instance) invoke(ctx context.Context, requestID string, payload []byte, clientContext string, timeout time.Duration) (invokeResult, error) {
	in.mu.Lock()
	in.requestID = requestID
	in.runtimeExit = ""
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		in.requestID = ""
		in.mu.Unlock()
	}()

	if !in.alive() {
		return invokeResult{discard: true, unsent: true}, nil
	}
	const grace = 5 * time.Second
	rctx, cancel := context.WithTimeout(ctx, timeout+grace)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, in.invokeURL, bytes.NewReader(payload))
	if err != nil {
		return invokeResult{}, err
	}
	req.Header.Set("X-Amzn-RequestId", requestID)
	if clientContext != "" {
		req.Header.Set("X-Amz-Client-Context", clientContext)
	}
	resp, err := rieClient.Do(req)
	if err != nil {
		var opErr *net.OpError
		switch {
		case errors.As(err, &opErr) && opErr.Op == "dial" && ctx.Err() == nil:
			// Nothing listens: the RIE died since the check above.
			return invokeResult{discard: true, unsent: true}, nil
		case ctx.Err() != nil:
			// The caller gave up; the invocation may still be running.
			return invokeResult{discard: true}, ctx.Err()
		case rctx.Err() != nil:
			return invokeResult{payload: timeoutError(requestID, timeout), functionError: true, discard: true}, nil
		}
		select {
		case <-in.exited:
		case <-time.After(time.Second):
		}
		return invokeResult{payload: exitError(requestID, in.exitError()), functionError: true, discard: true}, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return invokeResult{discard: true}, fmt.Errorf("reading the RIE's answer: %w", err)
	}

	in.mu.Lock()
	errored := in.erroredID == requestID
	in.mu.Unlock()
	switch {
	case resp.StatusCode == http.StatusOK && errored:
		return invokeResult{payload: body, functionError: true}, nil
	case resp.StatusCode == http.StatusOK && bytes.HasPrefix(body, []byte("Task timed out after")):
		// The RIE answers in plain text, Lambda with an error document.
		// The RIE kills the runtime's process group only; the instance is
		// ended so that nothing the function started outlives the
		// time-out, and the next invocation starts afresh, as on Lambda.
		return invokeResult{payload: timeoutError(requestID, timeout), functionError: true, discard: true}, nil
	case resp.StatusCode == http.StatusOK:
		return invokeResult{payload: body}, nil
	case resp.StatusCode == http.StatusBadGateway:
		// The runtime crashed (its error report, if it sent one, or the
		// RIE's Runtime.ExitError). The instance is ended with whatever the
		// runtime left behind; the next invocation starts a new one. When
		// it dies during init the RIE sends nothing, so the exit status
		// comes from its log.
		if len(bytes.TrimSpace(body)) == 0 {
			body = exitError(requestID, errors.New(in.lastRuntimeExit()))
		}
		return invokeResult{payload: body, functionError: true, discard: true}, nil
	default:
		return invokeResult{discard: true}, fmt.Errorf("aws-lambda-rie answered %d %q", resp.StatusCode, truncate(body, 200))
	}
}

// rieClient dials the RIE afresh for each invocation: a refused dial then
// proves that the event never reached a dead RIE, whereas a reused
// connection's failure could not tell "never sent" from "crashed while
// running". A loopback dial costs microseconds.
var rieClient = &http.Client{Transport: &http.Transport{
	Proxy:             nil,
	DisableKeepAlives: true,
}}

// timeoutError is Lambda's answer to an invocation that ran out of time.
func timeoutError(requestID string, timeout time.Duration) []byte {
	b, _ := json.Marshal(map[string]string{
		"errorType":    "Sandbox.Timedout",
		"errorMessage": fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, timeout.Seconds()),
	})
	return b
}

// exitError is Lambda's answer when the runtime process exits mid-invocation.
func exitError(requestID string, err error) []byte {
	b, _ := json.Marshal(map[string]string{
		"errorType":    "Runtime.ExitError",
		"errorMessage": fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", requestID, err),
	})
	return b
}

// lastRuntimeExit is how the runtime last exited. The RIE logs it before it
// answers, but the log is read concurrently, so wait for it a little.
func (in *instance) lastRuntimeExit() string {
	for range 20 {
		in.mu.Lock()
		exit := in.runtimeExit
		in.runtimeExit = ""
		in.mu.Unlock()
		if exit != "" {
			return exit
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "runtime exited"
}

// exitError is how the RIE ended, as its supervisor reports it.
func (in *instance) exitError() error {
	if in.alive() {
		return errors.New("the execution environment stopped answering")
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.waitErr == nil {
		return errors.New("exit status 0")
	}
	return in.waitErr
}

func (in *instance) alive() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}

// kill ends the instance: closing the control pipe makes the supervisor
// SIGKILL the RIE, the runtime and every process they started, whatever
// process group or session they moved to, and exit.
func (in *instance) kill() {
	in.killing.Store(true)
	if in.cmd == nil || in.cmd.Process == nil {
		_ = in.proxy.Close()
		return
	}
	_ = in.control.Close()
	select {
	case <-in.exited:
	case <-time.After(5 * time.Second):
		// Not expected: the supervisor answers EOF at once. Kill its group
		// (the supervisor and the RIE) so that at least they end.
		pid := in.cmd.Process.Pid
		in.log.Warn("lambda supervisor did not exit after its control pipe closed; killing its process group", "pid", pid)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	_ = in.proxy.Close()
}

var (
	reInitStart   = regexp.MustCompile(`\(rapid\) INIT START`)
	reInitReport  = regexp.MustCompile(`\(rapid\) INIT REPORT\(durationMs: ([0-9.]+)\)`)
	reRapidLevel  = regexp.MustCompile(`\[(INFO|WARNING|ERROR|DEBUG|FATAL|PANIC)\] \(rapid\) (.*)$`)
	reRuntimeExit = regexp.MustCompile(`\(rapid\) Process runtime-\d+ exited: (.*)$`)
	reReport      = regexp.MustCompile(`^REPORT RequestId: (\S+)\s+(?:Init Duration: [0-9.]+ ms\s+)?Duration: ([0-9.]+) ms`)
)

// readRIELog reads the RIE's own log: it says when the runtime initialises
// and how long that took.
func (in *instance) readRIELog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if reInitStart.MatchString(line) {
			in.fn.stats.coldStart()
		}
		if m := reRuntimeExit.FindStringSubmatch(line); m != nil {
			in.mu.Lock()
			in.runtimeExit = m[1]
			in.mu.Unlock()
		}
		if m := reInitReport.FindStringSubmatch(line); m != nil {
			if ms, err := strconv.ParseFloat(m[1], 64); err == nil {
				in.fn.stats.initDone(time.Duration(ms * float64(time.Millisecond)))
			}
		}
		level, msg := slog.LevelDebug, line
		if m := reRapidLevel.FindStringSubmatch(line); m != nil {
			msg = m[2]
			if (m[1] == "WARNING" || m[1] == "ERROR" || m[1] == "FATAL" || m[1] == "PANIC") && !in.killing.Load() {
				level = slog.LevelWarn
			}
		}
		in.log.LogAttrs(context.Background(), level, "aws-lambda-rie", slog.String("line", msg))
	}
}

// readOutput forwards what the function writes (the runtime's stdout and
// stderr both reach the RIE's stdout) and the RIE's START/END/REPORT lines.
// JSON lines, which our functions write with slog, are kept as JSON.
func (in *instance) readOutput(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimRight(sc.Bytes(), "\r")
		if len(line) == 0 {
			continue
		}
		in.mu.Lock()
		rid := in.requestID
		in.mu.Unlock()
		attrs := []slog.Attr{slog.String("requestId", rid)}
		switch {
		case bytes.HasPrefix(line, []byte("START RequestId: ")), bytes.HasPrefix(line, []byte("END RequestId: ")):
			continue
		case bytes.HasPrefix(line, []byte("REPORT RequestId: ")):
			if m := reReport.FindSubmatch(line); m != nil {
				ms, _ := strconv.ParseFloat(string(m[2]), 64)
				attrs = append(attrs, slog.Float64("durationMs", ms))
			}
			in.log.LogAttrs(context.Background(), slog.LevelDebug, "function report", attrs...)
		case line[0] == '{' && json.Valid(line):
			var rec struct {
				Level string `json:"level"`
			}
			_ = json.Unmarshal(line, &rec)
			attrs = append(attrs, slog.Any("record", json.RawMessage(slices.Clone(line))))
			in.log.LogAttrs(context.Background(), levelOf(rec.Level), "function log", attrs...)
		default:
			attrs = append(attrs, slog.String("line", string(line)))
			in.log.LogAttrs(context.Background(), slog.LevelInfo, "function output", attrs...)
		}
	}
}

func levelOf(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func envList(env map[string]string) []string {
	keys := slices.Sorted(maps.Keys(env))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

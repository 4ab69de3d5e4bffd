// Package reliability is ecprov's reliability suite (issue 6): the real
// state machines, the real Lambda bootstraps under the Runtime Interface
// Emulator and ElastiCache on real redis-server processes, put under AWS
// faults, crashes, killed nodes, concurrent runs and bad input. It needs
// `make build-local` and `bash scripts/node-deps.sh` (make test does both).
//
// Injected faults apply to a whole emulator, so the suite runs several
// emulators ("lanes"): tests that inject faults take a lane of the pool for
// themselves; the others share lanes that never see a fault.
package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ecprov/ecprov/emulator"
	"github.com/ecprov/ecprov/emulator/lambda"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/execution"
	"github.com/ecprov/ecprov/internal/profile"
	"github.com/ecprov/ecprov/test/testprofile"
)

const (
	// Waits and Retry intervals run at 1/100 of real time: the 180 s first
	// poll lasts 1.8 s, a 5 s Retry interval 50 ms.
	waitScale = 0.01
	// httpTimeout bounds one AWS call inside the functions
	// (ECPROV_HTTP_TIMEOUT), so that a latency fault above it is a time-out.
	httpTimeout = time.Second
	// poolSize is the number of lanes for tests that inject faults. The
	// runs mostly wait (SDK back-off, Wait states), so more lanes than
	// cores pay off.
	poolSize = 6
)

// The functions sign with these credentials, and the test's own clients
// with others; neither secret may show up in any log, history or event.
const (
	functionAccessKey = "AKIAECPROVRELIABLE01"
	functionSecretKey = "fnSecretKey/ecprovReliabilitySuite+Do-Not-Log-0001"
	clientAccessKey   = "AKIAECPROVRELIABLE02"
	clientSecretKey   = "clientSecretKey/ecprovReliabilitySuite+Do-Not-Log-0002"
)

var (
	root string
	// tmp holds every lane's data dir; rie is the one aws-lambda-rie build.
	tmp, rie string
	// pool holds the lanes a test takes for itself (faults, kills).
	pool chan *lane
	// calm is shared by tests that inject nothing; slow is calm with a
	// 3-second creation, for what must happen while a group is creating.
	calm, slow *lane
	// hygiene is the secrets-hygiene test's own lane, so that its log holds
	// nothing but its own runs.
	hygiene *lane
)

// lane is one emulator with its clients and its captured log.
type lane struct {
	name string
	emu  *emulator.Emulator
	cfg  aws.Config
	log  *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMain(m *testing.M) {
	flag.Parse()
	// The tests wait on emulators far more than they compute: let them all
	// run at once unless -parallel says otherwise.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "16")
	}
	root, _ = filepath.Abs("../..")
	for _, need := range []string{"dist/host/createcluster/bootstrap", "node_modules/aws-local-stepfunctions"} {
		if _, err := os.Stat(filepath.Join(root, need)); err != nil {
			fmt.Fprintf(os.Stderr, "reliability: %s is missing: run `make build-local` and `bash scripts/node-deps.sh` (make test does both)\n", need)
			os.Exit(1)
		}
	}
	var err error
	tmp, err = os.MkdirTemp("", "ecprov-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(1)
	}
	// One aws-lambda-rie build for every lane: each emulator would build
	// its own into its data dir otherwise.
	rie, err = lambda.EnsureRIE(context.Background(), filepath.Join(tmp, "rie", "aws-lambda-rie-"+lambda.RIEVersion))
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(1)
	}
	type spec struct {
		name  string
		delay time.Duration
		dst   **lane
	}
	specs := []spec{{"calm", 0, &calm}, {"slow", 3 * time.Second, &slow}, {"hygiene", 0, &hygiene}}
	pooled := make([]*lane, poolSize)
	for i := range pooled {
		specs = append(specs, spec{fmt.Sprintf("pool%d", i), 0, &pooled[i]})
	}
	var all []*lane
	var wg sync.WaitGroup
	errs := make([]error, len(specs))
	for i, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			*s.dst, errs[i] = newLane(s.name, s.delay, httpTimeout)
		}()
	}
	wg.Wait()
	failed := false
	for i, s := range specs {
		if errs[i] != nil {
			fmt.Fprintf(os.Stderr, "reliability: emulator %s: %v\n", s.name, errs[i])
			failed = true
			continue
		}
		all = append(all, *s.dst)
	}
	code := 1
	if !failed {
		pool = make(chan *lane, poolSize)
		for _, l := range pooled {
			pool <- l
		}
		code = m.Run()
	}
	for _, l := range all {
		if err := l.emu.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "reliability: close %s: %v\n", l.name, err)
		}
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

func newLane(name string, createDelay, httpTimeout time.Duration) (*lane, error) {
	l := &lane{name: name, log: &syncBuffer{}}
	dir := filepath.Join(tmp, name)
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return nil, err
	}
	if err := os.Link(rie, filepath.Join(dir, "bin", filepath.Base(rie))); err != nil {
		return nil, err
	}
	var w io.Writer = l.log
	if os.Getenv("RELIABILITY_LOG") != "" {
		w = io.MultiWriter(l.log, os.Stderr)
	}
	emu, err := emulator.New(emulator.Options{
		DataDir:     dir,
		CreateDelay: createDelay,
		// Debug: the secrets-hygiene test reads every line there is.
		Logger: slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})).With("lane", name),
		Orchestration: &emulator.Orchestration{
			Root: root, WaitScale: waitScale, ScheduleScale: 1,
			FunctionEnv: map[string]string{
				"ECPROV_HTTP_TIMEOUT":   httpTimeout.String(),
				"AWS_ACCESS_KEY_ID":     functionAccessKey,
				"AWS_SECRET_ACCESS_KEY": functionSecretKey,
			},
		},
	})
	if err != nil {
		return nil, err
	}
	if err := emu.Start(); err != nil {
		_ = emu.Close()
		return nil, err
	}
	l.emu = emu
	l.cfg = aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(emu.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(clientAccessKey, clientSecretKey, "")}
	return l, nil
}

// ownLane starts an emulator for the test alone, closed when it ends.
func ownLane(t *testing.T, name string, httpTimeout time.Duration) *lane {
	t.Helper()
	l, err := newLane(name, 0, httpTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.emu.Close(); err != nil {
			t.Errorf("close %s: %v", name, err)
		}
	})
	return l
}

// takeLane gives the test a lane of its own until it ends.
func takeLane(t *testing.T) *lane {
	t.Helper()
	l := <-pool
	t.Cleanup(func() {
		l.clearFaults(t)
		pool <- l
	})
	return l
}

// profileFor is environments/dev.json renamed to env, so that tests sharing
// an emulator do not share resources.
func profileFor(t *testing.T, env string, edit func(m map[string]any)) (*profile.Profile, json.RawMessage) {
	t.Helper()
	p, raw, err := testprofile.Dev(env, edit)
	if err != nil || p == nil {
		t.Fatalf("profile %s: %v", env, err)
	}
	return p, raw
}

// run is how one execution ended.
type run struct {
	execution.Result
	arn      string
	followed bool
	progress string
}

func (r run) String() string {
	return fmt.Sprintf("%s %s %s\n%s", r.Status, r.Error, firstLines(r.Cause, 3), r.progress)
}

func (r run) outputs(t *testing.T) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("output %q: %v", r.Output, err)
	}
	return out
}

// machineARN finds a state machine the way the CLI does.
func (l *lane) machineARN(t *testing.T, name string) string {
	t.Helper()
	arn, err := execution.Locate(context.Background(), sfn.NewFromConfig(l.cfg), nil, "ecprov", "", name)
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

// start starts (or follows) a state machine execution the way `ecprov
// provision|teardown` does, and waits for it to end.
func (l *lane) start(t *testing.T, machine string, p *profile.Profile, raw json.RawMessage) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	api := sfn.NewFromConfig(l.cfg)
	input, _ := json.Marshal(map[string]json.RawMessage{"profile": raw})
	arn, followed, err := execution.StartOrFollow(ctx, api, l.machineARN(t, machine), p.Environment, machine+"-"+execution.NamePrefix(p), input, time.Now())
	if err != nil {
		t.Fatalf("%s %s: %v", machine, p.Environment, err)
	}
	r := l.follow(t, arn)
	r.followed = followed
	return r
}

// startInput starts an execution with the given input, as a rule or the
// console would, and waits for it to end.
func (l *lane) startInput(t *testing.T, machine, name, input string) run {
	t.Helper()
	out, err := sfn.NewFromConfig(l.cfg).StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(l.machineARN(t, machine)), Input: aws.String(input),
		Name: aws.String(fmt.Sprintf("%s-%d", name, time.Now().UnixMilli()))})
	if err != nil {
		t.Fatalf("start %s: %v", machine, err)
	}
	return l.follow(t, aws.ToString(out.ExecutionArn))
}

func (l *lane) follow(t *testing.T, arn string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	res, err := execution.Follow(ctx, sfn.NewFromConfig(l.cfg), arn, &progress, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("follow %s: %v\n%s", arn, err, progress.String())
	}
	return run{Result: res, arn: arn, progress: progress.String()}
}

func (l *lane) mustSucceed(t *testing.T, machine string, p *profile.Profile, raw json.RawMessage) map[string]any {
	t.Helper()
	r := l.start(t, machine, p, raw)
	if r.Status != "SUCCEEDED" {
		t.Fatalf("%s %s: %s", machine, p.Environment, r)
	}
	return r.outputs(t)
}

// history is an execution's whole history, with its data.
func (l *lane) history(t *testing.T, arn string) []sfntypes.HistoryEvent {
	t.Helper()
	api := sfn.NewFromConfig(l.cfg)
	var out []sfntypes.HistoryEvent
	var next *string
	for {
		h, err := api.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{
			ExecutionArn: aws.String(arn), IncludeExecutionData: aws.Bool(true), MaxResults: 1000, NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h.Events...)
		if aws.ToString(h.NextToken) == "" {
			return out
		}
		next = h.NextToken
	}
}

// taskErrors lists the errors the execution's Task states met (and retried
// or caught), e.g. "RetryableAWSError", "Runtime.ExitError".
func (l *lane) taskErrors(t *testing.T, arn string) []string {
	t.Helper()
	var out []string
	for _, f := range l.taskFailures(t, arn) {
		out = append(out, f[0])
	}
	return out
}

// taskFailures are the Task failures of an execution as {error, cause}.
func (l *lane) taskFailures(t *testing.T, arn string) [][2]string {
	t.Helper()
	var out [][2]string
	for _, e := range l.history(t, arn) {
		switch {
		case e.LambdaFunctionFailedEventDetails != nil:
			out = append(out, [2]string{aws.ToString(e.LambdaFunctionFailedEventDetails.Error), aws.ToString(e.LambdaFunctionFailedEventDetails.Cause)})
		case e.TaskFailedEventDetails != nil:
			out = append(out, [2]string{aws.ToString(e.TaskFailedEventDetails.Error), aws.ToString(e.TaskFailedEventDetails.Cause)})
		case e.LambdaFunctionTimedOutEventDetails != nil:
			out = append(out, [2]string{aws.ToString(e.LambdaFunctionTimedOutEventDetails.Error), aws.ToString(e.LambdaFunctionTimedOutEventDetails.Cause)})
		}
	}
	return out
}

// fault is one /_emulator/faults entry.
type fault = server.Fault

func (l *lane) addFault(t *testing.T, f fault) {
	t.Helper()
	body, _ := json.Marshal(f)
	resp, err := http.Post(l.emu.URL()+"/_emulator/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("add fault %s: %v", body, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("add fault %s: %s %s", body, resp.Status, msg)
	}
}

// faults lists the active faults: a fault with a count leaves the list once
// that many requests took it.
func (l *lane) faults(t *testing.T) []fault {
	t.Helper()
	resp, err := http.Get(l.emu.URL() + "/_emulator/faults")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Faults []fault `json:"faults"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return list.Faults
}

func (l *lane) clearFaults(t *testing.T) {
	req, _ := http.NewRequest(http.MethodDelete, l.emu.URL()+"/_emulator/faults", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("clear faults: %v", err)
		return
	}
	resp.Body.Close()
}

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", within, what)
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

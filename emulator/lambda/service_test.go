package lambda_test

import (
	"archive/zip"
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ecprov/ecprov/emulator/lambda"
	"github.com/ecprov/ecprov/emulator/server"
)

// Built once by TestMain: the test bootstrap, aws-lambda-rie and the
// supervisor.
var (
	bootstrapPath  string
	riePath        string
	supervisorPath string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambda-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		bootstrapPath = filepath.Join(dir, "fn", "bootstrap")
		build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrapPath, "./testdata/fn")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the test bootstrap: %v\n%s", err, out)
			return 1
		}
		if riePath, err = lambda.EnsureRIE(context.Background(), filepath.Join(dir, "bin", "aws-lambda-rie")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if supervisorPath, err = lambda.EnsureSupervisor(context.Background(), filepath.Join(dir, "bin", lambda.SupervisorName())); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		code := m.Run()
		if left := processesRunning(riePath, bootstrapPath, supervisorPath); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "processes left behind: %v\n", left)
			return 1
		}
		return code
	}()
	os.Exit(code)
}

// processesRunning lists the processes whose command line mentions one of
// the paths.
func processesRunning(paths ...string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		line := string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		for _, p := range paths {
			if strings.Contains(line, p) {
				out = append(out, e.Name()+": "+line)
			}
		}
	}
	return out
}

type env struct {
	svc     *lambda.Service
	client  *awslambda.Client
	logs    *syncBuffer
	dataDir string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv starts a Lambda service with the test function behind the real
// router and returns the real SDK client pointed at it.
func newEnv(t *testing.T, opts lambda.Options, fns ...lambda.Function) *env {
	t.Helper()
	logs := &syncBuffer{}
	opts.DataDir = t.TempDir()
	opts.RIEPath = riePath
	opts.SupervisorPath = supervisorPath
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := lambda.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	if len(fns) == 0 {
		fns = []lambda.Function{{Name: "fn", BootstrapPath: bootstrapPath, Timeout: 5 * time.Second}}
	}
	for _, fn := range fns {
		if err := svc.CreateFunction(fn); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(server.New(nil, svc))
	t.Cleanup(ts.Close)
	client := awslambda.New(awslambda.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	return &env{svc: svc, client: client, logs: logs, dataDir: opts.DataDir}
}

var ctx = context.Background()

func invoke(t *testing.T, c *awslambda.Client, name string, payload any) *awslambda.InvokeOutput {
	t.Helper()
	b, _ := json.Marshal(payload)
	out, err := c.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: b})
	if err != nil {
		t.Fatalf("Invoke %s: %v", name, err)
	}
	return out
}

type errorDoc struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

func TestInvokeResultsAndFunctionErrors(t *testing.T) {
	e := newEnv(t, lambda.Options{})
	tests := []struct {
		mode          string
		functionError string
		errorType     string
		message       string // substring of errorMessage
	}{
		{mode: "ok"},
		{mode: "looks-like-error"},
		{mode: "named-error", functionError: "Unhandled", errorType: "RetryableAWSError", message: "throttled by a fake"},
		{mode: "plain-error", functionError: "Unhandled", errorType: "errorString", message: "plain failure"},
		{mode: "panic", functionError: "Unhandled", message: "boom"},
		{mode: "exit", functionError: "Unhandled", errorType: "Runtime.ExitError", message: "Runtime exited with error: exit status 3"},
		{mode: "ok"}, // after the crash: a new runtime
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d-%s", i, tt.mode), func(t *testing.T) {
			out := invoke(t, e.client, "fn", map[string]any{"mode": tt.mode})
			if out.StatusCode != 200 {
				t.Errorf("StatusCode = %d, want 200", out.StatusCode)
			}
			if got := aws.ToString(out.FunctionError); got != tt.functionError {
				t.Fatalf("FunctionError = %q, want %q (payload %s)", got, tt.functionError, out.Payload)
			}
			if aws.ToString(out.ExecutedVersion) != "$LATEST" {
				t.Errorf("ExecutedVersion = %q", aws.ToString(out.ExecutedVersion))
			}
			if tt.functionError == "" {
				if !json.Valid(out.Payload) {
					t.Errorf("payload %q is not JSON", out.Payload)
				}
				return
			}
			var doc errorDoc
			if err := json.Unmarshal(out.Payload, &doc); err != nil {
				t.Fatalf("error payload %q: %v", out.Payload, err)
			}
			if tt.errorType != "" && doc.ErrorType != tt.errorType {
				t.Errorf("errorType = %q, want %q", doc.ErrorType, tt.errorType)
			}
			if !strings.Contains(doc.ErrorMessage, tt.message) {
				t.Errorf("errorMessage = %q, want it to contain %q", doc.ErrorMessage, tt.message)
			}
		})
	}
	st, _ := e.svc.Stats("fn")
	// First start, and a new runtime after the panic and after the exit.
	if st.ColdStarts != 3 {
		t.Errorf("ColdStarts = %d, want 3", st.ColdStarts)
	}
	if st.Invocations != len(tests) || st.FunctionErrors != 4 {
		t.Errorf("Invocations = %d, FunctionErrors = %d; want %d and 4", st.Invocations, st.FunctionErrors, len(tests))
	}
	if len(st.InitDurations) != 3 || st.LastInitDuration() <= 0 {
		t.Errorf("InitDurations = %v, want 3 positive values", st.InitDurations)
	}
}

func TestTimeout(t *testing.T) {
	e := newEnv(t, lambda.Options{}, lambda.Function{Name: "slow", BootstrapPath: bootstrapPath, Timeout: time.Second})
	start := time.Now()
	out := invoke(t, e.client, "slow", map[string]any{"mode": "sleep", "sleepMs": 5000})
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("a 1 s function answered after %s", d)
	}
	var doc errorDoc
	_ = json.Unmarshal(out.Payload, &doc)
	if aws.ToString(out.FunctionError) != "Unhandled" || doc.ErrorType != "Sandbox.Timedout" ||
		!strings.HasSuffix(doc.ErrorMessage, "Task timed out after 1.00 seconds") {
		t.Fatalf("got FunctionError %q payload %s; want Unhandled Sandbox.Timedout", aws.ToString(out.FunctionError), out.Payload)
	}
	out = invoke(t, e.client, "slow", map[string]any{"mode": "ok"})
	if out.FunctionError != nil {
		t.Fatalf("invoke after a time-out: %s", out.Payload)
	}
}

// TestInitFailure: a bootstrap that exits before asking for its first event
// (a bad configuration) fails each invocation with Runtime.ExitError.
func TestInitFailure(t *testing.T) {
	e := newEnv(t, lambda.Options{}, lambda.Function{Name: "broken", BootstrapPath: bootstrapPath, Env: map[string]string{"EXIT_AT_INIT": "1"}})
	for range 2 {
		out := invoke(t, e.client, "broken", map[string]any{"mode": "ok"})
		var doc errorDoc
		_ = json.Unmarshal(out.Payload, &doc)
		if aws.ToString(out.FunctionError) != "Unhandled" || doc.ErrorType != "Runtime.ExitError" || !strings.Contains(doc.ErrorMessage, "exit status 1") {
			t.Fatalf("FunctionError %q payload %s; want Unhandled Runtime.ExitError", aws.ToString(out.FunctionError), out.Payload)
		}
	}
}

func TestFunctionNamesAndNotFound(t *testing.T) {
	e := newEnv(t, lambda.Options{})
	for _, name := range []string{
		"fn", "fn:$LATEST",
		"arn:aws:lambda:us-east-1:000000000000:function:fn",
		"000000000000:function:fn",
	} {
		out := invoke(t, e.client, name, map[string]any{"mode": "ok"})
		if out.FunctionError != nil {
			t.Errorf("Invoke(%q): %s", name, out.Payload)
		}
	}
	for _, name := range []string{"nope", "arn:aws:lambda:us-east-1:000000000000:function:nope", "fn:7"} {
		_, err := e.client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name)})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("Invoke(%q): %v, want ResourceNotFoundException", name, err)
			continue
		}
		if !strings.HasPrefix(nf.ErrorMessage(), "Function not found: arn:aws:lambda:us-east-1:000000000000:function:") {
			t.Errorf("message %q", nf.ErrorMessage())
		}
	}
	if _, _, err := e.svc.Invoke(ctx, "nope", nil); !errors.Is(err, lambda.ErrNotFound) {
		t.Errorf("Go Invoke of an unknown function: %v, want ErrNotFound", err)
	}
	_, err := e.client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte("{not json")})
	var bad *types.InvalidRequestContentException
	if !errors.As(err, &bad) {
		t.Errorf("invalid JSON payload: %v, want InvalidRequestContentException", err)
	}
}

func TestGetAndListFunctions(t *testing.T) {
	e := newEnv(t, lambda.Options{},
		lambda.Function{Name: "a", BootstrapPath: bootstrapPath, Timeout: 30 * time.Second, MemoryMB: 256, Env: map[string]string{"X": "1"}},
		lambda.Function{Name: "b", BootstrapPath: bootstrapPath},
	)
	got, err := e.client.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	c := got.Configuration
	if aws.ToString(c.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:a" ||
		aws.ToInt32(c.Timeout) != 30 || aws.ToInt32(c.MemorySize) != 256 || c.State != types.StateActive ||
		c.Runtime != types.RuntimeProvidedal2023 || c.Environment.Variables["X"] != "1" || aws.ToString(c.CodeSha256) == "" {
		t.Errorf("GetFunction configuration = %+v", c)
	}
	var names []string
	p := awslambda.NewListFunctionsPaginator(e.client, &awslambda.ListFunctionsInput{MaxItems: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	if strings.Join(names, ",") != "a,b" {
		t.Errorf("ListFunctions = %v, want [a b]", names)
	}
	b, _ := e.client.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("b")})
	if aws.ToInt32(b.Configuration.Timeout) != 3 || aws.ToInt32(b.Configuration.MemorySize) != 128 {
		t.Errorf("defaults: timeout %d memory %d, want Lambda's 3 and 128", aws.ToInt32(b.Configuration.Timeout), aws.ToInt32(b.Configuration.MemorySize))
	}
}

func TestEnvironment(t *testing.T) {
	e := newEnv(t, lambda.Options{Env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "SHARED": "service"}},
		lambda.Function{Name: "fn", BootstrapPath: bootstrapPath, Env: map[string]string{"SHARED": "function", "OWN": "yes"}})
	out := invoke(t, e.client, "fn", map[string]any{"mode": "ok",
		"env": []string{"AWS_ENDPOINT_URL", "SHARED", "OWN", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "AWS_LAMBDA_RUNTIME_API"}})
	var got struct{ Env map[string]string }
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "SHARED": "function", "OWN": "yes",
		"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_REGION": "us-east-1"}
	for k, v := range want {
		if got.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, got.Env[k], v)
		}
	}
	if got.Env["AWS_LAMBDA_RUNTIME_API"] == "" {
		t.Error("AWS_LAMBDA_RUNTIME_API is not set")
	}
}

// TestPool: instances are reused when idle, and overlapping invocations get
// instances of their own, up to MaxInstances.
func TestPool(t *testing.T) {
	e := newEnv(t, lambda.Options{MaxInstances: 2})
	pidOf := func(payload []byte) int {
		var out struct{ PID int }
		_ = json.Unmarshal(payload, &out)
		return out.PID
	}
	first := pidOf(invoke(t, e.client, "fn", map[string]any{"mode": "ok"}).Payload)
	second := pidOf(invoke(t, e.client, "fn", map[string]any{"mode": "ok"}).Payload)
	if first == 0 || first != second {
		t.Errorf("sequential invocations ran in processes %d and %d, want one warm instance", first, second)
	}

	const n, sleep = 4, 400 * time.Millisecond
	var wg sync.WaitGroup
	pids := make([]int, n)
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			res, fnErr, err := e.svc.Invoke(ctx, "fn", []byte(fmt.Sprintf(`{"mode":"sleep","sleepMs":%d}`, sleep.Milliseconds())))
			if err != nil || fnErr != "" {
				t.Errorf("Invoke: %v %s %s", err, fnErr, res)
			}
			pids[i] = pidOf(res)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	distinct := map[int]bool{}
	for _, p := range pids {
		distinct[p] = true
	}
	if len(distinct) != 2 {
		t.Errorf("4 overlapping invocations ran in %d processes, want 2 (MaxInstances)", len(distinct))
	}
	if elapsed < 2*sleep {
		t.Errorf("4 invocations of %s on 2 instances took %s, want at least %s", sleep, elapsed, 2*sleep)
	}
	st, _ := e.svc.Stats("fn")
	if st.Instances != 2 || st.ColdStarts != 2 {
		t.Errorf("Instances = %d, ColdStarts = %d; want 2 and 2", st.Instances, st.ColdStarts)
	}
	if len(st.ColdInvokeDurations) != 2 || len(st.WarmInvokeDurations) != 4 {
		t.Errorf("cold/warm invocations = %d/%d, want 2/4", len(st.ColdInvokeDurations), len(st.WarmInvokeDurations))
	}
}

func TestEventInvocation(t *testing.T) {
	e := newEnv(t, lambda.Options{})
	path := filepath.Join(t.TempDir(), "touched")
	b, _ := json.Marshal(map[string]any{"mode": "touch", "path": path})
	out, err := e.client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("fn"), Payload: b, InvocationType: types.InvocationTypeEvent})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Errorf("Event invoke: status %d payload %q, want 202 and none", out.StatusCode, out.Payload)
	}
	waitForFile(t, path)

	// The Go API, as SNS and EventBridge use it.
	path2 := filepath.Join(t.TempDir(), "touched")
	if err := e.svc.InvokeAsync("fn", []byte(`{"mode":"touch","path":"`+path2+`"}`)); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, path2)
	if err := e.svc.InvokeAsync("nope", nil); !errors.Is(err, lambda.ErrNotFound) {
		t.Errorf("InvokeAsync of an unknown function: %v, want ErrNotFound", err)
	}
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the asynchronous invocation did not run")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLogs: the function's JSON log lines are forwarded as JSON, with the
// request id; payloads are not logged.
func TestLogs(t *testing.T) {
	e := newEnv(t, lambda.Options{})
	invoke(t, e.client, "fn", map[string]any{"mode": "ok", "secret": "s3cr3t-value"})
	_ = e.svc.Close()
	var forwarded bool
	for line := range strings.Lines(e.logs.String()) {
		var rec struct {
			Msg       string `json:"msg"`
			Function  string `json:"function"`
			RequestID string `json:"requestId"`
			Record    struct {
				Msg  string `json:"msg"`
				Mode string `json:"mode"`
			} `json:"record"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec.Msg == "function log" && rec.Record.Msg == "invoke" && rec.Record.Mode == "ok" && rec.Function == "fn" && rec.RequestID != "" {
			forwarded = true
		}
	}
	if !forwarded {
		t.Errorf("the function's log line was not forwarded; logs:\n%s", e.logs.String())
	}
	if strings.Contains(e.logs.String(), "s3cr3t-value") {
		t.Error("a payload reached the logs")
	}
}

func TestCreateFunctionOverTheWire(t *testing.T) {
	e := newEnv(t, lambda.Options{})
	code, err := os.ReadFile(bootstrapPath)
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, _ := zw.CreateHeader(hdr)
	_, _ = w.Write(code)
	_ = zw.Close()

	in := &awslambda.CreateFunctionInput{
		FunctionName: aws.String("wired"),
		Runtime:      types.RuntimeProvidedal2023,
		Role:         aws.String("arn:aws:iam::000000000000:role/x"),
		Handler:      aws.String("bootstrap"),
		Code:         &types.FunctionCode{ZipFile: zipped.Bytes()},
		Timeout:      aws.Int32(10),
	}
	created, err := e.client.CreateFunction(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(created.Timeout) != 10 || aws.ToString(created.Role) != "arn:aws:iam::000000000000:role/x" {
		t.Errorf("CreateFunction = %+v", created)
	}
	if out := invoke(t, e.client, "wired", map[string]any{"mode": "ok"}); out.FunctionError != nil {
		t.Errorf("invoking a function created over the wire: %s", out.Payload)
	}
	_, err = e.client.CreateFunction(ctx, in)
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("second CreateFunction: %v, want ResourceConflictException", err)
	}
	if _, err := e.client.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("wired")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("wired")}); err == nil {
		t.Error("GetFunction after DeleteFunction succeeded")
	}
}

func TestCloseEndsEveryProcess(t *testing.T) {
	e := newEnv(t, lambda.Options{})
	// One busy instance (sleeping) and one idle.
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = e.svc.Invoke(ctx, "fn", []byte(`{"mode":"sleep","sleepMs":4000}`))
	}()
	invoke(t, e.client, "fn", map[string]any{"mode": "ok"})
	// The supervisors' and RIEs' command lines name the bootstrap too: 2
	// supervisors, 2 RIEs, 2 bootstraps.
	for deadline := time.Now().Add(5 * time.Second); len(processesRunning(bootstrapPath+" ")) != 6; {
		if time.Now().After(deadline) {
			t.Fatalf("want 2 supervisors, 2 RIEs and 2 bootstraps before Close, got %v", processesRunning(bootstrapPath+" "))
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	_ = e.svc.Close()
	<-done
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %s; it should not wait for the sleeping invocation", d)
	}
	if left := processesRunning(riePath, bootstrapPath, supervisorPath); len(left) > 0 {
		t.Errorf("processes left after Close: %v", left)
	}
}

// TestRIEVersionMatchesGoMod keeps the version EnsureRIE installs outside
// the repository equal to the one go.mod pins.
func TestRIEVersionMatchesGoMod(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := "github.com/aws/aws-lambda-runtime-interface-emulator " + lambda.RIEVersion
	if !strings.Contains(string(b), want) {
		t.Errorf("go.mod does not require %q; update RIEVersion in rie.go", want)
	}
	if !strings.Contains(string(b), "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie") {
		t.Error("go.mod lacks the aws-lambda-rie tool directive")
	}
}

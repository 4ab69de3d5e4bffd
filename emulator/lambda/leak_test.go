package lambda_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ecprov/ecprov/emulator/lambda"
)

// spawned is the test function's answer in the "spawn" modes: its own pid
// and that of a child it started in a session of its own, which the RIE's
// process-group kill cannot reach.
type spawned struct {
	PID   int `json:"pid"`
	Child int `json:"child"`
}

func spawn(t *testing.T, c *awslambda.Client, name string) spawned {
	t.Helper()
	out := invoke(t, c, name, map[string]any{"mode": "spawn"})
	var s spawned
	if out.FunctionError != nil || json.Unmarshal(out.Payload, &s) != nil || s.PID == 0 || s.Child == 0 {
		t.Fatalf("spawn: %s", out.Payload)
	}
	return s
}

// running reports whether pid is a live process (a zombie is not).
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && !bytes.HasPrefix(bytes.TrimSpace(stat[i+1:]), []byte("Z"))
}

func parentOf(t *testing.T, pid int) int {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// waitGone waits for processes to end. It is a bound on a wait, not a
// timing assertion: the processes end within milliseconds or never.
func waitGone(t *testing.T, what string, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var left []int
		for _, pid := range pids {
			if running(pid) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: processes %v still run", what, left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRIEKilledEndsItsRuntime: after `kill -9` of an aws-lambda-rie, its
// bootstrap and the bootstrap's children end too, and the next invocation
// runs on a fresh instance instead of reporting the dead one's exit.
func TestRIEKilledEndsItsRuntime(t *testing.T) {
	e := newEnv(t, lambda.Options{})
	first := spawn(t, e.client, "fn")
	rie := parentOf(t, first.PID)
	if cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(rie) + "/cmdline"); !bytes.Contains(cmdline, []byte(riePath)) {
		t.Fatalf("the bootstrap's parent %d is not the RIE: %q", rie, cmdline)
	}
	if err := syscall.Kill(rie, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "after kill -9 of the RIE", first.PID, first.Child)

	start := time.Now()
	out := invoke(t, e.client, "fn", map[string]any{"mode": "ok"})
	t.Logf("the invocation after the kill took %s", time.Since(start))
	if out.FunctionError != nil {
		t.Fatalf("invoke after kill -9 of the RIE: %s %s", aws.ToString(out.FunctionError), out.Payload)
	}
	var next spawned
	_ = json.Unmarshal(out.Payload, &next)
	if next.PID == first.PID || next.PID == 0 {
		t.Errorf("the invocation ran in pid %d, the killed instance's bootstrap was %d", next.PID, first.PID)
	}
}

// TestTimeoutEndsTheInstanceTree: a time-out ends what the function started
// too, not only the runtime's process group.
func TestTimeoutEndsTheInstanceTree(t *testing.T) {
	e := newEnv(t, lambda.Options{}, lambda.Function{Name: "slow", BootstrapPath: bootstrapPath, Timeout: time.Second})
	pidFile := filepath.Join(t.TempDir(), "child")
	out := invoke(t, e.client, "slow", map[string]any{"mode": "spawn-sleep", "sleepMs": 5000, "path": pidFile})
	var doc errorDoc
	_ = json.Unmarshal(out.Payload, &doc)
	if doc.ErrorType != "Sandbox.Timedout" {
		t.Fatalf("payload %s, want Sandbox.Timedout", out.Payload)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(string(b))
	waitGone(t, "after a time-out", child)
	if out := invoke(t, e.client, "slow", map[string]any{"mode": "ok"}); out.FunctionError != nil {
		t.Fatalf("invoke after a time-out: %s", out.Payload)
	}
}

func zipBootstrap(t *testing.T) []byte {
	t.Helper()
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
	return zipped.Bytes()
}

func createFunctionInput(name string, zipFile []byte) *awslambda.CreateFunctionInput {
	return &awslambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Role:         aws.String("arn:aws:iam::000000000000:role/x"),
		Handler:      aws.String("bootstrap"),
		Code:         &types.FunctionCode{ZipFile: zipFile},
	}
}

// TestDeleteFunctionEndsProcessesAndRemovesCode: DeleteFunction ends every
// process of the function and removes the code CreateFunction unzipped.
func TestDeleteFunctionEndsProcessesAndRemovesCode(t *testing.T) {
	e := newEnv(t, lambda.Options{})
	if _, err := e.client.CreateFunction(ctx, createFunctionInput("doomed", zipBootstrap(t))); err != nil {
		t.Fatal(err)
	}
	codeDir := filepath.Join(e.dataDir, "lambda", "functions", "doomed")
	if _, err := os.Stat(codeDir); err != nil {
		t.Fatalf("the unzipped code is not where expected: %v", err)
	}
	s := spawn(t, e.client, "doomed")
	if _, err := e.client.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "after DeleteFunction", s.PID, s.Child)
	if _, err := os.Stat(codeDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s after DeleteFunction: %v, want it gone", codeDir, err)
	}
}

// zeroEntry is one zip entry of n zero bytes, deflated: about 1 KB per MB.
func zeroEntry(t *testing.T, n int64) (compressed []byte, crc uint32) {
	t.Helper()
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	chunk := make([]byte, 1<<20)
	h := crc32.NewIEEE()
	for left := n; left > 0; left -= int64(len(chunk)) {
		part := chunk[:min(left, int64(len(chunk)))]
		_, _ = fw.Write(part)
		_, _ = h.Write(part)
	}
	_ = fw.Close()
	return buf.Bytes(), h.Sum32()
}

// TestZipBombIsRefused: the probe, a small zip with three 300 MB
// entries, gets Lambda's error for code over 250 MB unzipped, and nothing
// big reaches the disk.
func TestZipBombIsRefused(t *testing.T) {
	e := newEnv(t, lambda.Options{})
	const entry = 300 << 20
	raw, crc := zeroEntry(t, entry)
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	for _, name := range []string{"bootstrap", "a", "b"} {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(len(raw)), UncompressedSize64: entry})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(raw)
	}
	_ = zw.Close()
	t.Logf("zip of %d bytes declaring %d MB", zipped.Len(), 3*entry>>20)

	_, err := e.client.CreateFunction(ctx, createFunctionInput("bomb", zipped.Bytes()))
	var invalid *types.InvalidParameterValueException
	if !errors.As(err, &invalid) || aws.ToString(invalid.Message) != "Unzipped size must be smaller than 262144000 bytes" {
		t.Fatalf("CreateFunction of a zip bomb: %v; want InvalidParameterValueException \"Unzipped size must be smaller than 262144000 bytes\"", err)
	}
	var written int64
	_ = filepath.WalkDir(filepath.Join(e.dataDir, "lambda"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				written += fi.Size()
			}
		}
		return nil
	})
	if written > 1<<20 {
		t.Errorf("the refused zip left %d bytes under %s", written, e.dataDir)
	}
	if _, err := e.client.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("bomb")}); err == nil {
		t.Error("the refused function exists")
	}
}

// TestStaleCodeIsRemovedAtStart: functions live in memory, so code folders
// in the data dir at start are what a crashed run left.
func TestStaleCodeIsRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "lambda", "functions", "old", "req")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	svc, err := lambda.New(lambda.Options{DataDir: dir, RIEPath: riePath, SupervisorPath: supervisorPath})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, err := os.Stat(filepath.Join(dir, "lambda", "functions", "old")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale function code after New: %v, want it gone", err)
	}
}

// startSupervised runs the supervisor over a shell that starts a process in
// a session of its own and prints its pid.
func startSupervised(t *testing.T, script string) (cmd *exec.Cmd, control *os.File, grandchild int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(supervisorPath, "--", "/bin/sh", "-c", script)
	cmd.ExtraFiles = []*os.File{r}
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the grandchild's pid: %v", err)
	}
	grandchild, _ = strconv.Atoi(strings.TrimSpace(line))
	if !running(grandchild) {
		t.Fatalf("grandchild %q is not running", line)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return cmd, w, grandchild
}

const detached = `setsid sh -c 'echo $$; exec sleep 600' & `

// TestSupervisorEndsTheTreeWhenTheEmulatorGoes: the control pipe's EOF,
// which is what the emulator's death (kill -9 included) looks like to the
// supervisor, ends its child and every descendant, even one in another
// session.
func TestSupervisorEndsTheTreeWhenTheEmulatorGoes(t *testing.T) {
	cmd, control, grandchild := startSupervised(t, detached+"exec sleep 600")
	child := cmd.Process.Pid
	_ = control.Close()
	err := cmd.Wait()
	waitGone(t, "after the control pipe closed", grandchild)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("supervisor %d ended with %v, want the killed child's signal: killed", child, err)
	}
}

// TestSupervisorEndsTheTreeWhenItsChildDies and passes the exit status on.
func TestSupervisorEndsTheTreeWhenItsChildDies(t *testing.T) {
	cmd, _, grandchild := startSupervised(t, detached+"sleep 0.2; exit 3")
	err := cmd.Wait()
	waitGone(t, "after the supervised child exited", grandchild)
	if cmd.ProcessState.ExitCode() != 3 {
		t.Errorf("supervisor ended with %v, want exit status 3", err)
	}
}

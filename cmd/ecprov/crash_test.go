package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	emec2 "github.com/ecprov/ecprov/emulator/ec2"
	"github.com/ecprov/ecprov/emulator/lambda"
)

// envRunCLI makes the test binary run the CLI instead of the tests, so that
// the crash test starts the real `ecprov local up` as a process of its own
// without a separate build.
const envRunCLI = "ECPROV_TEST_RUN_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(envRunCLI) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestKill9LeavesNoProcess: `kill -9` of `ecprov local up` leaves no
// process of its tree (redis-servers, Lambda supervisors, RIEs, bootstraps
// and what they started, the Step Functions runner), and the next start on
// the same data dir removes what the crash left there.
func TestKill9LeavesNoProcess(t *testing.T) {
	root, _ := filepath.Abs("../..")
	for _, need := range []string{"dist/host/createcluster/bootstrap", "node_modules/aws-local-stepfunctions"} {
		if _, err := os.Stat(filepath.Join(root, need)); err != nil {
			t.Fatalf("%s is missing: run `make build-local` and `bash scripts/node-deps.sh` (make test does both)", need)
		}
	}
	dataDir := t.TempDir()
	prebuild(t, dataDir)
	code := spawningFunctionZip(t)

	emu := startLocalUp(t, root, dataDir)
	ctx := context.Background()
	ec, fn := clientsFor(emu.url)
	createGroup(t, ec, "crash")
	if _, err := fn.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String("crash-spawner"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Role: aws.String("arn:aws:iam::000000000000:role/x"), Handler: aws.String("bootstrap"),
		Code: &lambdatypes.FunctionCode{ZipFile: code},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := fn.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("crash-spawner"), Payload: []byte(`{"mode":"spawn"}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("invoke: %v %s", err, out.Payload)
	}

	tree := descendants(emu.pid)
	kinds := map[string]int{}
	for _, p := range tree {
		kinds[p.comm]++
	}
	t.Logf("the emulator's process tree: %v", kinds)
	// comm is cut at 15 characters: lambda-supervisor-... is "lambda-supervis",
	// aws-lambda-rie-<version> "aws-lambda-rie-".
	for comm, least := range map[string]int{"redis-server": 2, "lambda-supervis": 1, "aws-lambda-rie-": 1, "bootstrap": 1, "sleep": 1, "node": 1} {
		if kinds[comm] < least {
			t.Fatalf("the emulator's tree has %d %s, want at least %d, before the kill: %v", kinds[comm], comm, least, kinds)
		}
	}

	if err := syscall.Kill(emu.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = emu.cmd.Wait()
	waitNoSurvivor(t, tree)

	// A restart on the same data dir: the kernel dropped the lock, and the
	// start removes the crash's node folders and function code.
	again := startLocalUp(t, root, dataDir)
	for _, dir := range []string{"nodes", "snapshots", filepath.Join("lambda", "functions")} {
		entries, err := os.ReadDir(filepath.Join(dataDir, dir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if len(entries) > 0 {
			t.Errorf("%s after a restart holds %d entries from the crashed run, want none", dir, len(entries))
		}
	}
	tree = descendants(again.pid)
	if err := syscall.Kill(again.pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := again.cmd.Wait(); err != nil {
		t.Errorf("ecprov local up after SIGTERM: %v; stderr in %s", err, again.stderr)
	}
	waitNoSurvivor(t, tree)
}

// prebuild puts aws-lambda-rie and the Lambda supervisor in the data dir,
// where the emulator would otherwise build them at start.
func prebuild(t *testing.T, dataDir string) {
	t.Helper()
	ctx := context.Background()
	if _, err := lambda.EnsureRIE(ctx, filepath.Join(dataDir, "bin", "aws-lambda-rie-"+lambda.RIEVersion)); err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.EnsureSupervisor(ctx, filepath.Join(dataDir, "bin", lambda.SupervisorName())); err != nil {
		t.Fatal(err)
	}
}

// spawningFunctionZip is the lambda package's test function, whose "spawn"
// mode starts a child in a session of its own.
func spawningFunctionZip(t *testing.T) []byte {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../../emulator/lambda/testdata/fn")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the test function: %v\n%s", err, out)
	}
	code, err := os.ReadFile(bin)
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

type localUp struct {
	cmd    *exec.Cmd
	pid    int
	url    string
	stderr string
}

// startLocalUp runs `ecprov local up` (this test binary, see TestMain) in a
// process group of its own and waits until it listens.
func startLocalUp(t *testing.T, root, dataDir string) localUp {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	stderr := filepath.Join(t.TempDir(), "emulator.log")
	errFile, err := os.Create(stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	cmd := exec.Command(os.Args[0], "local", "up", "--port", strconv.Itoa(port), "--data-dir", dataDir, "--root", root,
		"--wait-scale", "0.01", "--metrics-interval", "1s")
	cmd.Env = append(os.Environ(), envRunCLI+"=1")
	cmd.Stderr = errFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 4 && f[2] == "listening" {
				listening <- f[4]
			}
		}
		close(listening)
	}()
	select {
	case url, ok := <-listening:
		if !ok {
			b, _ := os.ReadFile(stderr)
			t.Fatalf("ecprov local up ended before listening:\n%s", tail(b))
		}
		return localUp{cmd: cmd, pid: cmd.Process.Pid, url: url, stderr: stderr}
	case <-time.After(3 * time.Minute):
		t.Fatalf("ecprov local up did not listen within 3 minutes; see %s", stderr)
	}
	return localUp{}
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func clientsFor(url string) (*elasticache.Client, *awslambda.Client) {
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	return elasticache.New(elasticache.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(url)}),
		awslambda.New(awslambda.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(url)})
}

// createGroup creates a 2-node TLS replication group and waits until it is
// available.
func createGroup(t *testing.T, ec *elasticache.Client, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := ec.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String(id), CacheSubnetGroupDescription: aws.String("d"),
		SubnetIds: []string{emec2.SubnetA1, emec2.SubnetB1},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String(id), ReplicationGroupDescription: aws.String("d"),
		CacheNodeType: aws.String("cache.t4g.micro"), NumCacheClusters: aws.Int32(2),
		AutomaticFailoverEnabled: aws.Bool(true), TransitEncryptionEnabled: aws.Bool(true),
		TransitEncryptionMode: ectypes.TransitEncryptionModeRequired, CacheSubnetGroupName: aws.String(id),
	}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		out, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
		if err == nil && aws.ToString(out.ReplicationGroups[0].Status) == "available" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s not available within a minute: %v", id, err)
		}
	}
}

// proc is one process as /proc/PID/stat shows it.
type proc struct {
	pid, ppid, pgid int
	comm, state     string
}

func readProc(pid int) (proc, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, false
	}
	open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return proc{}, false
	}
	f := strings.Fields(string(stat[end+1:]))
	if len(f) < 3 {
		return proc{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	return proc{pid: pid, ppid: ppid, pgid: pgid, comm: string(stat[open+1 : end]), state: f[0]}, true
}

func allProcs() []proc {
	entries, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			if p, ok := readProc(pid); ok && p.state != "Z" {
				out = append(out, p)
			}
		}
	}
	return out
}

// descendants lists the live processes below pid.
func descendants(pid int) []proc {
	children := map[int][]proc{}
	for _, p := range allProcs() {
		children[p.ppid] = append(children[p.ppid], p)
	}
	var out []proc
	queue := []int{pid}
	for len(queue) > 0 {
		for _, c := range children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
		queue = queue[1:]
	}
	return out
}

// waitNoSurvivor waits until no process of tree runs and no process is left
// in one of its process groups (a bound on a wait, not a timing assertion).
func waitNoSurvivor(t *testing.T, tree []proc) {
	t.Helper()
	pids, groups := map[int]bool{}, map[int]bool{}
	for _, p := range tree {
		pids[p.pid], groups[p.pgid] = true, true
	}
	var left []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		left = nil
		for _, p := range allProcs() {
			if pids[p.pid] || groups[p.pgid] {
				left = append(left, fmt.Sprintf("%d %s (pgid %d)", p.pid, p.comm, p.pgid))
			}
		}
		if len(left) == 0 {
			return
		}
	}
	b, _ := json.Marshal(left)
	t.Fatalf("processes of the emulator's tree survive: %s", b)
}

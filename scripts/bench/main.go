// Command bench measures ecprov and writes docs/benchmarks.json and
// docs/benchmarks.md. Run it with `make bench` (which builds first). Each
// figure is the median of repeated runs, with min and max.
//
//	go run ./scripts/bench [-runs 10] [-only artifacts,emulator]
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/ecprov/ecprov/emulator"
	"github.com/ecprov/ecprov/internal/orchestration"
)

// Stat is a repeated measurement.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Runs   int     `json:"runs"`
}

func statOf(xs []float64) Stat {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return Stat{}
	}
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Median: round(m), Min: round(s[0]), Max: round(s[len(s)-1]), Runs: len(s)}
}

func round(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// Results is docs/benchmarks.json: every figure by key, so that a regression
// shows as a diff.
type Results map[string]any

func main() {
	runs := flag.Int("runs", 10, "repetitions per timed figure (cold starts per function, creations)")
	only := flag.String("only", "", "comma-separated sections to run (default all): artifacts, emulator, lambda, orchestration, polling, scale, limits, demo")
	flag.Parse()
	want := func(s string) bool { return *only == "" || strings.Contains(","+*only+",", ","+s+",") }

	res := Results{}
	if data, err := os.ReadFile("docs/benchmarks.json"); err == nil {
		_ = json.Unmarshal(data, &res) // keep figures of sections not run now
	}
	res["machine"] = machine()
	if want("artifacts") {
		sizes, err := artifacts()
		check("artifacts", err)
		res["bootstrap_bytes"] = sizes
	}
	if want("emulator") {
		avail, err := timeToAvailable(*runs)
		check("time to available", err)
		res["emulator_group_available_s"] = avail
		scale, err := scaleTest(10)
		check("scale", err)
		res["emulator_scale"] = scale
	}
	if want("lambda") {
		inits, warms, err := lambdaStartup(*runs)
		check("lambda start-up", err)
		res["init_ms"], res["warm_invoke_ms"] = inits, warms
	}
	if want("orchestration") {
		figs, err := orchestrationFigures(5)
		check("orchestration", err)
		for k, v := range figs {
			res[k] = v
		}
	}
	if want("polling") {
		figs, err := pollingFigures()
		check("polling", err)
		for k, v := range figs {
			res[k] = v
		}
	}
	if want("scale") {
		figs, err := scaleProvision(10)
		check("scale", err)
		res["provision_10_envs"] = figs
	}
	if want("limits") {
		figs, err := limitsUnderLoad(50)
		check("limits", err)
		res["emulator_limits"] = figs
	}
	if want("demo") {
		s, err := demoSeconds()
		check("demo", err)
		res["demo_s"] = s
	}
	data, _ := json.MarshalIndent(res, "", "  ")
	check("write json", os.WriteFile("docs/benchmarks.json", append(data, '\n'), 0o644))
	check("write markdown", os.WriteFile("docs/benchmarks.md", []byte(render(res)), 0o644))
	fmt.Println("wrote docs/benchmarks.json and docs/benchmarks.md")
}

func check(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func machine() string {
	out, _ := exec.Command("go", "version").Output()
	cpus := "?"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		cpus = strconv.Itoa(strings.Count(string(data), "processor\t:"))
	}
	return fmt.Sprintf("%s cores, %s", cpus, strings.TrimSpace(string(out)))
}

// artifacts: the size of each linux/arm64 bootstrap, unzipped and zipped as
// Lambda receives it.
func artifacts() (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	for _, f := range orchestration.Functions {
		path := filepath.Join("dist", f.Name, "bootstrap")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%w (run make build)", err)
		}
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		w, err := z.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
		if err := z.Close(); err != nil {
			return nil, err
		}
		out[f.Name] = map[string]int64{"unzipped": int64(len(data)), "zipped": int64(buf.Len())}
	}
	return out, nil
}

func client(url string) *elasticache.Client {
	return elasticache.NewFromConfig(aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func subnetGroup(ctx context.Context, ec *elasticache.Client) error {
	_, err := ec.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("bench-subnets"), CacheSubnetGroupDescription: aws.String("bench"),
		SubnetIds: []string{"subnet-0ec00000000000a01", "subnet-0ec00000000000b01"},
	})
	return err
}

// createAndWait creates a 2-node TLS group and polls every 10 ms until it is
// available; it returns the seconds from the create call.
func createAndWait(ctx context.Context, ec *elasticache.Client, id string) (float64, error) {
	start := time.Now()
	_, err := ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String(id), ReplicationGroupDescription: aws.String("bench"),
		Engine: aws.String("redis"), EngineVersion: aws.String("7.0"), CacheNodeType: aws.String("cache.t4g.micro"),
		NumCacheClusters: aws.Int32(2), AutomaticFailoverEnabled: aws.Bool(true), MultiAZEnabled: aws.Bool(true),
		CacheSubnetGroupName: aws.String("bench-subnets"), TransitEncryptionEnabled: aws.Bool(true), AtRestEncryptionEnabled: aws.Bool(true),
	})
	if err != nil {
		return 0, err
	}
	for time.Since(start) < 30*time.Second {
		out, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
		if err != nil {
			return 0, err
		}
		if aws.ToString(out.ReplicationGroups[0].Status) == "available" {
			return time.Since(start).Seconds(), nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s not available within 30 s", id)
}

func deleteAndWait(ctx context.Context, ec *elasticache.Client, id string) error {
	if _, err := ec.DeleteReplicationGroup(ctx, &elasticache.DeleteReplicationGroupInput{ReplicationGroupId: aws.String(id)}); err != nil {
		return err
	}
	for i := 0; i < 3000; i++ {
		if _, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)}); err != nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s not deleted", id)
}

// timeToAvailable: an in-process emulator, no create delay.
func timeToAvailable(runs int) (Stat, error) {
	dir, _ := os.MkdirTemp("", "ecprov-bench-")
	defer os.RemoveAll(dir)
	emu, err := emulator.New(emulator.Options{DataDir: dir, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		return Stat{}, err
	}
	if err := emu.Start(); err != nil {
		return Stat{}, err
	}
	defer emu.Close()
	ctx := context.Background()
	ec := client(emu.URL())
	if err := subnetGroup(ctx, ec); err != nil {
		return Stat{}, err
	}
	var xs []float64
	for i := 0; i < runs; i++ {
		s, err := createAndWait(ctx, ec, fmt.Sprintf("bench-%d", i))
		if err != nil {
			return Stat{}, err
		}
		xs = append(xs, s)
		if err := deleteAndWait(ctx, ec, fmt.Sprintf("bench-%d", i)); err != nil {
			return Stat{}, err
		}
	}
	return statOf(xs), nil
}

// scaleTest runs `ecprov local up` as its own process, creates n 2-node TLS
// groups at once, and reads the emulator's peak RSS (redis not counted).
func scaleTest(n int) (map[string]any, error) {
	dir, _ := os.MkdirTemp("", "ecprov-bench-")
	defer os.RemoveAll(dir)
	port := 4700 + os.Getpid()%200
	cmd := exec.Command("bin/ecprov", "local", "up", "--port", strconv.Itoa(port), "--data-dir", dir)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w (run make ecprov)", err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx := context.Background()
	ec := client(url)
	var err error
	for i := 0; i < 100; i++ {
		if err = subnetGroup(ctx, ec); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	idle := rss(cmd.Process.Pid, "VmRSS")
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := createAndWait(ctx, ec, fmt.Sprintf("scale-%02d", i)); err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	return map[string]any{
		"groups": n, "nodes": 2 * n, "wall_s": round(wall), "errors": len(errs), "error_samples": errs,
		"emulator_rss_idle_mb": round(float64(idle) / 1024), "emulator_rss_mb": round(float64(rss(cmd.Process.Pid, "VmRSS")) / 1024),
		"emulator_peak_rss_mb": round(float64(rss(cmd.Process.Pid, "VmHWM")) / 1024),
	}, nil
}

// rss reads a VmRSS/VmHWM figure (kB) of one process from /proc.
func rss(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n
		}
	}
	return 0
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ecprov/ecprov/emulator/lambda"
	"github.com/ecprov/ecprov/internal/execution"
	"github.com/ecprov/ecprov/internal/orchestration"
	"github.com/ecprov/ecprov/internal/profile"
	"github.com/ecprov/ecprov/test/testprofile"
)

// lambdaStartup: each function's cold INIT duration under the Runtime
// Interface Emulator, over `runs` fresh instances, and its warm invoke time.
func lambdaStartup(runs int) (map[string]Stat, map[string]Stat, error) {
	dir, _ := os.MkdirTemp("", "ecprov-bench-")
	defer os.RemoveAll(dir)
	svc, err := lambda.New(lambda.Options{DataDir: dir, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Env: map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}})
	if err != nil {
		return nil, nil, err
	}
	defer svc.Close()
	initMS, warmMS := map[string]Stat{}, map[string]Stat{}
	ctx := context.Background()
	for _, f := range orchestration.Functions {
		var inits, warms []float64
		path, _ := filepath.Abs(filepath.Join("dist", "host", f.Name, "bootstrap"))
		for i := 0; i < runs; i++ {
			name := fmt.Sprintf("%s-%d", f.Name, i)
			if err := svc.CreateFunction(lambda.Function{Name: name, BootstrapPath: path, Timeout: 10 * time.Second}); err != nil {
				return nil, nil, fmt.Errorf("%w (run make build-local)", err)
			}
			// {} is rejected at once by every handler (no profile, no
			// records): it measures start-up, not AWS calls.
			if _, _, err := svc.Invoke(ctx, name, []byte(`{}`)); err != nil {
				return nil, nil, err
			}
			st, _ := svc.Stats(name)
			inits = append(inits, float64(st.LastInitDuration().Microseconds())/1000)
			if i == 0 {
				for j := 0; j < runs; j++ {
					if _, _, err := svc.Invoke(ctx, name, []byte(`{}`)); err != nil {
						return nil, nil, err
					}
				}
				st, _ = svc.Stats(name)
				for _, d := range st.WarmInvokeDurations {
					warms = append(warms, float64(d.Microseconds())/1000)
				}
			}
			if err := svc.DeleteFunction(name); err != nil {
				return nil, nil, err
			}
		}
		initMS[f.Name], warmMS[f.Name] = statOf(inits), statOf(warms)
	}
	return initMS, warmMS, nil
}

// localEmulator runs bin/ecprov local up with the orchestration, as a user
// does, and returns its URL and a stop function.
func localEmulator(waitScale float64, createDelay time.Duration) (string, int, func(), error) {
	dir, _ := os.MkdirTemp("", "ecprov-bench-")
	port := 4800 + os.Getpid()%100
	cmd := exec.Command("bin/ecprov", "local", "up", "--port", strconv.Itoa(port), "--data-dir", dir,
		"--wait-scale", strconv.FormatFloat(waitScale, 'f', -1, 64), "--create-delay", createDelay.String())
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, fmt.Errorf("%w (run make ecprov)", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening") {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			stop()
			return "", 0, nil, fmt.Errorf("ecprov local up exited before listening")
		}
	case <-time.After(60 * time.Second):
		stop()
		return "", 0, nil, fmt.Errorf("ecprov local up did not start within 60 s")
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port), cmd.Process.Pid, stop, nil
}

func sdk(url string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
}

// benchProfile is environments/dev.json renamed to env.
func benchProfile(env string) (*profile.Profile, []byte, error) {
	return testprofile.Dev(env, nil)
}

// runSM runs one state machine for a profile, as `ecprov provision` does.
func runSM(ctx context.Context, api *sfn.Client, name string, p *profile.Profile, raw []byte) (execution.Result, string, error) {
	arn, err := execution.Locate(ctx, api, nil, "ecprov", "", name)
	if err != nil {
		return execution.Result{}, "", err
	}
	input, _ := json.Marshal(map[string]json.RawMessage{"profile": raw})
	execARN, _, err := execution.StartOrFollow(ctx, api, arn, p.Environment, name+"-"+execution.NamePrefix(p), input, time.Now())
	if err != nil {
		return execution.Result{}, "", err
	}
	res, err := execution.Follow(ctx, api, execARN, io.Discard, 20*time.Millisecond)
	if err == nil && res.Status != "SUCCEEDED" {
		err = fmt.Errorf("%s %s: %s %s", name, res.Status, res.Error, res.Cause)
	}
	return res, execARN, err
}

// history returns every event of an execution.
func history(ctx context.Context, api *sfn.Client, arn string) ([]sfntypes.HistoryEvent, error) {
	var out []sfntypes.HistoryEvent
	var next *string
	for {
		h, err := api.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), NextToken: next, MaxResults: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, h.Events...)
		if aws.ToString(h.NextToken) == "" {
			return out, nil
		}
		next = h.NextToken
	}
}

// transitions counts billable state transitions: Step Functions bills each
// state entered (Standard workflows).
func transitions(events []sfntypes.HistoryEvent) int {
	n := 0
	for _, e := range events {
		if strings.HasSuffix(string(e.Type), "StateEntered") {
			n++
		}
	}
	return n
}

// orchestrationFigures: `ecprov provision --env dev` end to end through the
// CLI, kill -9 of the primary to the secret naming the new primary, and the
// state transitions of a provision and of a reconcile.
func orchestrationFigures(runs int) (map[string]any, error) {
	url, _, stop, err := localEmulator(0.01, 0)
	if err != nil {
		return nil, err
	}
	defer stop()
	ctx := context.Background()
	cfg := sdk(url)
	api := sfn.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	var provisionS, failoverS []float64
	var provTransitions, reconcileTransitions int
	env := append(os.Environ(), "AWS_ENDPOINT_URL="+url, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	for i := 0; i < runs; i++ {
		start := time.Now()
		cmd := exec.Command("bin/ecprov", "provision", "--env", "dev")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ecprov provision: %v\n%s", err, out)
		}
		provisionS = append(provisionS, time.Since(start).Seconds())

		p, raw, _ := benchProfile("dev")
		if i == 0 {
			// A re-run of the same profile: its transitions are the steady
			// cost of a provision.
			_, arn, err := runSM(ctx, api, "provision", p, raw)
			if err != nil {
				return nil, err
			}
			h, err := history(ctx, api, arn)
			if err != nil {
				return nil, err
			}
			provTransitions = transitions(h)
		}
		secret, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(p.SecretName)})
		if err != nil {
			return nil, err
		}
		var doc struct {
			CurrentPrimaryNode string `json:"currentPrimaryNode"`
		}
		_ = json.Unmarshal([]byte(aws.ToString(secret.SecretString)), &doc)
		pid, err := primaryPID(url, doc.CurrentPrimaryNode)
		if err != nil {
			return nil, err
		}
		killed := time.Now()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return nil, err
		}
		for {
			s, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(p.SecretName)})
			if err != nil {
				return nil, err
			}
			var now struct {
				CurrentPrimaryNode string `json:"currentPrimaryNode"`
			}
			_ = json.Unmarshal([]byte(aws.ToString(s.SecretString)), &now)
			if now.CurrentPrimaryNode != doc.CurrentPrimaryNode {
				break
			}
			if time.Since(killed) > 60*time.Second {
				return nil, fmt.Errorf("the secret did not follow the failover within 60 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		failoverS = append(failoverS, time.Since(killed).Seconds())
		if i == 0 {
			n, err := lastReconcileTransitions(ctx, api)
			if err != nil {
				return nil, err
			}
			reconcileTransitions = n
		}
		cmd = exec.Command("bin/ecprov", "teardown", "--env", "dev")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ecprov teardown: %v\n%s", err, out)
		}
		// The secret is only scheduled for deletion; the next provision
		// restores it, as it would on AWS.
	}
	const pricePerTransition = 0.000025 // Standard workflows, us-east-1
	return map[string]any{
		"provision_local_s":                   statOf(provisionS),
		"failover_to_secret_s":                statOf(failoverS),
		"transitions_per_provision":           provTransitions,
		"transitions_per_reconcile":           reconcileTransitions,
		"usd_per_provision":                   float64(provTransitions) * pricePerTransition,
		"usd_per_reconcile":                   float64(reconcileTransitions) * pricePerTransition,
		"usd_per_month_hourly_reconcile_1env": float64(reconcileTransitions) * pricePerTransition * 730,
	}, nil
}

func lastReconcileTransitions(ctx context.Context, api *sfn.Client) (int, error) {
	arn, err := execution.Locate(ctx, api, nil, "ecprov", "", "reconcile")
	if err != nil {
		return 0, err
	}
	for i := 0; i < 500; i++ {
		items, err := execution.Recent(ctx, api, arn, 50)
		if err != nil {
			return 0, err
		}
		for _, e := range items {
			if e.Status == sfntypes.ExecutionStatusSucceeded {
				h, err := history(ctx, api, aws.ToString(e.ExecutionArn))
				if err != nil {
					return 0, err
				}
				return transitions(h), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("no reconcile succeeded")
}

// primaryPID finds the redis-server of a member by its port.
func primaryPID(url, member string) (int, error) {
	cmd := exec.Command("aws", "elasticache", "describe-cache-clusters", "--cache-cluster-id", member, "--show-cache-node-info",
		"--query", "CacheClusters[0].CacheNodes[0].Endpoint.Port", "--output", "text", "--endpoint-url", url)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1")
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("find the port of %s: %w", member, err)
	}
	port := strings.TrimSpace(string(out))
	pg, err := exec.Command("pgrep", "-f", "redis-server 127.0.0.1:"+port+"$").Output()
	if err != nil {
		return 0, fmt.Errorf("no redis-server on port %s", port)
	}
	return strconv.Atoi(strings.Fields(string(pg))[0])
}

// pollingFigures simulates a 10-minute creation: the emulator holds the
// group in creating for 600 s x scale while Wait states run at the same
// scale, and the execution history tells how many DescribeReplicationGroups
// calls waitready made and how late it saw available.
func pollingFigures() (map[string]any, error) {
	const scale = 0.05
	const createS = 600.0
	url, _, stop, err := localEmulator(scale, time.Duration(createS*scale*float64(time.Second)))
	if err != nil {
		return nil, err
	}
	defer stop()
	ctx := context.Background()
	api := sfn.NewFromConfig(sdk(url))
	p, raw, err := benchProfile("poll")
	if err != nil {
		return nil, err
	}
	_, arn, err := runSM(ctx, api, "provision", p, raw)
	if err != nil {
		return nil, err
	}
	h, err := history(ctx, api, arn)
	if err != nil {
		return nil, err
	}
	var created, seen time.Time
	polls := 0
	for _, e := range h {
		if e.Type != sfntypes.HistoryEventTypeTaskStateExited {
			continue
		}
		name := aws.ToString(e.StateExitedEventDetails.Name)
		switch name {
		case "CreateCluster":
			created = aws.ToTime(e.Timestamp)
		case "WaitCheck":
			polls++
			var out struct {
				Ready struct {
					Ready bool `json:"ready"`
				} `json:"ready"`
			}
			_ = json.Unmarshal([]byte(aws.ToString(e.StateExitedEventDetails.Output)), &out)
			if out.Ready.Ready {
				seen = aws.ToTime(e.Timestamp)
			}
		}
	}
	if created.IsZero() || seen.IsZero() {
		return nil, fmt.Errorf("the history has no CreateCluster or ready WaitCheck")
	}
	detect := seen.Sub(created).Seconds()/scale - createS
	return map[string]any{
		"polls_per_10min_create":                 polls,
		"transitions_per_provision_10min_create": transitions(h),
		"detect_delay_s":                         round(detect),
		"scale":                                  scale,
	}, nil
}

// scaleProvision provisions n environments at once through the state
// machine on one `ecprov local up`, and reads the peak memory.
func scaleProvision(n int) (map[string]any, error) {
	url, pid, stop, err := localEmulator(0.01, 0)
	if err != nil {
		return nil, err
	}
	defer stop()
	ctx := context.Background()
	api := sfn.NewFromConfig(sdk(url))
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, raw, err := benchProfile(fmt.Sprintf("scale-%02d", i))
			if err == nil {
				_, _, err = runSM(ctx, api, "provision", p, raw)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	total := treeRSS(pid)
	return map[string]any{
		"environments": n, "wall_s": round(wall), "errors": len(errs), "error_samples": errs,
		"emulator_peak_rss_mb": round(float64(rss(pid, "VmHWM")) / 1024),
		"all_processes_rss_mb": round(float64(total) / 1024),
	}, nil
}

// treeRSS sums VmRSS (kB) over a process and all its descendants: redis,
// the Lambda runtimes, Node.
func treeRSS(root int) int64 {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		if len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], pid)
		}
	}
	var sum int64
	var walk func(int)
	walk = func(p int) {
		sum += rss(p, "VmRSS")
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(root)
	return sum
}

// demoSeconds times `make demo` once.
func demoSeconds() (float64, error) {
	start := time.Now()
	cmd := exec.Command("make", "demo")
	cmd.Env = append(os.Environ(), "ECPROV_DEMO_PORT=4567")
	if out, err := cmd.CombinedOutput(); err != nil {
		tail := string(out)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return 0, fmt.Errorf("make demo: %v\n%s", err, tail)
	}
	return round(time.Since(start).Seconds()), nil
}

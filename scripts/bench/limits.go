package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ecprov/ecprov/emulator/server"
)

// maximal is one protocol's largest request: a valid envelope padded to the
// router's body limit for that service, so the emulator reads and decodes
// all of it.
type maximal struct {
	name, service, path, contentType string
	header                           map[string]string
	prefix, suffix                   string
}

var maximalRequests = []maximal{
	{name: "Query (ElastiCache)", service: "elasticache", path: "/", contentType: "application/x-www-form-urlencoded",
		prefix: "Action=DescribeReplicationGroups&Version=2015-02-02&Marker="},
	{name: "JSON 1.1 (Secrets Manager)", service: "secretsmanager", path: "/", contentType: "application/x-amz-json-1.1",
		header: map[string]string{"X-Amz-Target": "secretsmanager.ListSecrets"}, prefix: `{"NextToken":"`, suffix: `"}`},
	{name: "RPC v2 CBOR (CloudWatch)", service: "monitoring", path: "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
		contentType: "application/cbor", header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}},
	{name: "REST JSON (Lambda CreateFunction)", service: "lambda", path: "/2015-03-31/functions", contentType: "application/json",
		prefix: `{"FunctionName":"bench-big","Role":"arn:aws:iam::000000000000:role/x","Runtime":"provided.al2023","Handler":"bootstrap","Code":{"ZipFile":"`, suffix: `"}}`},
}

// bodyReader streams prefix, padding and suffix up to size bytes without
// holding them, so that 50 requests of 70 MB cost the client nothing.
func bodyReader(m maximal, size int64) io.Reader {
	pad := size - int64(len(m.prefix)+len(m.suffix))
	return io.MultiReader(strings.NewReader(m.prefix), io.LimitReader(repeat('A'), pad), strings.NewReader(m.suffix))
}

type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// limitsUnderLoad runs `ecprov local up` (with orchestration, so Lambda is
// served) and sends, per protocol, n concurrent requests of the largest size
// the router takes for it, then reads the emulator's peak RSS.
func limitsUnderLoad(n int) (map[string]any, error) {
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
	if err := waitHealthy(url, 60*time.Second); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid
	out := map[string]any{"concurrent": n, "emulator_rss_idle_mb": mb(rss(pid, "VmRSS"))}
	var rows []map[string]any
	for _, m := range maximalRequests {
		size := server.BodyLimit(m.service)
		start := time.Now()
		statuses := sendConcurrently(url, m, size, n)
		rows = append(rows, map[string]any{
			"protocol": m.name, "body_bytes": size, "wall_s": round(time.Since(start).Seconds()),
			"statuses": statuses, "peak_rss_mb": mb(rss(pid, "VmHWM")),
		})
	}
	out["rows"] = rows
	out["emulator_peak_rss_mb"] = mb(rss(pid, "VmHWM"))
	return out, nil
}

func mb(kb int64) float64 { return round(float64(kb) / 1024) }

// sendConcurrently sends n copies of m at once and counts the answers by
// status ("err" for a failed request).
func sendConcurrently(url string, m maximal, size int64, n int) map[string]int {
	var mu sync.Mutex
	statuses := map[string]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			key := "err"
			req, err := http.NewRequest(http.MethodPost, url+m.path, bodyReader(m, size))
			if err == nil {
				req.ContentLength = size
				req.Header.Set("Content-Type", m.contentType)
				req.Header.Set("Authorization", server.DummyAuthorization(m.service))
				for k, v := range m.header {
					req.Header.Set(k, v)
				}
				if resp, err := http.DefaultClient.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					key = strconv.Itoa(resp.StatusCode)
				}
			}
			mu.Lock()
			statuses[key]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return statuses
}

func waitHealthy(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get(url + "/_emulator/health"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte(`"lambda"`)) {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("emulator at %s not ready within %s", url, timeout)
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/emulator"
)

// TestCommandsOnTheEmulator drives the CLI as a user does: provision, status,
// failover and teardown of dev against an emulator with the orchestration
// deployed (needs make build-local and node_modules, as make test provides).
func TestCommandsOnTheEmulator(t *testing.T) {
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, "dist/host/createcluster/bootstrap")); err != nil {
		t.Fatalf("run `make build-local` first (make test does): %v", err)
	}
	emu, err := emulator.New(emulator.Options{
		DataDir: t.TempDir(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Orchestration: &emulator.Orchestration{Root: root, WaitScale: 0.01},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_PROFILE", "")
	cli := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		args = append(args, "--env", "dev", "--profiles-dir", "../../environments", "--endpoint-url", emu.URL())
		code := run(args, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := cli("provision")
	if code != exitOK || !strings.Contains(out, "provision dev succeeded") || !strings.Contains(out, "primary endpoint   127.0.0.1:") ||
		!strings.Contains(out, "alarms             6") || !strings.Contains(out, "action             created") {
		t.Fatalf("provision: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, step := range []string{"CreateCluster", "WaitCheck", "PublishSecret", "Alarms", "NotifyProvisioned"} {
		if !strings.Contains(out, step) {
			t.Errorf("provision progress does not show %s:\n%s", step, out)
		}
	}

	code, out, _ = cli("status", "--output", "json")
	var st map[string]any
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || st["status"] != "available" {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	if sec, _ := st["secret"].(map[string]any); sec == nil || sec["versions"] != float64(1) {
		t.Errorf("status secret = %v", st["secret"])
	}

	code, out, errOut = cli("failover", "--wait", "60s")
	if code != exitOK || !strings.Contains(out, "primary is now audio-pipeline-dev-002") {
		t.Fatalf("failover: exit %d\n%s\n%s", code, out, errOut)
	}

	code, out, _ = cli("status")
	if code != exitOK || !strings.Contains(out, "audio-pipeline-dev-002   primary") || !strings.Contains(out, "(2 versions)") {
		t.Fatalf("status after failover:\n%s", out)
	}

	code, out, errOut = cli("teardown", "--output", "json")
	var td map[string]any
	if code != exitOK || json.Unmarshal([]byte(out), &td) != nil || !strings.HasPrefix(td["finalSnapshot"].(string), "audio-pipeline-dev-final-") {
		t.Fatalf("teardown: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = cli("status")
	if code != exitOK || !strings.Contains(out, "replication group  audio-pipeline-dev: ") || !strings.Contains(out, "scheduled for deletion") {
		t.Fatalf("status after teardown:\n%s", out)
	}
}

func TestProvisionReportsTheErrorName(t *testing.T) {
	root, _ := filepath.Abs("../..")
	emu, err := emulator.New(emulator.Options{
		DataDir: t.TempDir(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Orchestration: &emulator.Orchestration{Root: root, WaitScale: 0.01},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	data, _ := os.ReadFile("../../environments/dev.json")
	bad := strings.Replace(string(data), `"sg-0ec000000000c0001"`, `"sg-0ec000000000f0001"`, 1)
	path := filepath.Join(t.TempDir(), "dev.json")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run([]string{"provision", "--profile", path, "--endpoint-url", emu.URL()}, &out, &errOut)
	if code != exitFailure || !strings.Contains(errOut.String(), "NetworkCheckFailed") || !strings.Contains(errOut.String(), "0.0.0.0/0") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
}

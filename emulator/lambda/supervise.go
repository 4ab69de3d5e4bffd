package lambda

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed" // the supervisor's source
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// supervisorSource is supervisor/main.go: the small program between the
// emulator and each aws-lambda-rie that ends the instance's whole process
// tree when the RIE or the emulator dies (see its package comment).
//
//go:embed supervisor/main.go
var supervisorSource []byte

// SupervisorName is the file name EnsureSupervisor builds: it changes with
// the source, so a data dir never runs an old build.
func SupervisorName() string {
	sum := sha256.Sum256(supervisorSource)
	return "lambda-supervisor-" + hex.EncodeToString(sum[:6])
}

// EnsureSupervisor returns the path of the supervisor binary at path,
// building it from the embedded source with the Go toolchain when it is
// missing. It needs only the standard library, so it builds the same inside
// and outside the ecprov repository.
func EnsureSupervisor(ctx context.Context, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return abs, nil
	}
	// One build per process: emulators in one process (test lanes) each
	// have a data dir, and a link costs nothing where a build costs a second.
	builtMu.Lock()
	defer builtMu.Unlock()
	if built != "" {
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return "", err
		}
		if err := os.Link(built, abs); err == nil || os.IsExist(err) {
			return abs, nil
		}
	}
	if err := buildSupervisor(ctx, abs); err != nil {
		return "", err
	}
	built = abs
	return abs, nil
}

var (
	builtMu sync.Mutex
	built   string // the first supervisor this process built
)

func buildSupervisor(ctx context.Context, abs string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the Lambda supervisor is not at %s and there is no Go toolchain to build it: install Go", abs)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return err
	}
	// Build beside the target and rename, so that concurrent builders (two
	// emulators) never see a half-written binary.
	tmpDir, err := os.MkdirTemp(filepath.Dir(abs), ".supervisor-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmpDir)
	files := map[string][]byte{
		"main.go": supervisorSource,
		"go.mod":  []byte("module supervisor\n\ngo 1.22\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(tmpDir, name), b, 0o600); err != nil {
			return err
		}
	}
	bin := filepath.Join(tmpDir, "supervisor")
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = tmpDir
	// Hermetic: no workspace, no flags or toolchain switch from the caller's
	// environment, no cgo.
	cmd.Env = append(cmd.Environ(), "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the Lambda supervisor (%s): %w\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	return os.Rename(bin, abs)
}

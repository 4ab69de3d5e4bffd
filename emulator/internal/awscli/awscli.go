// Package awscli runs the AWS CLI against an emulator in tests, to check
// that botocore (a client other than the Go SDK) reads its answers.
package awscli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Require skips the test when the aws command is not installed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
}

// Command is the aws command with args against endpoint, in us-east-1 with
// JSON output, dummy credentials and no retries; the user's configuration
// and environment do not reach it.
func Command(endpoint string, args ...string) *exec.Cmd {
	cmd := exec.Command("aws", append([]string{"--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_SESSION_TOKEN=",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_MAX_ATTEMPTS=1", "AWS_PAGER=", "AWS_ENDPOINT_URL=")
	return cmd
}

// Run runs the AWS CLI against endpoint and returns its parsed JSON output
// (nil when it printed nothing), its stderr and exit code.
func Run(t testing.TB, endpoint string, args ...string) (map[string]any, string, int) {
	t.Helper()
	cmd := Command(endpoint, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("aws %v: %v", args, err)
	}
	var out map[string]any
	if s := bytes.TrimSpace(stdout.Bytes()); len(s) > 0 {
		if err := json.Unmarshal(s, &out); err != nil {
			t.Fatalf("aws %v: output is not JSON: %v\n%s", args, err, s)
		}
	}
	return out, strings.TrimSpace(stderr.String()), code
}

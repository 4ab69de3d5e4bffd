package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateShippedProfiles(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		var out, errOut bytes.Buffer
		code := run([]string{"validate", "--env", env, "--profiles-dir", "../../environments", "--output", "json"}, &out, &errOut)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", env, code, errOut.String())
		}
		var resolved map[string]any
		if err := json.Unmarshal(out.Bytes(), &resolved); err != nil {
			t.Fatalf("%s: output is not JSON: %v", env, err)
		}
		if resolved["parameterGroupName"] != "audio-pipeline-"+env+"-redis7" {
			t.Errorf("%s: defaults not filled in: parameterGroupName = %v", env, resolved["parameterGroupName"])
		}
	}
}

func TestValidateBrokenProfileListsEveryProblemAndExits2(t *testing.T) {
	data, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.NewReplacer(
		`"window": "03:00-04:00"`, `"window": "03:00-03:30"`,
		`"nodeType": "cache.t4g.micro"`, `"nodeType": "cache.t4g.huge"`,
		`"secretRecoveryWindowDays": 7`, `"secretRecoveryWindowDays": 3`,
	).Replace(string(data))
	path := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"validate", "--profile", path}, &out, &errOut); code != exitBadInput {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"3 problems", "snapshot.window", "nodeType", "secretRecoveryWindowDays"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if out.Len() != 0 {
		t.Errorf("stdout not empty on failure: %s", out.String())
	}
}

func TestValidateUsageErrors(t *testing.T) {
	cases := [][]string{
		{"validate"},
		{"validate", "--env", "qa", "--profiles-dir", "../../environments"},
		{"validate", "--env", "dev", "--profile", "x.json"},
		{"nonsense"},
	}
	for _, args := range cases {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != exitBadInput || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

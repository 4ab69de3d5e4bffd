package main

import (
	"encoding/json"
	"os/exec"
	"testing"
)

func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint)")
	}
	for _, name := range bothStacks {
		s := synth(t, name)
		out, err := exec.Command(bin, "--format", "json", "--", s.file).Output()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode()&1 != 0 { // 1: cfn-lint itself failed
			t.Fatalf("%s: cfn-lint failed: %s", name, ee.Stderr)
		} else if err != nil && !ok {
			t.Fatalf("%s: cfn-lint: %v", name, err)
		}
		var findings []struct {
			Level   string `json:"Level"`
			Message string `json:"Message"`
			Rule    struct {
				ID string `json:"Id"`
			} `json:"Rule"`
			Location struct {
				Path []any `json:"Path"`
			} `json:"Location"`
		}
		if err := json.Unmarshal(out, &findings); err != nil {
			t.Fatalf("%s: cfn-lint output: %v\n%s", name, err, out)
		}
		for _, f := range findings {
			if f.Level != "Error" {
				t.Logf("%s: cfn-lint %s %s: %s", name, f.Level, f.Rule.ID, f.Message)
				continue
			}
			t.Errorf("%s: cfn-lint %s: %s at %v", name, f.Rule.ID, f.Message, f.Location.Path)
		}
	}
}

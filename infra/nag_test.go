package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cdk-nag's AwsSolutions pack runs as an aspect during synth; what it does
// not accept is an error annotation on the stack.
func TestNagAwsSolutions(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		for _, e := range s.errors {
			t.Errorf("%s: %s", name, e)
		}
		for _, w := range s.warnings {
			if strings.Contains(w, "AwsSolutions-") {
				t.Errorf("%s: cdk-nag warning: %s", name, w)
			}
		}
	}
}

// Every suppression says why, and every suppression is used: a finding it
// no longer matches is a stale exception that should go.
func TestNagSuppressionsHaveReasons(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		suppressed := nagReport(t, name)
		count := 0
		for id, r := range s.template["Resources"].(map[string]any) {
			meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := meta["cdk_nag"].(map[string]any)
			for _, sup := range list(nag["rules_to_suppress"]) {
				m := sup.(map[string]any)
				count++
				rule, _ := m["id"].(string)
				reason, _ := m["reason"].(string)
				if len(strings.Fields(reason)) < 8 {
					t.Errorf("%s %s: suppression of %s needs a reason a reviewer can check, got %q", name, id, rule, reason)
				}
				if !suppressed[rule] {
					t.Errorf("%s %s: suppression of %s matches no finding; remove it", name, id, rule)
				}
			}
		}
		if count == 0 {
			t.Errorf("%s: no cdk-nag suppressions found; the metadata moved?", name)
		}
	}
}

// nagReport reads the rule ids cdk-nag reported as suppressed for a stack.
func nagReport(t *testing.T, stack string) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(outdir, "AwsSolutions-*NagReport.csv"))
	out := map[string]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, row := range rows[1:] { // Rule ID, Resource ID, Compliance, ...
			if len(row) > 2 && strings.HasPrefix(row[1], stack+"/") && row[2] == "Suppressed" {
				out[row[0]] = true
			}
		}
	}
	if len(files) == 0 {
		t.Fatalf("no cdk-nag report in %s", outdir)
	}
	return out
}

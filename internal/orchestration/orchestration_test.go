package orchestration

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestEveryFunctionDirectoryIsDeclaredAndViceVersa(t *testing.T) {
	entries, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	var dirs, declared []string
	for _, e := range entries {
		dirs = append(dirs, e.Name())
	}
	for _, f := range Functions {
		declared = append(declared, f.Name)
	}
	slices.Sort(dirs)
	slices.Sort(declared)
	if !slices.Equal(dirs, declared) {
		t.Fatalf("functions/ has %v, orchestration declares %v", dirs, declared)
	}
}

func TestDefinitionsRenderAndEveryTaskIsGuarded(t *testing.T) {
	subs := Substitutions(func(fn string) string { return "arn:aws:lambda:us-east-1:000000000000:function:ecprov-" + fn }, "ecprov")
	for _, sm := range StateMachines {
		def, err := ReadDefinition("../..", sm)
		if err != nil {
			t.Fatal(err)
		}
		rendered, err := Render(def, subs)
		if err != nil {
			t.Fatalf("%s: %v", sm.Name, err)
		}
		if strings.Contains(rendered, "${") {
			t.Fatalf("%s: placeholder left after rendering", sm.Name)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(rendered), &doc); err != nil {
			t.Fatalf("%s: not JSON: %v", sm.Name, err)
		}
		checkStates(t, sm.Name, doc["States"].(map[string]any))
	}
}

// checkStates: every Task retries the transient errors (Lambda service errors
// and RetryableAWSError); every Task but the resolvers catches into the
// failure path.
func checkStates(t *testing.T, where string, states map[string]any) {
	for name, raw := range states {
		s := raw.(map[string]any)
		if it, ok := s["Iterator"].(map[string]any); ok {
			checkStates(t, where+"/"+name, it["States"].(map[string]any))
		}
		if s["Type"] != "Task" {
			continue
		}
		retry, _ := json.Marshal(s["Retry"])
		for _, e := range []string{"Lambda.ServiceException", "Lambda.TooManyRequestsException", "RetryableAWSError"} {
			if !strings.Contains(string(retry), e) {
				t.Errorf("%s/%s does not retry %s", where, name, e)
			}
		}
		if !strings.Contains(string(retry), `"JitterStrategy":"FULL"`) {
			t.Errorf("%s/%s retries without jitter", where, name)
		}
		if _, ok := s["Catch"]; !ok && !strings.HasPrefix(name, "Resolve") {
			t.Errorf("%s/%s has no Catch", where, name)
		}
	}
}

func TestRenderNamesEveryMissingPlaceholder(t *testing.T) {
	_, err := Render(`{"A": "${One}", "B": "${Two}", "C": "${Three}"}`, map[string]string{"Two": "2"})
	if err == nil || !strings.Contains(err.Error(), "${One}, ${Three}") {
		t.Fatalf("Render with two missing placeholders: %v", err)
	}
	// A value is not scanned again: CDK tokens look like placeholders.
	got, err := Render("arn:${Partition}:x", map[string]string{"Partition": "${Token[AWS.Partition.1]}"})
	if err != nil || got != "arn:${Token[AWS.Partition.1]}:x" {
		t.Fatalf("Render = %q, %v", got, err)
	}
}

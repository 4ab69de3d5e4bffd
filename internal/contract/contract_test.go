package contract

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecprov/ecprov/internal/orchestration"
	"github.com/ecprov/ecprov/internal/readiness"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

// passContracts ties Pass states to Go types. A state inside a Map is
// named "<Map>/<state>"; key, when set, is the one key of the state's
// object that the type describes. output is the state whose OutputPath
// returns the Pass state's result (the execution's or the Map
// iteration's output), "" when nothing returns it.
var passContracts = []struct {
	file, state, key string
	typ              reflect.Type
	output           string
}{
	{"provision.asl.json", "Outputs", "", reflect.TypeFor[ProvisionOutputs](), "Provisioned"},
	{"teardown.asl.json", "Outputs", "", reflect.TypeFor[TeardownOutputs](), "TornDown"},
	{"reconcile.asl.json", "EachGroup/Summary", "", reflect.TypeFor[ReconcileSummary](), "EachGroup/Reconciled"},
	// Every wait starts waitready's poll at zero (readiness.Input.Poll).
	{"provision.asl.json", "WaitInit", "poll", reflect.TypeFor[readiness.Poll](), ""},
	{"reconcile.asl.json", "EachGroup/WaitInit", "poll", reflect.TypeFor[readiness.Poll](), ""},
	{"teardown.asl.json", "GoneInit", "poll", reflect.TypeFor[readiness.Poll](), ""},
}

// notContracts are the Pass states with keys that no Go type reads, and
// why. A new Pass state with Parameters or a Result must be in one of the
// two lists.
var notContracts = map[string]string{
	"provision.asl.json/WaitTimedOut":           "Step Functions' error shape {Error, Cause}, read by NotifyFailure in the ASL",
	"reconcile.asl.json/EachGroup/WaitTimedOut": "Step Functions' error shape {Error, Cause}, read by NotifyFailure in the ASL",
	"teardown.asl.json/WaitTimedOut":            "Step Functions' error shape {Error, Cause}, read by NotifyFailure in the ASL",
	"reconcile.asl.json/GivenProfile":           "profilestore.Output's profiles list for the EachGroup Map, made from a given profile",
}

func TestPassStatesMatchTheirTypes(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range passContracts {
		where := c.file + "/" + c.state
		seen[where] = true
		states := readStates(t, c.file)
		st, ok := states[c.state]
		if !ok {
			t.Errorf("%s: no such Pass state", where)
			continue
		}
		obj := passObject(st)
		if c.key != "" {
			obj, _ = obj[c.key].(map[string]any)
		}
		if obj == nil {
			t.Errorf("%s: no object to compare with %s", where, c.typ)
			continue
		}
		compareKeys(t, where, obj, c.typ)
		if c.output != "" {
			if out, _ := states[c.output]["OutputPath"].(string); out == "" || out != st["ResultPath"] {
				t.Errorf("%s returns %v, but %s puts %s at %v", c.output, states[c.output]["OutputPath"], where, c.typ, st["ResultPath"])
			}
		}
	}
	for _, file := range []string{"provision.asl.json", "reconcile.asl.json", "teardown.asl.json"} {
		for name, st := range readStates(t, file) {
			where := file + "/" + name
			if st["Type"] == "Pass" && passObject(st) != nil && !seen[where] && notContracts[where] == "" {
				t.Errorf("%s: a Pass state with keys that is neither in passContracts nor in notContracts", where)
			}
		}
	}
}

// compareKeys fails on every key the ASL object has and the type has not,
// and the other way round, into nested objects.
func compareKeys(t *testing.T, where string, obj map[string]any, typ reflect.Type) {
	t.Helper()
	fields := jsonFields(typ)
	for k, v := range obj {
		name := strings.TrimSuffix(k, ".$")
		f, ok := fields[name]
		if !ok {
			t.Errorf("%s: the ASL has %q, %s has no such JSON tag", where, name, typ)
			continue
		}
		if nested, isObj := v.(map[string]any); isObj && f.Kind() == reflect.Struct {
			compareKeys(t, where+"."+name, nested, f)
		}
	}
	for name := range fields {
		if _, ok := obj[name]; !ok {
			if _, ok := obj[name+".$"]; !ok {
				t.Errorf("%s: %s has JSON tag %q, the ASL has no such key", where, typ, name)
			}
		}
	}
}

// jsonFields are a struct's JSON names and their types.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// passObject is a Pass state's Parameters, or else its Result object.
func passObject(st map[string]any) map[string]any {
	if p, ok := st["Parameters"].(map[string]any); ok {
		return p
	}
	r, _ := st["Result"].(map[string]any)
	return r
}

// readStates reads a state machine's states, those of its Maps as
// "<Map>/<state>".
func readStates(t *testing.T, file string) map[string]map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "statemachine", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		States map[string]map[string]any
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[string]map[string]any{}
	var walk func(prefix string, states map[string]map[string]any)
	walk = func(prefix string, states map[string]map[string]any) {
		for name, st := range states {
			out[prefix+name] = st
			for _, k := range []string{"Iterator", "ItemProcessor"} {
				if inner, ok := st[k].(map[string]any); ok {
					raw, _ := json.Marshal(inner["States"])
					var nested map[string]map[string]any
					if json.Unmarshal(raw, &nested) == nil {
						walk(prefix+name+"/", nested)
					}
				}
			}
		}
	}
	walk("", doc.States)
	return out
}

// transformerVar is an input template's <name>.
var transformerVar = regexp.MustCompile(`<[A-Za-z0-9_.-]+>`)

// What each rule sends reconcile is a ReconcileInput, and the keys
// reconcile's first Choice reads are ReconcileInput's.
func TestRulesSendReconcileInput(t *testing.T) {
	for _, r := range orchestration.Rules {
		input := r.Target.ConstantInput
		if r.Target.InputTemplate != "" {
			input = transformerVar.ReplaceAllString(r.Target.InputTemplate, `"x"`)
		}
		dec := json.NewDecoder(strings.NewReader(input))
		dec.DisallowUnknownFields()
		var in ReconcileInput
		if err := dec.Decode(&in); err != nil {
			t.Errorf("rule %s sends %s: %v", r.Suffix, input, err)
		}
		if in.Trigger == "" {
			t.Errorf("rule %s sends no trigger", r.Suffix)
		}
	}
	fields := jsonFields(reflect.TypeFor[ReconcileInput]())
	choice, _ := json.Marshal(readStates(t, "reconcile.asl.json")["Which?"])
	vars := regexp.MustCompile(`"Variable":"\$\.([A-Za-z]+)"`).FindAllStringSubmatch(string(choice), -1)
	if len(vars) == 0 {
		t.Fatal("reconcile's Which? Choice reads no input key")
	}
	for _, m := range vars {
		if _, ok := fields[m[1]]; !ok {
			t.Errorf("reconcile's Which? reads $.%s, which ReconcileInput has not", m[1])
		}
	}
}

// The status JSON: sorted keys as before, and "not found" for a missing
// secret.
func TestStatusViewJSON(t *testing.T) {
	deleted := time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)
	views := []struct {
		view StatusView
		want string
	}{
		{StatusView{
			Alarms: map[string]string{}, Environment: "dev", RecentExecutions: map[string][]string{"provision": {"x"}},
			ReplicationGroupID: "g", Status: "available", Topology: &replicationgroup.Topology{Members: []replicationgroup.Member{}},
			Secret: SecretView{Found: true, ARN: "arn:s", CurrentVersion: "v1", Versions: 2, ScheduledForDeletion: &deleted},
		}, `{"alarms":{},"environment":"dev","recentExecutions":{"provision":["x"]},"replicationGroupId":"g",` +
			`"secret":{"arn":"arn:s","currentVersion":"v1","scheduledForDeletion":"2026-03-01T04:00:00Z","versions":2},` +
			`"status":"available","topology":{"members":[],"tls":false}}`},
		{StatusView{Environment: "dev", Group: "not found", RecentExecutions: map[string][]string{}, ReplicationGroupID: "g"},
			`{"environment":"dev","group":"not found","recentExecutions":{},"replicationGroupId":"g","secret":"not found"}`},
	}
	for _, v := range views {
		data, err := json.Marshal(v.view)
		if err != nil || string(data) != v.want {
			t.Errorf("StatusView JSON:\n got %s (%v)\nwant %s", data, err, v.want)
		}
		var back StatusView
		if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, v.view) {
			t.Errorf("StatusView round trip: %+v, %v", back, err)
		}
	}
}

// The CLI prints teardown's outputs as JSON with the keys sorted, as
// when it printed a map.
func TestTeardownOutputsKeysAreSorted(t *testing.T) {
	data, err := json.Marshal(TeardownOutputs{Deleted: TeardownSteps{Alarms: []string{"a"}}, FinalSnapshot: "g-final"})
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	sorted, _ := json.Marshal(generic) // a map's keys come out sorted
	if !bytes.Equal(sorted, data) {
		t.Errorf("TeardownOutputs JSON keys are not sorted:\n got %s\nwant %s", data, sorted)
	}
}

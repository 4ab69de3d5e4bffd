package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The stacks the tests synthesize, once per test binary: jsii start-up and
// a synth cost seconds, the assertions on the result milliseconds.
const (
	defaultStack = "ecprov"        // DefaultConfig: what `make synth` builds
	variantStack = "acme-payments" // every context option changed
)

func variantConfig(root string) Config {
	return Config{
		StackName:   variantStack,
		Prefix:      "acme",
		Project:     "payments",
		Environment: "prod",
		AlarmTopic:  true,
		KMSKeyARNs:  []string{"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		Root:        root,
	}
}

// synthesized is one stack as `cdk synth` writes it.
type synthesized struct {
	cfg      Config
	file     string         // <outdir>/<stack>.template.json
	template map[string]any // the template, parsed
	assert   assertions.Template
	// messages are the stack's error and warning annotations (cdk-nag
	// findings among them), as "path: message".
	errors, warnings []string
}

var (
	synthOnce sync.Once
	synthErr  error
	outdir    string
	stacks    map[string]*synthesized
)

func TestMain(m *testing.M) {
	useProjectNode()
	code := m.Run()
	jsii.Close()
	if outdir != "" {
		os.RemoveAll(outdir)
	}
	os.Exit(code)
}

// useProjectNode makes jsii run the Node 22 of node_modules, as the CDK CLI
// does (scripts/cdk.sh), whatever `node` is first on PATH. jsii reads
// JSII_NODE when its client is created, which the packages' init functions
// already did; closing that client, whose process has not started yet,
// makes the first real call create one that reads JSII_NODE.
func useProjectNode() {
	if os.Getenv("JSII_NODE") != "" {
		return
	}
	root, err := FindRoot(".")
	if err != nil {
		return
	}
	if node := filepath.Join(root, "node_modules", ".bin", "node"); isFile(node) {
		os.Setenv("JSII_NODE", node)
		jsii.Close()
	}
}

// synth returns the synthesized stack, synthesizing both on first use.
func synth(t *testing.T, name string) *synthesized {
	t.Helper()
	synthOnce.Do(func() { synthErr = synthesizeAll() })
	if synthErr != nil {
		t.Fatalf("synth: %v", synthErr)
	}
	return stacks[name]
}

func synthesizeAll() error {
	root, err := FindRoot(".")
	if err != nil {
		return err
	}
	if outdir, err = os.MkdirTemp("", "ecprov-cdk-test-"); err != nil {
		return err
	}
	// cdk.json's context (feature flags) makes the same template as `make synth`.
	ctx, err := cdkJSONContext(root)
	if err != nil {
		return err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	cfgs := []Config{DefaultConfig(root), variantConfig(root)}
	for _, cfg := range cfgs {
		if _, err := NewStack(app, cfg, nil); err != nil {
			return fmt.Errorf("stack %s: %w", cfg.StackName, err)
		}
	}
	AddChecks(app)
	app.Synth(nil)

	stacks = map[string]*synthesized{}
	for _, cfg := range cfgs {
		s := &synthesized{cfg: cfg, file: filepath.Join(outdir, cfg.StackName+".template.json")}
		if err := readJSON(s.file, &s.template); err != nil {
			return err
		}
		s.assert = assertions.Template_FromJSON(&s.template, nil)
		if err := s.readMessages(); err != nil {
			return err
		}
		stacks[cfg.StackName] = s
	}
	return nil
}

func cdkJSONContext(root string) (map[string]any, error) {
	var cdkJSON struct {
		Context map[string]any `json:"context"`
	}
	if err := readJSON(filepath.Join(root, "cdk.json"), &cdkJSON); err != nil {
		return nil, err
	}
	if cdkJSON.Context == nil {
		cdkJSON.Context = map[string]any{}
	}
	return cdkJSON.Context, nil
}

// readMessages collects the annotations the synth recorded for the stack:
// in <stack>.metadata.json when the CDK writes one, else in manifest.json.
func (s *synthesized) readMessages() error {
	var meta map[string][]struct {
		Type string `json:"type"`
		Data any    `json:"data"`
	}
	if err := readJSON(filepath.Join(outdir, s.cfg.StackName+".metadata.json"), &meta); err != nil {
		if !os.IsNotExist(err) {
			return err
		}
		var manifest struct {
			Artifacts map[string]struct {
				Metadata map[string][]struct {
					Type string `json:"type"`
					Data any    `json:"data"`
				} `json:"metadata"`
			} `json:"artifacts"`
		}
		if err := readJSON(filepath.Join(outdir, "manifest.json"), &manifest); err != nil {
			return err
		}
		meta = manifest.Artifacts[s.cfg.StackName].Metadata
	}
	for path, entries := range meta {
		for _, e := range entries {
			msg := fmt.Sprintf("%s: %v", path, e.Data)
			switch e.Type {
			case "aws:cdk:error":
				s.errors = append(s.errors, msg)
			case "aws:cdk:warning":
				s.warnings = append(s.warnings, msg)
			}
		}
	}
	return nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// check runs a CDK assertion, which panics (a jsii error) when it fails.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

// resources returns the template's resources of one type, by logical id.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.template["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			props, _ := res["Properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
			}
			out[id] = props
		}
	}
	return out
}

// logicalID finds the one resource of typ whose property prop is value.
func (s *synthesized) logicalID(t *testing.T, typ, prop string, value any) string {
	t.Helper()
	var found []string
	for id, props := range s.resources(typ) {
		if fmt.Sprint(props[prop]) == fmt.Sprint(value) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s with %s=%v: found %v, want exactly one", typ, prop, value, found)
	}
	return found[0]
}

func ref(id string) map[string]any    { return map[string]any{"Ref": id} }
func getAtt(id string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, "Arn"}} }

// flat renders an intrinsic-function value as one string, e.g.
// {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ...]]} as
// "arn:${AWS::Partition}:...", so that policies can be read as text.
func flat(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			parts, _ := j[1].([]any)
			out := ""
			for i, p := range parts {
				if i > 0 {
					out += j[0].(string)
				}
				out += flat(p)
			}
			return out
		}
		if r, ok := x["Ref"].(string); ok {
			return "${" + r + "}"
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok && len(g) == 2 {
			return fmt.Sprintf("${%v.%v}", g[0], g[1])
		}
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// list turns a policy's "string or list" field into a list.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

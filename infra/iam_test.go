package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/internal/orchestration"
)

// anyResourceAllowed lists the mutating actions that may have Resource "*",
// each with the reason AWS leaves no narrower choice. CDK adds them for
// state machine logging and tracing.
var anyResourceAllowed = map[string]string{
	"logs:CreateLogDelivery":   "CloudWatch Logs vended log delivery (Step Functions logging) supports only Resource *",
	"logs:UpdateLogDelivery":   "CloudWatch Logs vended log delivery (Step Functions logging) supports only Resource *",
	"logs:DeleteLogDelivery":   "CloudWatch Logs vended log delivery (Step Functions logging) supports only Resource *",
	"logs:PutResourcePolicy":   "Step Functions logging writes the log group's resource policy; the action supports only Resource *",
	"xray:PutTraceSegments":    "X-Ray does not support resource-level permissions",
	"xray:PutTelemetryRecords": "X-Ray does not support resource-level permissions",
}

type statement struct {
	where      string // "<logical id>"
	effect     string
	actions    []string
	resources  []string
	principal  any
	conditions map[string]map[string]string // flattened values
}

// policyStatements reads a policy document's statements.
func policyStatements(where string, doc any) []statement {
	var out []statement
	d, _ := doc.(map[string]any)
	for _, st := range list(d["Statement"]) {
		m := st.(map[string]any)
		stmt := statement{where: where, effect: m["Effect"].(string), principal: m["Principal"], conditions: flatConditions(m["Condition"])}
		for _, a := range list(m["Action"]) {
			stmt.actions = append(stmt.actions, a.(string))
		}
		for _, r := range list(m["Resource"]) {
			stmt.resources = append(stmt.resources, flat(r))
		}
		out = append(out, stmt)
	}
	return out
}

// identityStatements are the statements of every role's policies.
func (s *synthesized) identityStatements() []statement {
	var out []statement
	add := func(where string, doc any) { out = append(out, policyStatements(where, doc)...) }
	for id, p := range s.resources("AWS::IAM::Policy") {
		add(id, p["PolicyDocument"])
	}
	for id, p := range s.resources("AWS::IAM::ManagedPolicy") {
		add(id, p["PolicyDocument"])
	}
	for id, p := range s.resources("AWS::IAM::Role") {
		for _, inline := range list(p["Policies"]) {
			add(id, inline.(map[string]any)["PolicyDocument"])
		}
	}
	return out
}

func TestNoMutatingActionOnEveryResource(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		stmts := s.identityStatements()
		if len(stmts) == 0 {
			t.Fatalf("%s: no IAM statements found", name)
		}
		for _, st := range stmts {
			if st.effect != "Allow" {
				continue
			}
			for _, r := range st.resources {
				if r != "*" {
					continue
				}
				for _, a := range st.actions {
					if orchestration.ReadOnly(a) {
						continue
					}
					if _, ok := anyResourceAllowed[a]; !ok {
						t.Errorf("%s %s: mutating action %s on Resource *; scope it, or add it to anyResourceAllowed with the reason AWS requires *", name, st.where, a)
					}
				}
			}
		}
	}
}

// Each function's role has exactly the statements orchestration.Policy
// gives it: every action on every resource under every condition, no
// more and no fewer.
func TestFunctionPoliciesAreOrchestrations(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		bus := s.logicalID(t, "AWS::Events::EventBus", "Name", orchestration.BusName(s.cfg.Prefix))
		roles := functionRoles(t, s)
		got := map[string][]string{}
		for _, st := range s.identityStatements() {
			if fn, ok := roles[policyRole(s, st.where)]; ok && st.effect == "Allow" {
				got[fn] = append(got[fn], grantKeys(st.actions, st.resources, st.conditions)...)
			}
		}
		for _, f := range orchestration.Functions {
			logs := s.logicalID(t, "AWS::Logs::LogGroup", "LogGroupName", "/aws/lambda/"+orchestration.FunctionName(s.cfg.Prefix, f.Name))
			env := flatEnv(s.cfg)
			env.LogGroupARN, env.EventBusARN = "${"+logs+".Arn}", "${"+bus+".Arn}"
			policy, err := orchestration.Policy(f.Name, env)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, st := range policy {
				want = append(want, grantKeys(st.Actions, st.Resources, st.Conditions)...)
			}
			// Compact: CDK merges statements (minimizePolicies), which drops
			// a repeated action on a resource.
			want = slices.Compact(slices.Sorted(slices.Values(want)))
			have := slices.Compact(slices.Sorted(slices.Values(got[f.Name])))
			if !slices.Equal(have, want) {
				t.Errorf("%s %s: the template allows\n  %s\norchestration.Policy allows\n  %s", name, f.Name,
					strings.Join(have, "\n  "), strings.Join(want, "\n  "))
			}
		}
	}
}

// flatEnv fills orchestration's placeholders as flat prints the template.
func flatEnv(cfg Config) orchestration.Env {
	return orchestration.Env{
		Partition: "${AWS::Partition}", Region: "${AWS::Region}", AccountID: "${AWS::AccountId}",
		Project: cfg.Project, KMSKeys: cfg.KMSKeyARNs,
	}
}

// grantKeys spells out a statement as one line per action and resource.
func grantKeys(actions, resources []string, conditions map[string]map[string]string) []string {
	cond, _ := json.Marshal(conditions)
	var out []string
	for _, a := range actions {
		for _, r := range resources {
			out = append(out, a+" on "+r+" if "+string(cond))
		}
	}
	return out
}

// flatConditions flattens a statement's Condition block.
func flatConditions(v any) map[string]map[string]string {
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	out := map[string]map[string]string{}
	for op, kv := range m {
		out[op] = map[string]string{}
		for k, val := range kv.(map[string]any) {
			out[op][k] = flat(val)
		}
	}
	return out
}

// Each function's role may touch only the project's resources: every ARN
// an elasticache, secretsmanager or cloudwatch action names carries the
// project prefix (or is the read-only alarm:* of DescribeAlarms).
func TestFunctionPoliciesStayInProjectScope(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		p := regexp.QuoteMeta(s.cfg.Project)
		arn := `^arn:\$\{AWS::Partition\}:%s:\$\{AWS::Region\}:\$\{AWS::AccountId\}:%s$`
		scoped := map[string]*regexp.Regexp{
			"elasticache":    regexp.MustCompile(fmt.Sprintf(arn, "elasticache", `(replicationgroup|cluster|parametergroup|subnetgroup|snapshot):`+p+`-\*`)),
			"secretsmanager": regexp.MustCompile(fmt.Sprintf(arn, "secretsmanager", `secret:`+p+`/.*\*`)),
			"cloudwatch":     regexp.MustCompile(fmt.Sprintf(arn, "cloudwatch", `alarm:ecprov/`+p+`-\*/\*`)),
		}
		roles := functionRoles(t, s)
		for _, st := range s.identityStatements() {
			fn, ok := roles[policyRole(s, st.where)]
			if !ok || st.effect != "Allow" {
				continue
			}
			for _, a := range st.actions {
				service, _, _ := strings.Cut(a, ":")
				re, ok := scoped[service]
				if !ok {
					continue
				}
				for _, r := range st.resources {
					switch {
					case r == "*" && orchestration.ReadOnly(a):
					case a == "cloudwatch:DescribeAlarms" && strings.HasSuffix(r, ":alarm:*"):
					case !re.MatchString(r):
						t.Errorf("%s %s: %s on %s is outside the project scope", name, fn, a, r)
					}
				}
			}
		}
	}
}

// What each function may change, in a word: a function that gains a
// mutating action fails here until this table says so too.
func TestFunctionMutatingActions(t *testing.T) {
	want := map[string][]string{
		"createcluster": {"elasticache:AddTagsToResource", "elasticache:CreateCacheParameterGroup", "elasticache:CreateCacheSubnetGroup", "elasticache:CreateReplicationGroup", "elasticache:ModifyCacheParameterGroup", "elasticache:ModifyCacheSubnetGroup", "elasticache:ModifyReplicationGroup", "iam:CreateServiceLinkedRole", "logs:CreateLogStream", "logs:PutLogEvents"},
		"waitready":     {"logs:CreateLogStream", "logs:PutLogEvents"},
		"publishsecret": {"logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:RestoreSecret", "secretsmanager:TagResource"},
		"alarms":        {"cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "logs:CreateLogStream", "logs:PutLogEvents"},
		"profiles":      {"logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:PutSecretValue", "secretsmanager:TagResource"},
		"teardown":      {"cloudwatch:DeleteAlarms", "elasticache:CreateSnapshot", "elasticache:DeleteCacheParameterGroup", "elasticache:DeleteCacheSubnetGroup", "elasticache:DeleteReplicationGroup", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:DeleteSecret"},
		"events":        {"events:PutEvents", "logs:CreateLogStream", "logs:PutLogEvents"},
		"failoverrelay": {"events:PutEvents", "logs:CreateLogStream", "logs:PutLogEvents"},
	}
	s := synth(t, defaultStack)
	roles := functionRoles(t, s)
	got := map[string]map[string]bool{}
	for _, st := range s.identityStatements() {
		fn, ok := roles[policyRole(s, st.where)]
		if !ok {
			continue
		}
		for _, a := range st.actions {
			if !orchestration.ReadOnly(a) {
				if got[fn] == nil {
					got[fn] = map[string]bool{}
				}
				got[fn][a] = true
			}
		}
	}
	for fn, actions := range want {
		var have []string
		for a := range got[fn] {
			have = append(have, a)
		}
		sort.Strings(have)
		if strings.Join(have, " ") != strings.Join(actions, " ") {
			t.Errorf("%s may change:\n  %v\nwant\n  %v", fn, have, actions)
		}
	}
	// No AWS managed policies (AWSLambdaBasicExecutionRole and the like).
	for id, p := range s.resources("AWS::IAM::Role") {
		if p["ManagedPolicyArns"] != nil {
			t.Errorf("role %s has managed policies %v", id, p["ManagedPolicyArns"])
		}
	}
}

// A state machine may invoke exactly the functions its definition names.
func TestStateMachinesInvokeOnlyTheirFunctions(t *testing.T) {
	s := synth(t, defaultStack)
	fnID := map[string]string{} // logical id -> function name
	for _, f := range orchestration.Functions {
		fnID[s.logicalID(t, "AWS::Lambda::Function", "FunctionName", orchestration.FunctionName(s.cfg.Prefix, f.Name))] = f.Name
	}
	for _, sm := range orchestration.StateMachines {
		def, err := orchestration.ReadDefinition(s.cfg.Root, sm)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, ph := range orchestration.Placeholders(def) {
			for _, f := range orchestration.Functions {
				if f.Placeholder == ph {
					want = append(want, "${"+s.logicalID(t, "AWS::Lambda::Function", "FunctionName", orchestration.FunctionName(s.cfg.Prefix, f.Name))+".Arn}")
				}
			}
		}
		smID := s.logicalID(t, "AWS::StepFunctions::StateMachine", "StateMachineName", orchestration.StateMachineName(s.cfg.Prefix, sm.Name))
		role := strings.TrimSuffix(strings.TrimPrefix(flat(s.resources("AWS::StepFunctions::StateMachine")[smID]["RoleArn"]), "${"), ".Arn}")
		var got []string
		for _, st := range s.identityStatements() {
			if policyRole(s, st.where) != role {
				continue
			}
			for _, a := range st.actions {
				if strings.HasPrefix(a, "lambda:") {
					got = append(got, st.resources...)
				}
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s may invoke %v, want %v", sm.Name, got, want)
		}
	}
}

// No resource policy (topics, queue, key) allows every principal.
func TestResourcePoliciesNameTheirPrincipals(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		for typ, field := range map[string]string{"AWS::SNS::TopicPolicy": "PolicyDocument", "AWS::SQS::QueuePolicy": "PolicyDocument", "AWS::KMS::Key": "KeyPolicy"} {
			for id, p := range s.resources(typ) {
				doc := p[field].(map[string]any)
				for _, st := range list(doc["Statement"]) {
					m := st.(map[string]any)
					if m["Effect"] == "Allow" && (flat(m["Principal"]) == "*" || flat(m["Principal"]) == `{"AWS":"*"}`) {
						t.Errorf("%s %s: Allow to every principal: %v", name, id, m)
					}
				}
			}
		}
	}
}

// functionRoles maps each function's role logical id to the function name.
func functionRoles(t *testing.T, s *synthesized) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range orchestration.Functions {
		id := s.logicalID(t, "AWS::Lambda::Function", "FunctionName", orchestration.FunctionName(s.cfg.Prefix, f.Name))
		role := flat(s.resources("AWS::Lambda::Function")[id]["Role"])
		out[strings.TrimSuffix(strings.TrimPrefix(role, "${"), ".Arn}")] = f.Name
	}
	return out
}

// policyRole is the role a policy (or inline policy's role) belongs to.
func policyRole(s *synthesized, where string) string {
	if p, ok := s.resources("AWS::IAM::Policy")[where]; ok {
		roles := list(p["Roles"])
		if len(roles) == 1 {
			return strings.TrimSuffix(strings.TrimPrefix(flat(roles[0]), "${"), "}")
		}
	}
	return where
}

package main

import (
	"fmt"
	"regexp"
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

// readOnly says whether an IAM action only reads.
func readOnly(action string) bool {
	_, verb, _ := strings.Cut(action, ":")
	if strings.Contains(verb, "*") {
		return false
	}
	for _, p := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(verb, p) {
			return true
		}
	}
	return false
}

type statement struct {
	where     string // "<logical id>"
	effect    string
	actions   []string
	resources []string
	principal any
}

// identityStatements are the statements of every role's policies.
func (s *synthesized) identityStatements() []statement {
	var out []statement
	add := func(where string, doc any) {
		d, _ := doc.(map[string]any)
		for _, st := range list(d["Statement"]) {
			m := st.(map[string]any)
			stmt := statement{where: where, effect: m["Effect"].(string), principal: m["Principal"]}
			for _, a := range list(m["Action"]) {
				stmt.actions = append(stmt.actions, a.(string))
			}
			for _, r := range list(m["Resource"]) {
				stmt.resources = append(stmt.resources, flat(r))
			}
			out = append(out, stmt)
		}
	}
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
					if readOnly(a) {
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

func TestPermissionsCoverEveryFunction(t *testing.T) {
	perms := nagScope(DefaultConfig("")).permissions()
	var want, got []string
	for _, f := range orchestration.Functions {
		want = append(want, f.Name)
	}
	for name := range perms {
		got = append(got, name)
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("permissions table covers %v, orchestration.Functions are %v", got, want)
	}
	for name, grants := range perms {
		for _, g := range grants {
			for _, r := range g.resources {
				if r == anyResource && g.why == "" {
					t.Errorf("%s %s: Resource * without a reason", name, g.sid)
				}
				if r == anyResource {
					for _, a := range g.actions {
						if !readOnly(a) {
							t.Errorf("%s %s: %s is mutating and has Resource *", name, g.sid, a)
						}
					}
				}
			}
		}
	}
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
					case r == "*" && readOnly(a):
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
			if !readOnly(a) {
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

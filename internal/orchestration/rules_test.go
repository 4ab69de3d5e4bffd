package orchestration

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// targetID is botocore's TargetId pattern (1-64 characters).
var targetID = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

// transformerVar is an input template's <name>.
var transformerVar = regexp.MustCompile(`<([A-Za-z0-9_.-]+)>`)

func TestRules(t *testing.T) {
	var names []string
	for _, r := range Rules {
		name := r.Name("ecprov")
		names = append(names, name)
		if (r.Pattern == nil) == (r.Schedule == "") {
			t.Errorf("%s: needs exactly one of a pattern and a schedule", name)
		}
		if p := r.PatternJSON(); p != "" && !json.Valid([]byte(p)) {
			t.Errorf("%s: pattern is not JSON", name)
		}
		if r.Schedule != "" && !r.OnDefaultBus {
			t.Errorf("%s: EventBridge takes a ScheduleExpression only on the default bus", name)
		}
		tg := r.Target
		if !targetID.MatchString(tg.ID) {
			t.Errorf("%s: target id %q is not a TargetId ([.-_A-Za-z0-9], 1-64)", name, tg.ID)
		}
		if _, ok := stateMachine(tg.StateMachine); !ok {
			t.Errorf("%s: target %q is not one of StateMachines", name, tg.StateMachine)
		}
		if (tg.InputTemplate == "") == (tg.ConstantInput == "") || (tg.InputTemplate == "") != (tg.InputPaths == nil) {
			t.Errorf("%s: a target has either an input transformer (paths and template) or a constant input", name)
		}
		if tg.ConstantInput != "" && !json.Valid([]byte(tg.ConstantInput)) {
			t.Errorf("%s: constant input is not JSON", name)
		}
		for _, m := range transformerVar.FindAllStringSubmatch(tg.InputTemplate, -1) {
			if _, ok := tg.InputPaths[m[1]]; !ok {
				t.Errorf("%s: the template's <%s> has no input path", name, m[1])
			}
		}
		if n := tg.Retry.MaximumRetryAttempts; n < 0 || n > 185 {
			t.Errorf("%s: MaximumRetryAttempts %d is outside 0-185", name, n)
		}
		if s := tg.Retry.MaximumEventAgeInSeconds; s < 60 || s > 86400 {
			t.Errorf("%s: MaximumEventAgeInSeconds %d is outside 60-86400", name, s)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(Rules) {
		t.Errorf("rule names repeat: %v", names)
	}
}

func stateMachine(name string) (StateMachine, bool) {
	i := slices.IndexFunc(StateMachines, func(s StateMachine) bool { return s.Name == name })
	if i < 0 {
		return StateMachine{}, false
	}
	return StateMachines[i], true
}

func TestNoticeTopic(t *testing.T) {
	for _, fn := range NoticeTopic.Subscribers {
		if _, ok := FunctionByName(fn); !ok {
			t.Errorf("subscriber %s is not one of Functions", fn)
		}
	}
	env := Env{Partition: "aws", Region: "eu-west-1", AccountID: "111122223333", TopicARN: "arn:aws:sns:eu-west-1:111122223333:t"}
	policy, err := env.ExpandAll(NoticeTopic.Policy)
	if err != nil || len(policy) != len(NoticeTopic.Policy) {
		t.Fatalf("ExpandAll = %v, %v", policy, err)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Effect    string
			Principal map[string]string
			Action    []string
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(PolicyDocument(policy)), &doc); err != nil {
		t.Fatal(err)
	}
	st := doc.Statement[0]
	if doc.Version != "2012-10-17" || st.Effect != "Allow" || st.Principal["Service"] != "elasticache.amazonaws.com" ||
		!slices.Equal(st.Resource, []string{env.TopicARN}) || st.Condition["StringEquals"]["aws:SourceOwner"] != env.AccountID {
		t.Errorf("notice topic policy = %+v", doc)
	}
	if strings.Contains(PolicyDocument(policy), "${") {
		t.Errorf("placeholder left in %s", PolicyDocument(policy))
	}
}

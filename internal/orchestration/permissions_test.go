package orchestration

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// fullEnv has a value for every placeholder.
var fullEnv = Env{
	Partition: "aws", Region: "eu-west-1", AccountID: "111122223333", Project: "payments",
	TopicARN: "arn:aws:sns:eu-west-1:111122223333:t", LogGroupARN: "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/x",
	EventBusARN: "arn:aws:events:eu-west-1:111122223333:event-bus/acme",
	KMSKeys:     []string{"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
}

func TestPermissionsCoverEveryFunction(t *testing.T) {
	var want []string
	for _, f := range Functions {
		want = append(want, f.Name)
	}
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(Permissions)); !slices.Equal(got, want) {
		t.Errorf("Permissions covers %v, Functions are %v", got, want)
	}
	for name, statements := range Permissions {
		for _, s := range statements {
			if !slices.Contains(s.Resources, AnyResource) {
				continue
			}
			if s.Why == "" {
				t.Errorf("%s %s: Resource * without a why", name, s.Sid)
			}
			for _, a := range s.Actions {
				if !ReadOnly(a) {
					t.Errorf("%s %s: %s changes something and has Resource *", name, s.Sid, a)
				}
			}
		}
	}
}

func TestPolicyFillsEveryPlaceholder(t *testing.T) {
	for _, f := range Functions {
		policy, err := Policy(f.Name, fullEnv)
		if err != nil {
			t.Fatal(err)
		}
		doc := PolicyDocument(policy)
		if strings.Contains(doc, "${") {
			t.Errorf("%s: placeholder left in %s", f.Name, doc)
		}
		if !strings.Contains(doc, `"Resource":["`+fullEnv.LogGroupARN+`"]`) {
			t.Errorf("%s may not write its own logs: %s", f.Name, doc)
		}
		if puts := strings.Contains(doc, "events:PutEvents"); puts != f.NeedsBus {
			t.Errorf("%s: puts events %v, NeedsBus %v", f.Name, puts, f.NeedsBus)
		}
		for _, s := range policy {
			if s.Principal != (Principal{}) {
				t.Errorf("%s %s: a role's statement names a principal", f.Name, s.Sid)
			}
		}
	}
}

func TestPolicyKeysOnlyWhenNamed(t *testing.T) {
	with, err := Policy("createcluster", fullEnv)
	if err != nil {
		t.Fatal(err)
	}
	noKeys := fullEnv
	noKeys.KMSKeys = nil
	without, err := Policy("createcluster", noKeys)
	if err != nil {
		t.Fatal(err)
	}
	if len(with) != len(without)+1 {
		t.Fatalf("with keys %d statements, without %d: want one more", len(with), len(without))
	}
	key := with[slices.IndexFunc(with, func(s Statement) bool { return s.Sid == "UseCacheKey" })]
	if !slices.Equal(key.Resources, fullEnv.KMSKeys) || key.Conditions["StringEquals"]["kms:ViaService"] != "elasticache.eu-west-1.amazonaws.com" {
		t.Errorf("UseCacheKey = %+v", key)
	}
}

func TestPolicyRefuses(t *testing.T) {
	saved := Permissions["waitready"]
	delete(Permissions, "waitready")
	_, err := Policy("waitready", fullEnv)
	Permissions["waitready"] = saved
	if err == nil || !strings.Contains(err.Error(), "no entry in orchestration.Permissions") {
		t.Errorf("a function without permissions: %v", err)
	}
	if _, err := Policy("nosuchfunction", fullEnv); err == nil {
		t.Error("a function that is not in Functions got a policy")
	}
	_, _, err = fullEnv.Expand(Statement{Sid: "Everything", Actions: []string{"ec2:DescribeVpcs"}, Resources: []string{AnyResource}})
	if err == nil || !strings.Contains(err.Error(), "needs a written why") {
		t.Errorf("resource * without a why: %v", err)
	}
	_, _, err = Env{Partition: "aws"}.Expand(readReplicationGroup)
	if err == nil || !strings.Contains(err.Error(), "${Region}") {
		t.Errorf("a placeholder the deployment has no value for: %v", err)
	}
}

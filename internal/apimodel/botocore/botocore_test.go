package botocore_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/internal/apimodel/botocore"
)

func TestLoadSecretsManager(t *testing.T) {
	m := botocore.Require(t, "secretsmanager", "2017-10-17")
	in, err := m.Input("CreateSecret")
	if err != nil {
		t.Fatal(err)
	}
	s, ok := in.MemberNamed("SecretString")
	if !ok || s.Shape.Name != "SecretStringType" || s.Shape.Max == nil || *s.Shape.Max != 65536 || !s.Shape.Sensitive {
		t.Errorf("CreateSecret.SecretString = %+v, want SecretStringType, max 65536, sensitive", s.Shape)
	}
	if !in.IsRequired("Name") || in.IsRequired("Description") {
		t.Errorf("CreateSecret required = %v, want Name only", in.Required)
	}
	if m.Protocol() != "json" || m.APIVersion() != "2017-10-17" {
		t.Errorf("metadata: protocol %q version %q", m.Protocol(), m.APIVersion())
	}
}

func TestNewestVersion(t *testing.T) {
	m := botocore.Require(t, "elasticache")
	if m.APIVersion() != "2015-02-02" {
		t.Errorf("newest elasticache model is %s, want 2015-02-02 (the one the emulator speaks)", m.APIVersion())
	}
	if _, err := botocore.Load("no-such-service"); err == nil {
		t.Error("Load of an unknown service succeeded")
	}
}

// TestFromQueryWireNames reads real requests, as the Go SDK and the CLI
// encode them, into trees, by the wire names of three Query dialects.
func TestFromQueryWireNames(t *testing.T) {
	tests := []struct {
		service, op string
		ec2         bool
		params      url.Values
		want        string
	}{
		{"sns", "CreateTopic", false, url.Values{"Name": {"t"}, "Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"},
			"Attributes.entry.1.key": {"Policy"}, "Attributes.entry.1.value": {"{}"}},
			`{"Attributes":{"Policy":"{}"},"Name":"t","Tags":[{"Key":"k","Value":"v"}]}`},
		{"elasticache", "AddTagsToResource", false, url.Values{"ResourceName": {"arn"}, "Tags.Tag.1.Key": {"k"}},
			`{"ResourceName":"arn","Tags":[{"Key":"k"}]}`},
		{"elasticache", "CreateCacheSubnetGroup", false, url.Values{"SubnetIds.SubnetIdentifier.1": {"subnet-1"}},
			`{"SubnetIds":["subnet-1"]}`},
		{"ec2", "DescribeSubnets", true, url.Values{"Filter.1.Name": {"vpc-id"}, "Filter.1.Value.1": {"vpc-1"}, "SubnetId.1": {"s"}, "MaxResults": {"5"}},
			`{"Filters":[{"Name":"vpc-id","Values":["vpc-1"]}],"MaxResults":"5","SubnetIds":["s"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.service+"/"+tc.op, func(t *testing.T) {
			in, err := botocore.Require(t, tc.service).Input(tc.op)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(in.FromQuery(tc.params, tc.ec2))
			if string(got) != tc.want {
				t.Errorf("FromQuery = %s, want %s", got, tc.want)
			}
		})
	}
}

// unenforcedPatterns are the patterns Go's regexp cannot compile (Java
// look-arounds) in the models of the services ecprov uses; the emulator
// does not enforce them. A new one fails TestPatternsCompile, so that
// someone decides whether it matters.
var unenforcedPatterns = map[string]string{
	"events PathParameter": "not empty or blank; EventBridge HTTP targets, which ecprov does not use",
	"ec2 SecretArn":        "20-2048 characters; EC2 operations the emulator does not serve",
}

func TestPatternsCompile(t *testing.T) {
	for _, svc := range []string{"secretsmanager", "events", "cloudwatch", "sns", "elasticache", "ec2"} {
		m := botocore.Require(t, svc)
		for _, name := range m.ShapeNames() {
			s, _ := m.Shape(name)
			if s.Pattern == "" || s.PatternEnforced() {
				continue
			}
			if why, ok := unenforcedPatterns[svc+" "+name]; ok {
				t.Logf("%s %s: pattern %q not enforced (%s)", svc, name, s.Pattern, why)
				continue
			}
			t.Errorf("%s shape %s: pattern %q does not compile in Go", svc, name, s.Pattern)
		}
	}
}

// recorder is a testing.TB that records how Require ends a test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.fatal = fmt.Sprintf(format, a...) }
func (r *recorder) Skipf(format string, a ...any)  { r.skip = fmt.Sprintf(format, a...) }

// TestRequireUnderCI: a missing model skips a test with the reason, and
// fails it under CI=true, where every check must run.
func TestRequireUnderCI(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		botocore.Require(r, "no-such-service")
		if ci == "true" && (r.fatal == "" || r.skip != "") {
			t.Errorf("CI=true: fatal %q skip %q, want a failure", r.fatal, r.skip)
		}
		if ci == "" && (r.skip == "" || r.fatal != "" || !strings.Contains(r.skip, "no-such-service")) {
			t.Errorf("CI unset: fatal %q skip %q, want a skip naming the model", r.fatal, r.skip)
		}
	}
}

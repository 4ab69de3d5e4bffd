package apimodel_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/internal/apimodel"
)

// testModel is a small model in botocore's format, with one of each kind
// of constraint. Member order is deliberate: violations follow it.
const testModel = `{
  "version": "2.0",
  "metadata": {"apiVersion": "2020-01-01", "protocol": "json", "endpointPrefix": "test", "serviceId": "Test"},
  "operations": {
    "Put": {"name": "Put", "input": {"shape": "PutRequest"}, "output": {"shape": "PutResponse"}, "documentation": "x"},
    "Other": {"name": "Other", "input": {"shape": "OtherRequest"}}
  },
  "shapes": {
    "PutRequest": {"type": "structure", "required": ["Name", "Tags"], "members": {
      "Name": {"shape": "NameType", "documentation": "the name"},
      "Secret": {"shape": "SecretType"},
      "Blob": {"shape": "BlobType"},
      "Max": {"shape": "MaxType"},
      "Order": {"shape": "OrderType"},
      "Tags": {"shape": "TagList", "locationName": "Tag"},
      "Attributes": {"shape": "AttrMap"},
      "Ids": {"shape": "IdList"}
    }},
    "PutResponse": {"type": "structure", "members": {}},
    "OtherRequest": {"type": "structure", "members": {"X": {"shape": "OtherString"}}},
    "OtherString": {"type": "string", "max": 3},
    "NameType": {"type": "string", "min": 1, "max": 8, "pattern": "[a-z]+"},
    "SecretType": {"type": "string", "max": 4, "sensitive": true},
    "BlobType": {"type": "blob", "max": 2},
    "MaxType": {"type": "integer", "min": 1, "max": 100},
    "OrderType": {"type": "string", "enum": ["asc", "desc"]},
    "TagList": {"type": "list", "member": {"shape": "Tag", "locationName": "Tag"}, "max": 2},
    "Tag": {"type": "structure", "required": ["Key"], "members": {"Key": {"shape": "KeyType"}, "Value": {"shape": "ValueType"}}},
    "KeyType": {"type": "string", "min": 1, "max": 3},
    "ValueType": {"type": "string", "max": 5},
    "AttrMap": {"type": "map", "key": {"shape": "KeyType"}, "value": {"shape": "ValueType"}},
    "IdList": {"type": "list", "member": {"shape": "KeyType"}, "flattened": true}
  }
}`

func model(t *testing.T) *apimodel.Model {
	t.Helper()
	m, err := apimodel.Parse([]byte(testModel))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func decode(t *testing.T, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValidateMessages(t *testing.T) {
	in, err := model(t).Input("Put")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		want       []string
	}{
		{"valid", `{"Name":"abc","Tags":[{"Key":"k"}],"Max":100,"Order":"desc","Blob":"AAA="}`, nil},
		{"missing required", `{"Name":"abc"}`,
			[]string{"Value null at 'tags' failed to satisfy constraint: Member must not be null"}},
		{"too long and pattern", `{"Name":"ABCDEFGHI","Tags":[]}`, []string{
			"Value 'ABCDEFGHI' at 'name' failed to satisfy constraint: Member must have length less than or equal to 8",
			"Value 'ABCDEFGHI' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+"}},
		{"pattern is anchored", `{"Name":"ab cd","Tags":[]}`, []string{
			"Value 'ab cd' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+"}},
		{"empty string", `{"Name":"","Tags":[]}`, []string{
			"Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
			"Value '' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+"}},
		{"sensitive value hidden", `{"Name":"a","Secret":"12345","Tags":[]}`, []string{
			"Value at 'secret' failed to satisfy constraint: Member must have length less than or equal to 4"}},
		{"blob bytes", `{"Name":"a","Blob":"AAAA","Tags":[]}`, []string{
			"Value 'AAAA' at 'blob' failed to satisfy constraint: Member must have length less than or equal to 2"}},
		{"value range", `{"Name":"a","Max":0,"Tags":[]}`, []string{
			"Value '0' at 'max' failed to satisfy constraint: Member must have value greater than or equal to 1"}},
		{"value range high", `{"Name":"a","Max":9223372036854775807,"Tags":[]}`, []string{
			"Value '9223372036854775807' at 'max' failed to satisfy constraint: Member must have value less than or equal to 100"}},
		{"enum", `{"Name":"a","Order":"up","Tags":[]}`, []string{
			"Value 'up' at 'order' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]"}},
		{"list items and elements", `{"Name":"a","Tags":[{"Key":"k"},{"Key":"long"},{"Value":"v"}]}`, []string{
			"Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 2",
			"Value 'long' at 'tags.2.member.key' failed to satisfy constraint: Member must have length less than or equal to 3",
			"Value null at 'tags.3.member.key' failed to satisfy constraint: Member must not be null"}},
		{"map keys and values", `{"Name":"a","Tags":[],"Attributes":{"long":"123456"}}`, []string{
			"Value 'long' at 'attributes' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 3]",
			"Value '123456' at 'attributes' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 5]"}},
		{"scalar list shown", `{"Name":"a","Tags":[],"Ids":["abcd"]}`, []string{
			"Value 'abcd' at 'ids.1.member' failed to satisfy constraint: Member must have length less than or equal to 3"}},
		{"wrong kinds are left to the decoder", `{"Name":5,"Max":"x","Tags":{}}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs := in.Validate(decode(t, tc.body), apimodel.Options{Required: true})
			var got []string
			for _, v := range vs {
				got = append(got, v.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestMessage(t *testing.T) {
	in, _ := model(t).Input("Put")
	one := in.Validate(decode(t, `{"Name":"a"}`), apimodel.Options{Required: true})
	if got, want := apimodel.Message(one), "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	two := in.Validate(decode(t, `{"Order":"x"}`), apimodel.Options{Required: true})
	got := apimodel.Message(two)
	if !strings.HasPrefix(got, "3 validation errors detected: Value null at 'name' ") || strings.Count(got, "; ") != 2 {
		t.Errorf("Message = %q", got)
	}
	if vs := in.Validate(decode(t, `{}`), apimodel.Options{}); len(vs) != 0 {
		t.Errorf("without Options.Required a missing member is not a violation: %v", vs)
	}
	if one[0].Shape != "TagList" {
		t.Errorf("Violation.Shape = %q, want the member's shape TagList", one[0].Shape)
	}
}

func TestFromQuery(t *testing.T) {
	in, _ := model(t).Input("Put")
	v := url.Values{
		"Name": {"abc"}, "Max": {"7"},
		"Tag.Tag.1.Key": {"a"}, "Tag.Tag.3.Key": {"c"}, "Tag.Tag.3.Value": {"v"},
		"Attributes.entry.1.key": {"k"}, "Attributes.entry.1.value": {"x"},
		"Ids.1": {"i1"}, "Ids.2": {"i2"},
	}
	got, _ := json.Marshal(in.FromQuery(v, false))
	want := `{"Attributes":{"k":"x"},"Ids":["i1","i2"],"Max":"7","Name":"abc","Tags":[{"Key":"a"},{"Key":"c","Value":"v"}]}`
	if string(got) != want {
		t.Errorf("FromQuery =\n %s\nwant\n %s", got, want)
	}
	// A list sent with a gap in its numbering is read whole, so that
	// nothing escapes validation.
	vs := in.Validate(in.FromQuery(url.Values{"Name": {"a"}, "Tag.Tag.1.Key": {"a"}, "Tag.Tag.2.Key": {"b"}, "Tag.Tag.9.Key": {"c"}}, false), apimodel.Options{})
	if len(vs) != 1 || vs[0].Path != "tags" {
		t.Errorf("three tags with a gap: %v", vs)
	}
	ec2 := in.FromQuery(url.Values{"Tag.1.Key": {"a"}, "Ids.1": {"x"}}, true)
	if got, _ := json.Marshal(ec2); string(got) != `{"Ids":["x"],"Tags":[{"Key":"a"}]}` {
		t.Errorf("FromQuery ec2 = %s", got)
	}
	if empty := in.FromQuery(url.Values{"Tag": {""}}, false); len(empty["Tags"].([]any)) != 0 {
		t.Errorf("Tag= is an empty list: %v", empty)
	}
}

func TestConstraints(t *testing.T) {
	in, _ := model(t).Input("Put")
	var got []string
	for _, c := range in.Constraints() {
		got = append(got, strings.Join(c.Path, ".")+" "+string(c.Kind))
	}
	want := []string{
		"Name required", "Name min-length", "Name max-length", "Name pattern", "Secret max-length", "Blob max-length",
		"Max min-value", "Max max-value", "Order enum", "Tags required", "Tags max-length",
		"Tags.[].Key required", "Tags.[].Key min-length", "Tags.[].Key max-length", "Tags.[].Value max-length",
		"Attributes.{key} min-length", "Attributes.{key} max-length", "Attributes.{value} max-length",
		"Ids.[] min-length", "Ids.[] max-length",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Constraints\n got %q\nwant %q", got, want)
	}
}

func TestTrimAndCompare(t *testing.T) {
	m := model(t)
	trimmed, err := m.Trim("Other")
	if err != nil {
		t.Fatal(err)
	}
	if got := trimmed.OperationNames(); !slices.Equal(got, []string{"Other"}) {
		t.Errorf("trimmed operations %v", got)
	}
	if got := trimmed.ShapeNames(); !slices.Equal(got, []string{"OtherRequest", "OtherString"}) {
		t.Errorf("trimmed shapes %v, want only those Other reaches", got)
	}
	b, err := trimmed.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "documentation") {
		t.Errorf("trimmed model keeps documentation:\n%s", b)
	}
	again, err := apimodel.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := apimodel.Compare(again, m); len(d.Changed)+len(d.Added) != 0 {
		t.Errorf("a trimmed model round-trips unchanged, got %+v", d)
	}
	if _, err := m.Trim("Nope"); err == nil {
		t.Error("Trim of an unknown operation succeeded")
	}

	changed := strings.Replace(testModel, `"OtherString": {"type": "string", "max": 3}`, `"OtherString": {"type": "string", "max": 4}`, 1)
	changed = strings.Replace(changed, `{"X": {"shape": "OtherString"}}`, `{"X": {"shape": "OtherString"}, "Y": {"shape": "OtherString"}}`, 1)
	newer, err := apimodel.Parse([]byte(changed))
	if err != nil {
		t.Fatal(err)
	}
	d := apimodel.Compare(again, newer)
	if len(d.Changed) != 1 || !strings.Contains(d.Changed[0], "OtherString max 3, now 4") {
		t.Errorf("Changed = %q", d.Changed)
	}
	if !slices.Equal(d.Added, []string{"OtherRequest.Y"}) {
		t.Errorf("Added = %q", d.Added)
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{`{`, `{"shapes":{"A":{"type":"structure","members":{"B":{"shape":"Nope"}}}}}`,
		`{"shapes":{"A":{"type":"string","max":"x"}}}`} {
		if _, err := apimodel.Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) succeeded", bad)
		}
	}
	m := model(t)
	if _, err := m.Input("Nope"); err == nil || !strings.Contains(err.Error(), `"Nope"`) {
		t.Errorf("Input(Nope) error = %v", err)
	}
}

// TestViolate breaks every constraint of the test model just past its
// bound, and checks that Validate then reports it at its path.
func TestViolate(t *testing.T) {
	in, _ := model(t).Input("Put")
	base := decode(t, `{"Name":"abc","Secret":"s","Blob":"AA==","Max":5,"Order":"asc","Tags":[{"Key":"k","Value":"v"}],"Attributes":{"a":"b"},"Ids":["i"]}`).(map[string]any)
	if vs := in.Validate(base, apimodel.Options{Required: true}); len(vs) != 0 {
		t.Fatalf("base request is not valid: %v", vs)
	}
	probed := 0
	for _, c := range in.Constraints() {
		broken, ok := apimodel.Violate(c, base)
		if !ok {
			t.Errorf("%v %s: no breaking request", c.Path, c.Kind)
			continue
		}
		probed++
		vs := in.Validate(broken, apimodel.Options{Required: true})
		if !slices.ContainsFunc(vs, func(v apimodel.Violation) bool { return v.Path == c.MemberPath() }) {
			t.Errorf("%v %s: broken request %v gives violations %v, none at %q", c.Path, c.Kind, broken, vs, c.MemberPath())
		}
	}
	if probed != len(in.Constraints()) {
		t.Errorf("probed %d of %d constraints", probed, len(in.Constraints()))
	}
	if base["Name"] != "abc" || len(base["Tags"].([]any)) != 1 {
		t.Errorf("Violate changed the base request: %v", base)
	}
	// A path the request does not hold cannot be broken.
	c := in.Constraints()[len(in.Constraints())-1] // Ids.[] max-length
	if _, ok := apimodel.Violate(c, map[string]any{"Name": "a"}); ok {
		t.Error("Violate broke a list the request does not hold")
	}
}

func TestToQueryRoundTrip(t *testing.T) {
	in, _ := model(t).Input("Put")
	tree := decode(t, `{"Name":"abc","Max":"5","Tags":[{"Key":"k","Value":"v"},{"Key":"l"}],"Attributes":{"a":"b"},"Ids":["i","j"]}`).(map[string]any)
	for _, ec2 := range []bool{false, true} {
		v := in.ToQuery(tree, ec2)
		back, _ := json.Marshal(in.FromQuery(v, ec2))
		want, _ := json.Marshal(tree)
		if string(back) != string(want) {
			t.Errorf("ec2=%v: %v read back as %s, want %s", ec2, v, back, want)
		}
	}
	if got := in.ToQuery(map[string]any{"Tags": []any{}}, false).Encode(); got != "Tag=" {
		t.Errorf("an empty list encodes as %q, want Tag=", got)
	}
}

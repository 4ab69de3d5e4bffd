package query_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/emulator/protocol/query"
	"github.com/ecprov/ecprov/internal/apimodel"
)

func parse(t *testing.T, body string) query.Params {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/?Version=2015-02-02", strings.NewReader(body))
	p, err := query.Parse(r, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestList(t *testing.T) {
	tests := []struct {
		name, body, list string
		want             []string
	}{
		{"named members", "SubnetIds.SubnetIdentifier.2=b&SubnetIds.SubnetIdentifier.1=a", "SubnetIds", []string{"a", "b"}},
		{"member style", "UserGroupIds.member.1=x&UserGroupIds.member.10=z&UserGroupIds.member.2=y", "UserGroupIds", []string{"x", "y", "z"}},
		{"ec2 style", "SubnetId.1=subnet-1&SubnetId.2=subnet-2", "SubnetId", []string{"subnet-1", "subnet-2"}},
		{"security groups", "SecurityGroupIds.SecurityGroupId.1=sg-1", "SecurityGroupIds", []string{"sg-1"}},
		{"empty list", "SubnetIds=", "SubnetIds", []string{}},
		{"absent", "Other.1=x", "SubnetIds", nil},
		{"prefix is not a match", "SubnetIdsX.1=x", "SubnetIds", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parse(t, tc.body).List(tc.list)
			if !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Fatalf("List(%s) = %#v, want %#v", tc.list, got, tc.want)
			}
		})
	}
}

func TestStructs(t *testing.T) {
	p := parse(t, "Tags.Tag.1.Key=Project&Tags.Tag.1.Value=ecprov&Tags.Tag.2.Key=Env&Tags.Tag.2.Value=dev"+
		"&ParameterNameValues.ParameterNameValue.1.ParameterName=timeout&ParameterNameValues.ParameterNameValue.1.ParameterValue=300"+
		"&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-a&Filter.1.Value.2=vpc-b&Filter.2.Name=state&Filter.2.Value.1=available"+
		"&Items.member.1.Name=m1")
	tags := p.Structs("Tags")
	if len(tags) != 2 || tags[0].String("Key") != "Project" || tags[1].String("Value") != "dev" {
		t.Fatalf("tags = %+v", tags)
	}
	pnv := p.Structs("ParameterNameValues")
	if len(pnv) != 1 || pnv[0].String("ParameterName") != "timeout" || pnv[0].String("ParameterValue") != "300" {
		t.Fatalf("parameter name values = %+v", pnv)
	}
	filters := p.Structs("Filter")
	if len(filters) != 2 || filters[0].String("Name") != "vpc-id" || !slices.Equal(filters[0].List("Value"), []string{"vpc-a", "vpc-b"}) ||
		!slices.Equal(filters[1].List("Value"), []string{"available"}) {
		t.Fatalf("filters = %+v", filters)
	}
	if items := p.Structs("Items"); len(items) != 1 || items[0].String("Name") != "m1" {
		t.Fatalf("member-style structs = %+v", items)
	}
	if !p.Sent("Filter") || !p.Sent("Tags") || p.Sent("Tag") || p.Sent("Nothing") {
		t.Fatal("Sent misreports which structures were sent")
	}
}

func TestScalars(t *testing.T) {
	p := parse(t, "Action=CreateThing&Flag=TRUE&Off=false&N=7&Bad=x&When=2024-01-02T03:04:05Z")
	if p.Action() != "CreateThing" || p.String("Version") != "2015-02-02" {
		t.Fatalf("action %q version %q", p.Action(), p.String("Version"))
	}
	if b, err := p.Bool("Flag"); err != nil || b == nil || !*b {
		t.Fatalf("Flag = %v, %v", b, err)
	}
	if b, err := p.Bool("Off"); err != nil || b == nil || *b {
		t.Fatalf("Off = %v, %v", b, err)
	}
	if b, err := p.Bool("Missing"); err != nil || b != nil {
		t.Fatalf("Missing = %v, %v", b, err)
	}
	if _, err := p.Bool("Bad"); err == nil {
		t.Fatal("Bool(Bad) accepted x")
	}
	if n, err := p.Int("N"); err != nil || *n != 7 {
		t.Fatalf("N = %v, %v", n, err)
	}
	if _, err := p.Int("Bad"); err == nil {
		t.Fatal("Int(Bad) accepted x")
	}
	// The Query APIs' Integer is 32 bits.
	wide := parse(t, "Max=2147483647&Min=-2147483648&Over=2147483648&Huge=9223372036854775807")
	for name, ok := range map[string]bool{"Max": true, "Min": true, "Over": false, "Huge": false} {
		if _, err := wide.Int(name); (err == nil) != ok {
			t.Errorf("Int(%s) error %v, want ok %v", name, err, ok)
		}
	}
	if tm, err := p.Time("When"); err != nil || tm.Hour() != 3 {
		t.Fatalf("When = %v, %v", tm, err)
	}
}

func TestGETQueryString(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/?"+url.Values{"Action": {"DescribeThings"}, "Id.1": {"a"}}.Encode(), nil)
	p, err := query.Parse(r, nil)
	if err != nil || p.Action() != "DescribeThings" || !slices.Equal(p.List("Id"), []string{"a"}) {
		t.Fatalf("GET params: %v %v", p.Values(), err)
	}
}

type thing struct {
	Name  string   `xml:"Name"`
	Items []string `xml:"Items>Item"`
}

func TestWriteResult(t *testing.T) {
	w := httptest.NewRecorder()
	query.WriteResult(w, "DescribeThings", "urn:x", "req-1", struct {
		Things []thing `xml:"Things>Thing"`
	}{Things: []thing{{Name: "a<b", Items: []string{"1", "2"}}}})
	want := `<DescribeThingsResponse xmlns="urn:x"><DescribeThingsResult><Things><Thing><Name>a&lt;b</Name><Items><Item>1</Item><Item>2</Item></Items></Thing></Things></DescribeThingsResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DescribeThingsResponse>`
	if got := w.Body.String(); got != want {
		t.Fatalf("body =\n%s\nwant\n%s", got, want)
	}
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/xml" || w.Header().Get("x-amzn-RequestId") != "req-1" {
		t.Fatalf("status %d headers %v", w.Code, w.Header())
	}

	w = httptest.NewRecorder()
	query.WriteResult(w, "DeleteThing", "urn:x", "req-2", nil)
	if got := w.Body.String(); got != `<DeleteThingResponse xmlns="urn:x"><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteThingResponse>` {
		t.Fatalf("empty result body = %s", got)
	}
}

func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		status   int
		wantType string
	}{{400, "Sender"}, {404, "Sender"}, {503, "Receiver"}} {
		w := httptest.NewRecorder()
		query.WriteError(w, tc.status, "urn:x", "ThingNotFound", `no "thing" & more`, "req-3")
		var got struct {
			Error     struct{ Type, Code, Message string }
			RequestID string `xml:"RequestId"`
		}
		if err := xml.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if w.Code != tc.status || got.Error.Type != tc.wantType || got.Error.Code != "ThingNotFound" || got.Error.Message != `no "thing" & more` || got.RequestID != "req-3" {
			t.Fatalf("status %d: %+v", w.Code, got)
		}
	}
}

func TestEC2Dialect(t *testing.T) {
	w := httptest.NewRecorder()
	query.WriteEC2Result(w, "DescribeThings", "urn:ec2", "req-4", struct {
		Set []string `xml:"thingSet>item"`
	}{Set: []string{"a"}})
	want := `<DescribeThingsResponse xmlns="urn:ec2"><requestId>req-4</requestId><thingSet><item>a</item></thingSet></DescribeThingsResponse>`
	if got := w.Body.String(); got != want {
		t.Fatalf("body =\n%s\nwant\n%s", got, want)
	}

	w = httptest.NewRecorder()
	query.WriteEC2Error(w, 400, "InvalidThing.NotFound", "The thing 'x' does not exist", "req-5")
	var got struct {
		Code      string `xml:"Errors>Error>Code"`
		Message   string `xml:"Errors>Error>Message"`
		RequestID string `xml:"RequestID"`
	}
	body, _ := io.ReadAll(w.Body)
	if err := xml.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Code != "InvalidThing.NotFound" || got.RequestID != "req-5" || !strings.Contains(got.Message, "'x'") {
		t.Fatalf("ec2 error = %+v", got)
	}
}

func TestNewRequestID(t *testing.T) {
	a, b := query.NewRequestID(), query.NewRequestID()
	if a == b || len(a) != 36 || a[14] != '4' {
		t.Fatalf("request ids %q %q", a, b)
	}
}

// thingModel is a Query model in botocore's format.
const thingModel = `{"metadata":{"apiVersion":"2020-01-01","protocol":"query"},
 "operations":{"CreateThing":{"name":"CreateThing","input":{"shape":"CreateThingMessage"}}},
 "shapes":{"CreateThingMessage":{"type":"structure","required":["Name"],"members":{
     "Name":{"shape":"NameType"},"Tags":{"shape":"TagList"},"Mode":{"shape":"Mode"}}},
   "NameType":{"type":"string","max":5},
   "Mode":{"type":"string","enum":["on","off"]},
   "TagList":{"type":"list","member":{"shape":"Tag","locationName":"Tag"}},
   "Tag":{"type":"structure","members":{"Key":{"shape":"NameType"}}}}}`

func TestViolations(t *testing.T) {
	m := apimodel.MustParse([]byte(thingModel))
	tests := []struct{ body, want string }{
		{"Action=CreateThing&Name=abc&Tags.Tag.1.Key=k&Mode=on", ""},
		// Required members are the operation's to report (MissingParameter).
		{"Action=CreateThing", ""},
		{"Action=CreateThing&Name=abcdef", "1 validation error detected: Value 'abcdef' at 'name' failed to satisfy constraint: Member must have length less than or equal to 5"},
		{"Action=CreateThing&Tags.Tag.2.Key=abcdef&Mode=up", "2 validation errors detected: Value 'abcdef' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 5; " +
			"Value 'up' at 'mode' failed to satisfy constraint: Member must satisfy enum value set: [on, off]"},
		{"Action=OtherThing&Name=abcdef", ""},
	}
	for _, tt := range tests {
		vs := parse(t, tt.body).Violations(m, false)
		got := ""
		if len(vs) > 0 {
			got = apimodel.Message(vs)
		}
		if got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.body, got, tt.want)
		}
	}
	if vs := parse(t, "Action=CreateThing&Name=abcdef").Violations(nil, false); vs != nil {
		t.Errorf("no model, no checks: %v", vs)
	}
}

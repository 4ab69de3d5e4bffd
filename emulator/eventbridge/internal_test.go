package eventbridge

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// transformEvent is the event the transformer cases run against: the
// shape of a PutEvents entry whose detail has nested objects, lists and a
// boolean.
const transformEvent = `{"version": "0", "id": "b0f5b0e3-0000-4000-8000-000000000001", "detail-type": "core.update-account-command",
  "source": "core.update-account-command", "account": "000000000000", "time": "2026-03-01T12:00:00Z", "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
  "detail": {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
             "listsingle": ["HIGH"], "listmulti": ["ACTIVE", "INACTIVE"], "valid": true, "count": 3,
             "quoted": "say \"hi\"", "instance-id": "i-0123456789", "state": "RUNNING"}}`

var transformPaths = map[string]string{
	"userId":       "$.detail.payload.acc_id",
	"payload":      "$.detail.payload",
	"systemstring": "$.detail.awsAccountId", // not in the event
	"listsingle":   "$.detail.listsingle",
	"listmulti":    "$.detail.listmulti",
	"valid":        "$.detail.valid",
	"count":        "$.detail.count",
	"quoted":       "$.detail.quoted",
	"instance":     "$.detail.instance-id",
	"state":        "$.detail.state",
	"resource":     "$.resources[0]",
}

func newTransformContext(t *testing.T) *transformContext {
	t.Helper()
	ev := decode([]byte(transformEvent))
	if ev == nil {
		t.Fatal("test event does not decode")
	}
	return &transformContext{
		event: ev, eventJSON: compactJSON([]byte(transformEvent)),
		eventNoDetail: []byte(`{"id":"b0f5b0e3-0000-4000-8000-000000000001","detailType":"core.update-account-command"}`),
		ruleARN:       "arn:aws:events:us-east-2:123456789012:rule/example", ruleName: "example",
		ingestionTime: "2026-03-01T12:00:01Z",
	}
}

// TestInputTransformer checks templates against the examples of "Amazon
// EventBridge input transformation" (EventBridge user guide) and against
// what AWS delivers for the harder cases (objects and lists inside
// strings, missing paths, booleans), as recorded by calls to AWS.
func TestInputTransformer(t *testing.T) {
	tests := []struct {
		name     string
		template string
		want     string // exact output for string templates, JSON for the others
		json     bool
	}{
		// The guide's examples.
		{"guide: simple string", `"instance <instance> is in <state>"`, `"instance i-0123456789 is in RUNNING"`, false},
		{"guide: simple JSON", `{"instance" : <instance>, "state": <state>}`, `{"instance": "i-0123456789", "state": "RUNNING"}`, true},
		{"guide: JSON with strings and variables", `{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \"<instance>\" is in <state>"}`,
			`{"instance": "i-0123456789", "state": "RUNNING", "instanceStatus": "instance \"i-0123456789\" is in RUNNING"}`, true},
		{"guide: a mix of variables and static information", `{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}`,
			`{"instance": "i-0123456789", "state": [9, "RUNNING", true], "Transformed": "Yes"}`, true},
		{"guide: reserved variables in JSON", `{"instance" : <instance>, "ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>}`,
			`{"instance": "i-0123456789", "ruleArn": "arn:aws:events:us-east-2:123456789012:rule/example", "ruleName": "example"}`, true},
		{"guide: reserved variables in a string", `"<aws.events.rule-name> triggered"`, `"example triggered"`, false},
		{"guide: brackets and indices", `{"resource": <resource>}`, `{"resource": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}`, true},

		// AWS's output for nested values and lists.
		{"aws: object as a JSON value", `{"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>}`,
			`{"method": "PUT", "path": "users-service/users/0a787ecb-4015", "bod": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}`, true},
		{"aws: object inside a string template loses its quotes", `"Payload of <payload> with path users-service/users/<userId> and <userId>"`,
			`"Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/0a787ecb-4015 and 0a787ecb-4015"`, false},
		{"aws: unquoted string value is quoted", `{"id" : <userId>}`, `{"id": "0a787ecb-4015"}`, true},
		{"aws: quoted string value", `{"id" : "<userId>"}`, `{"id": "0a787ecb-4015"}`, true},
		{"aws: value in a list", `{"bod": [<userId>, "hardcoded"]}`, `{"bod": ["0a787ecb-4015", "hardcoded"]}`, true},
		{"aws: deep nesting", `{"nested": {"level1": {"level2": {"level3": "users-service/users/<userId>"} } }, "bod": "<userId>"}`,
			`{"nested": {"level1": {"level2": {"level3": "users-service/users/0a787ecb-4015"}}}, "bod": "0a787ecb-4015"}`, true},
		{"aws: single-item list in a string", `"<listsingle> single list item"`, `"[HIGH] single list item"`, false},
		{"aws: list in a string", `"<listmulti> multiple list items"`, `"[ACTIVE,INACTIVE] multiple list items"`, false},
		{"aws: list as a JSON value", `{"singlelistitem": <listsingle>}`, `{"singlelistitem": ["HIGH"]}`, true},
		{"aws: missing path inside a string", `"<systemstring> system account id <userId> user id"`, `" system account id 0a787ecb-4015 user id"`, false},
		{"aws: missing path as a JSON value", `{"command": <systemstring>}`, `{"command": ""}`, true},
		{"aws: repeated placeholder", `{"multi_replacement": "users/<userId>/second/<userId>"}`, `{"multi_replacement": "users/0a787ecb-4015/second/0a787ecb-4015"}`, true},
		{"aws: boolean in a string", `"Command is <valid>!"`, `"Command is true!"`, false},
		{"aws: number as a JSON value", `{"n": <count>}`, `{"n": 3}`, true},
		{"aws: special characters before the first placeholder", `"{[/Check for <state>"`, `"{[/Check for RUNNING"`, false},
		{"emulator: a quote in a value stays valid JSON", `{"m": "<quoted>"}`, `{"m": "say \"hi\""}`, true},
		{"emulator: ingestion time", `"at <aws.events.event.ingestion-time>"`, `"at 2026-03-01T12:00:01Z"`, false},
	}
	tc := newTransformContext(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := compileTransformer("t", &wireInputTransformer{InputPathsMap: transformPaths, InputTemplate: tt.template})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tr.render(tc)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if !tt.json {
				if string(got) != tt.want {
					t.Errorf("got  %s\nwant %s", got, tt.want)
				}
				return
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("output %s is not JSON: %v", got, err)
			}
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestInputTransformerNotDelivered covers templates AWS accepts but whose
// events it does not deliver: objects and lists inside strings of a JSON
// template.
func TestInputTransformerNotDelivered(t *testing.T) {
	tc := newTransformContext(t)
	for _, template := range []string{
		`{"not_valid": "users-service/users/<payload>", "bod": <payload>}`,
		`{"payload": "<payload>"}`,
		`{"singlelistitem": "<listsingle>"}`,
		`{"broken": <userId>`,
	} {
		tr, err := compileTransformer("t", &wireInputTransformer{InputPathsMap: transformPaths, InputTemplate: template})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := tr.render(tc); !errors.Is(err, errInvalidTransform) {
			t.Errorf("render(%s) = %s, %v; want errInvalidTransform", template, out, err)
		}
	}
}

func TestPredefinedEventVariables(t *testing.T) {
	tc := newTransformContext(t)
	tr, err := compileTransformer("t", &wireInputTransformer{InputTemplate: `{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}`})
	if err != nil {
		t.Fatal(err)
	}
	out, err := tr.render(tc)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		OriginalEvent     map[string]any
		OriginalEventJSON map[string]any `json:"originalEventJson"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.OriginalEvent["detailType"] != "core.update-account-command" || got.OriginalEvent["detail"] != nil {
		t.Errorf("<aws.events.event> = %v; want the envelope without detail", got.OriginalEvent)
	}
	if got.OriginalEventJSON["detail"] == nil || got.OriginalEventJSON["detail-type"] != "core.update-account-command" {
		t.Errorf("<aws.events.event.json> = %v; want the whole event", got.OriginalEventJSON)
	}
}

func TestCompileTransformerRejects(t *testing.T) {
	for _, tt := range []struct {
		paths    map[string]string
		template string
		msg      string
	}{
		{map[string]string{"a": "$.a"}, `"<a> and <notdefinedkey>"`, "InputTemplate for target t contains invalid placeholder notdefinedkey."},
		{map[string]string{"aws.events.rule-name": "$.a"}, `"<aws.events.rule-name>"`, "InputPathsMap for target t contains reserved key aws.events.rule-name."},
	} {
		_, err := compileTransformer("t", &wireInputTransformer{InputPathsMap: tt.paths, InputTemplate: tt.template})
		var ae *apiError
		if !errors.As(err, &ae) || ae.Code != "ValidationException" || ae.Message != tt.msg {
			t.Errorf("compileTransformer(%s) = %v, want ValidationException %q", tt.template, err, tt.msg)
		}
	}
}

func TestJSONPath(t *testing.T) {
	ev := decode([]byte(transformEvent))
	for _, tt := range []struct {
		path string
		want string // JSON; "" for not found
	}{
		{"$.detail.command", `"update-account"`},
		{"$.detail['instance-id']", `"i-0123456789"`},
		{`$["detail"]["payload"].sf_id`, `"baz"`},
		{"$.resources[0]", `"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"`},
		{"$.detail.listmulti[1]", `"INACTIVE"`},
		{"$.detail.count", `3`},
		{"$.resources[1]", ""},
		{"$.detail.nope", ""},
		{"$.detail.command.deeper", ""},
		{"detail.command", ""},
		{"$.", ""},
		{"$.detail[", ""},
	} {
		v, ok := jsonPath(ev, tt.path)
		got := ""
		if ok {
			got = string(marshal(v))
		}
		if got != tt.want {
			t.Errorf("jsonPath(%q) = %s, want %s", tt.path, got, tt.want)
		}
	}
	whole, ok := jsonPath(ev, "$")
	if !ok || whole.(map[string]any)["source"] != "core.update-account-command" {
		t.Errorf(`jsonPath("$") = %v`, whole)
	}
}

func TestCronNext(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		expr, from, want string // want "" for no next time
	}{
		{"cron(0 10 * * ? *)", "2026-03-01T09:30:00Z", "2026-03-01T10:00:00Z"},
		{"cron(0 10 * * ? *)", "2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z"},
		{"cron(0/15 * * * ? *)", "2026-03-01T10:07:30Z", "2026-03-01T10:15:00Z"},
		{"cron(*/20 * * * ? *)", "2026-03-01T10:41:00Z", "2026-03-01T11:00:00Z"},
		{"cron(5,35 14 * * ? *)", "2026-03-01T14:10:00Z", "2026-03-01T14:35:00Z"},
		{"cron(0 18 ? * MON-FRI *)", "2026-03-07T12:00:00Z", "2026-03-09T18:00:00Z"}, // Saturday to Monday
		{"cron(0/5 8-17 ? * MON-FRI *)", "2026-03-06T17:58:00Z", "2026-03-09T08:00:00Z"},
		{"cron(0 8 1 * ? *)", "2026-03-01T09:00:00Z", "2026-04-01T08:00:00Z"},
		{"cron(0 0 L * ? *)", "2026-02-10T00:00:00Z", "2026-02-28T00:00:00Z"},
		{"cron(0 0 LW * ? *)", "2026-02-10T00:00:00Z", "2026-02-27T00:00:00Z"},  // the 28th is a Saturday
		{"cron(0 9 15W * ? *)", "2026-03-01T00:00:00Z", "2026-03-16T09:00:00Z"}, // the 15th is a Sunday
		{"cron(0 9 15W * ? *)", "2026-08-01T00:00:00Z", "2026-08-14T09:00:00Z"}, // the 15th is a Saturday
		{"cron(0 2 ? * SAT#3 *)", "2026-03-01T00:00:00Z", "2026-03-21T02:00:00Z"},
		{"cron(0 0 ? * 6L *)", "2026-03-01T00:00:00Z", "2026-03-27T00:00:00Z"}, // last Friday
		{"cron(0 12 ? JAN,JUL 2 2027)", "2026-03-01T00:00:00Z", "2027-01-04T12:00:00Z"},
		{"cron(15 10 ? * 6L 2002-2005)", "2026-03-01T00:00:00Z", ""},
	}
	for _, tt := range tests {
		s, err := parseSchedule(tt.expr)
		if err != nil {
			t.Errorf("parseSchedule(%s): %v", tt.expr, err)
			continue
		}
		next, ok := s.next(at(tt.from))
		got := ""
		if ok {
			got = next.Format(time.RFC3339)
		}
		if got != tt.want {
			t.Errorf("%s after %s = %q, want %q", tt.expr, tt.from, got, tt.want)
		}
	}
}

func TestRateNext(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for expr, want := range map[string]time.Duration{"rate(1 minute)": time.Minute, "rate(5 minutes)": 5 * time.Minute, "rate(1 hour)": time.Hour, "rate(2 days)": 48 * time.Hour} {
		s, err := parseSchedule(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if next, _ := s.next(from); next.Sub(from) != want {
			t.Errorf("%s: next is %v after, want %v", expr, next.Sub(from), want)
		}
	}
}

func TestTargetKind(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:lambda:us-east-1:000000000000:function:relay":         "lambda",
		"arn:aws:lambda:us-east-1:000000000000:function:relay:live":    "lambda",
		"arn:aws:states:us-east-1:000000000000:stateMachine:reconcile": "states",
		"arn:aws:states:us-east-1:000000000000:execution:reconcile:x":  "",
		"arn:aws:sqs:us-east-1:000000000000:queue":                     "",
		"relay": "",
	} {
		if got := targetKind(arn); got != want {
			t.Errorf("targetKind(%s) = %q, want %q", arn, got, want)
		}
	}
}

package eventpattern_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/emulator/eventpattern"
)

// Events used by the cases below. Where a case names a page, the pattern
// and event come from that page of the Amazon EventBridge user guide:
//
//	[patterns]  "Amazon EventBridge event patterns"
//	[nulls]     "Matching null values and empty strings in Amazon EventBridge event patterns"
//	[arrays]    "Arrays in Amazon EventBridge event patterns"
//	[content]   "Content filtering in Amazon EventBridge event patterns"
//	[operators] "Comparison operators for use in event patterns in Amazon EventBridge"
//	[ruler]     the README of aws/event-ruler, the matcher EventBridge uses
//	[aws]       behaviour observed with TestEventPattern on AWS where it
//	            differs from, or goes beyond, the pages
const (
	// [patterns] "The following event shows a simple AWS event from Amazon EC2."
	ec2Terminated = `{
	  "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
	  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
	  "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
	  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
	  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}}`

	// [nulls] and [patterns] "Field matching".
	autoScaling = `{
	  "version": "0", "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
	  "detail-type": "EC2 Instance Launch Successful", "source": "aws.autoscaling",
	  "account": "123456789012", "time": "2015-11-11T21:31:47Z", "region": "us-east-1",
	  "resources": [], "detail": {"eventVersion": "", "responseElements": null}}`

	// [patterns] "Value matching", the truncated Macie event.
	macie = `{
	  "version": "0", "id": "3e355723-fca9-4de3-9fd7-154c289d6b59", "detail-type": "Macie Alert",
	  "source": "aws.macie", "account": "123456789012", "time": "2017-04-24T22:28:49Z", "region": "us-east-1",
	  "resources": ["arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id",
	                "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id"],
	  "detail": {"notification-type": "ALERT_CREATED", "name": "Scanning bucket policies",
	             "tags": ["Custom_Alert", "Insider"], "risk-score": 80,
	             "trigger": {"rule-arn": "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id",
	                         "alert-type": "basic", "risk": 8}}}`

	// [ruler] "Ruler by Example", the event the content-filtering examples
	// are written against.
	ruler = `{
	  "version": "0", "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
	  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
	  "account": "012345679012", "time": "2017-10-02T16:24:49Z", "region": "us-east-1",
	  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
	  "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33",
	             "instance-id": "i-000000aaaaaa00000", "state": "running"}}`
)

// detail wraps a detail object into a minimal event.
func detail(d string) string {
	return `{"version": "0", "id": "1", "detail-type": "test", "source": "test.source",
	  "account": "123456789012", "time": "2022-07-13T13:48:01Z", "region": "us-east-2",
	  "resources": [], "detail": ` + d + `}`
}

func TestMatches(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		event   string
		want    bool
	}{
		// [patterns]
		{"patterns: EC2 instance-termination events", `{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["terminated"]}}`, ec2Terminated, true},
		{"patterns: other state", `{"source": ["aws.ec2"], "detail": {"state": ["running"]}}`, ec2Terminated, false},
		{"patterns: match values are OR", `{"source": ["aws.ec2", "aws.fargate"]}`, ec2Terminated, true},
		{"patterns: no value of the list", `{"source": ["aws.fargate", "aws.lambda"]}`, ec2Terminated, false},
		{"patterns: all fields must match (AND)", `{"source": ["aws.ec2"], "region": ["eu-west-1"]}`, ec2Terminated, false},
		{"patterns: strings are case-sensitive", `{"source": ["AWS.EC2"]}`, ec2Terminated, false},
		{"patterns: no normalisation of whitespace", `{"source": ["aws.ec2 "]}`, ec2Terminated, false},
		{"patterns: field must exist", `{"detail": {"instance-type": ["t3.micro"]}}`, ec2Terminated, false},
		{"patterns: field must have the same nesting", `{"state": ["terminated"]}`, ec2Terminated, false},
		{"patterns: field matching on null", `{"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance Launch Successful"], "detail": {"responseElements": [null]}}`, autoScaling, true},
		{"patterns: value matching on numbers", `{"source": ["aws.macie"], "detail-type": ["Macie Alert"], "detail": {"risk-score": [80], "trigger": {"risk": [8]}}}`, macie, true},
		{"patterns: other number", `{"detail": {"risk-score": [81]}}`, macie, false},
		{"patterns: a string is not the number", `{"detail": {"risk-score": ["80"]}}`, macie, false},
		{"aws: [300] matches 300.0", `{"number": [300]}`, `{"number": 300.0}`, true},
		{"aws: [300] does not match 301", `{"number": [300]}`, `{"number": 301}`, false},
		{"patterns: true", `{"flag": [true]}`, `{"flag": true}`, true},
		{"patterns: false is not true", `{"flag": [false]}`, `{"flag": true}`, false},
		{"patterns: the string \"true\" is not true", `{"flag": ["true"]}`, `{"flag": true}`, false},
		{"aws: unicode strings match exactly", `{"s": ["A CamelCase string with an emoji 🚀 "]}`, `{"s": "A CamelCase string with an emoji 🚀 "}`, true},
		{"aws: detail given as a JSON string is not an object", `{"detail": {"my-key": ["my-value"]}}`, `{"detail": "{\"my-key\": \"my-value\"}"}`, false},

		// [nulls]
		{"nulls: empty string", `{"detail": {"eventVersion": [""]}}`, autoScaling, true},
		{"nulls: null", `{"detail": {"responseElements": [null]}}`, autoScaling, true},
		{"nulls: empty string does not match null", `{"detail": {"responseElements": [""]}}`, autoScaling, false},
		{"nulls: null does not match empty string", `{"detail": {"eventVersion": [null]}}`, autoScaling, false},
		{"nulls: null does not match the string null", `{"x": [null]}`, `{"x": "null"}`, false},
		{"nulls: null does not match an empty array", `{"resources": [null]}`, autoScaling, false},

		// [arrays]
		{"arrays: intersection with the event array", `{"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f", "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f", "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`,
			`{"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate", "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
		{"arrays: empty intersection", `{"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`,
			`{"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate"]}`, false},
		{"arrays: tags of the Macie alert", `{"detail": {"tags": ["Insider"]}}`, macie, true},
		{"ruler: objects in an array are crushed out", `{"employees": {"firstName": ["Anna"]}}`,
			`{"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}`, true},
		{"ruler: fields of one array element match together", `{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}`,
			`{"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}]}`, true},
		{"ruler: fields from different array elements do not", `{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}`,
			`{"employees": [{"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}`, false},
		{"ruler: multi-level arrays", `{"employees": {"firstName": ["Peter"]}}`,
			`{"employees": [[{"firstName": "John"}, {"firstName": "Anna"}], [{"firstName": "Peter"}]]}`, true},
		{"aws: exists inside an array of objects", `{"detail": {"automations": {"id": [{"exists": true}]}}}`,
			detail(`{"automations": [{"key1": "value1"}, {"id": "match-does-exist"}, {"key2": "value2"}]}`), true},

		// [content] prefix
		{"content: prefix on time", `{"time": [{"prefix": "2017-10-02"}]}`, ruler, true},
		{"content: prefix does not match", `{"time": [{"prefix": "2017-10-03"}]}`, ruler, false},
		{"content: prefix example, Auto Scaling events from Europe", `{"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]}`, strings.Replace(autoScaling, `"us-east-1"`, `"eu-west-1"`, 1), true},
		{"content: prefix is case-sensitive", `{"region": [{"prefix": "US-"}]}`, ruler, false},
		{"content: prefix only works on strings", `{"detail": {"x-limit": [{"prefix": "301"}]}}`, ruler, false},
		{"content: prefix equals-ignore-case", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`, detail(`{"service": "eventbridge"}`), true},
		{"content: prefix equals-ignore-case, upper case value", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`, detail(`{"service": "EVENTBRIDGE"}`), true},
		{"content: prefix equals-ignore-case, other prefix", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`, detail(`{"service": "ebridge"}`), false},

		// [content] suffix
		{"content: suffix", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.png"}`, true},
		{"content: suffix is case-sensitive", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.PNG"}`, false},
		{"content: suffix equals-ignore-case", `{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}`, detail(`{"FileName": "image.PNG"}`), true},
		{"content: suffix equals-ignore-case, other suffix", `{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}`, detail(`{"FileName": "image.jpg"}`), false},

		// [content] anything-but
		{"content: anything-but string", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, ruler, true},
		{"content: anything-but string, excluded value", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, detail(`{"state": "initializing"}`), false},
		{"aws: anything-but needs the field", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, detail(`{}`), false},
		{"aws: anything-but matches null", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, detail(`{"state": null}`), true},
		{"content: anything-but number", `{"detail": {"x-limit": [{"anything-but": 123}]}}`, ruler, true},
		{"content: anything-but number, excluded value", `{"detail": {"x-limit": [{"anything-but": 123}]}}`, detail(`{"x-limit": 123}`), false},
		{"aws: anything-but 0", `{"detail": {"x-limit": [{"anything-but": 0}]}}`, detail(`{"x-limit": 789}`), true},
		{"ruler: anything-but number does not exclude a string", `{"detail": {"x-limit": [{"anything-but": 123}]}}`, detail(`{"x-limit": "123"}`), true},
		{"content: anything-but list of strings", `{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}`, ruler, true},
		{"content: anything-but list of strings, excluded", `{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}`, detail(`{"state": "overloaded"}`), false},
		{"content: anything-but list of numbers", `{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}`, ruler, true},
		{"content: anything-but list of numbers, excluded", `{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}`, detail(`{"x-limit": 200}`), false},
		{"ruler: anything-but numbers compare values", `{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}`, detail(`{"x-limit": 3.0e2}`), false},
		{"content: anything-but prefix", `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`, ruler, true},
		{"content: anything-but prefix, excluded", `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`, detail(`{"state": "initializing"}`), false},
		{"content: only your own events (source not aws.)", `{"source": [{"anything-but": {"prefix": "aws."}}]}`, detail(`{}`), true},
		{"content: only your own events, AWS event", `{"source": [{"anything-but": {"prefix": "aws."}}]}`, ruler, false},
		{"aws: anything-but prefix list", `{"detail": {"state": [{"anything-but": {"prefix": ["init", "post"]}}]}}`, detail(`{"state": "post-init"}`), false},
		{"aws: anything-but prefix matches numbers", `{"detail": {"state": [{"anything-but": {"prefix": ["init", "test"]}}]}}`, detail(`{"state": 12}`), true},
		{"operators: anything-but suffix", `{"FileName": [{"anything-but": {"suffix": ".png"}}]}`, `{"FileName": "image.jpg"}`, true},
		{"operators: anything-but suffix, excluded", `{"FileName": [{"anything-but": {"suffix": ".png"}}]}`, `{"FileName": "image.png"}`, false},
		{"aws: anything-but suffix list", `{"detail": {"FileName": [{"anything-but": {"suffix": [".txt", ".jpg"]}}]}}`, detail(`{"FileName": "file.txt.bak"}`), true},
		{"operators: anything-but equals-ignore-case", `{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}`, `{"state": "INITIALIZING"}`, false},
		{"operators: anything-but equals-ignore-case, other value", `{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}`, `{"state": "pending"}`, true},
		{"aws: anything-but equals-ignore-case list", `{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["initializing", "stopped"]}}]}}`, detail(`{"state": "Stopped"}`), false},
		{"operators: anything-but wildcard", `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`, `{"FilePath": "/usr/bin/env"}`, true},
		{"operators: anything-but wildcard, excluded", `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`, `{"FilePath": "/usr/lib/libc.so"}`, false},
		{"aws: anything-but wildcard list", `{"detail": {"state": [{"anything-but": {"wildcard": ["*/init/*", "*/dir/*"]}}]}}`, detail(`{"state": "dir/init/dir"}`), false},
		{"ruler: anything-but on an array value needs one value outside", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, detail(`{"state": ["initializing", "running"]}`), true},
		{"ruler: anything-but on an array of excluded values", `{"detail": {"state": [{"anything-but": ["initializing", "running"]}]}}`, detail(`{"state": ["initializing", "running"]}`), false},

		// [content] numeric
		{"content: numeric, all fields", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}}`, ruler, true},
		{"content: numeric, c-count out of range", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}}`, strings.Replace(ruler, `"c-count": 5`, `"c-count": 42`, 1), false},
		{"content: numeric lower bound is open", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}`, detail(`{"c-count": 0}`), false},
		{"content: numeric upper bound is closed", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}`, detail(`{"c-count": 5.0}`), true},
		{"content: numeric >=", `{"n": [{"numeric": [">=", 10]}]}`, `{"n": 10}`, true},
		{"content: numeric <", `{"n": [{"numeric": ["<", 10]}]}`, `{"n": 10}`, false},
		{"content: numeric >= and <", `{"n": [{"numeric": [">=", -1.5, "<", 1e2]}]}`, `{"n": -1.5}`, true},
		{"aws: numeric, float event value", `{"number": [{"numeric": [">", 100]}]}`, `{"number": 101.0}`, true},
		{"aws: numeric needs a JSON number, not a string", `{"number": [{"numeric": [">", 100]}]}`, `{"number": "300"}`, false},
		{"aws: numeric does not match null", `{"number": [{"numeric": [">", 100]}]}`, `{"number": null}`, false},
		{"ruler: numeric on an array", `{"n": [{"numeric": [">", 100]}]}`, `{"n": [1, 2, 300]}`, true},

		// [content] IP address
		{"content: cidr", `{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}`, ruler, true},
		{"content: cidr, last address of the block", `{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}`, detail(`{"sourceIPAddress": "10.0.0.255"}`), true},
		{"content: cidr, outside the block", `{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}`, detail(`{"sourceIPAddress": "10.0.1.0"}`), false},
		{"aws: cidr, not an address", `{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}`, detail(`{"sourceIPAddress": "10.0.0.256"}`), false},
		{"aws: cidr, a number", `{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}`, detail(`{"sourceIPAddress": 123}`), false},
		{"aws: cidr IPv6", `{"detail": {"sourceIPAddress": [{"cidr": "2001:db8:1234:1a00::/64"}]}}`, detail(`{"sourceIPAddress": "2001:0db8:1234:1a00:0000:0000:0000:0000"}`), true},
		{"aws: cidr IPv6, outside", `{"detail": {"sourceIPAddress": [{"cidr": "2001:db8:1234:1a00::/64"}]}}`, detail(`{"sourceIPAddress": "2001:0db8:123f:1a01:0000:0000:0000:0000"}`), false},

		// [content] exists
		{"content: exists false, field absent", `{"detail": {"c-count": [{"exists": false}]}}`, ec2Terminated, true},
		{"content: exists false, field present", `{"detail": {"c-count": [{"exists": false}]}}`, ruler, false},
		{"content: exists false, c-count is not a leaf", `{"detail": {"c-count": [{"exists": false}]}}`, detail(`{"state": ["initializing", "running"], "c-count": {"c1": 100}}`), true},
		{"content: exists true", `{"detail": {"description": [{"exists": true}]}}`, detail(`{"description": "x"}`), true},
		{"content: exists true, field absent", `{"detail": {"description": [{"exists": true}]}}`, detail(`{}`), false},
		{"aws: exists true on an object", `{"dynamodb": {"presentKey": [{"exists": true}]}}`, `{"dynamodb": {"presentKey": {"S": "test123"}}}`, false},
		{"aws: exists true on a leaf below", `{"dynamodb": {"presentKey": {"S": [{"exists": true}]}}}`, `{"dynamodb": {"presentKey": {"S": "test123"}}}`, true},
		{"aws: exists true on an empty array", `{"resources": [{"exists": true}]}`, autoScaling, false},
		{"aws: exists true on null", `{"detail": {"responseElements": [{"exists": true}]}}`, autoScaling, true},
		{"aws: exists false below a missing parent", `{"detail": {"level1": {"level2:": {"level3": {"level4": [{"exists": false}]}}}}}`, detail(`{"level1": {"level2": "l2 value"}}`), true},
		{"aws: exists false on a present deep leaf", `{"detail": {"level1": {"level2": {"level3": {"level4": [{"exists": false}]}}}}}`, detail(`{"level1": {"level2": {"level3": {"level4": "l4 value"}}}}`), false},
		{"aws: anything-but or exists false, field absent", `{"dynamodb": {"NewImage": {"homemade": {"S": [{"anything-but": ["roses"]}, {"exists": false}]}}}}`, `{"dynamodb": {"NewImage": {"purchased": {"N": "789"}}}}`, true},
		{"aws: several expressions in one list", `{"my_key": [{"exists": true}, {"prefix": "IGNORED"}, {"suffix": "IGNORED"}]}`, `{"my_key": "my-value"}`, true},
		{"aws: numeric or anything-but on a string", `{"N": [{"numeric": [">", 100]}, {"anything-but": "101"}]}`, `{"N": "42"}`, true},
		{"aws: numeric or anything-but, both fail", `{"N": [{"numeric": [">", 100]}, {"anything-but": "101"}]}`, `{"N": "101"}`, false},

		// [operators] equals-ignore-case, empty, begins/ends with
		{"operators: equals-ignore-case", `{"Name": [{"equals-ignore-case": "alice"}]}`, `{"Name": "Alice"}`, true},
		{"operators: equals-ignore-case, other name", `{"Name": [{"equals-ignore-case": "alice"}]}`, `{"Name": "Alicia"}`, false},
		{"aws: equals-ignore-case on an array value", `{"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}`, `{"detail-type": ["EC2 Instance State-change Notification"]}`, true},
		{"aws: equals-ignore-case empty string", `{"detail": {"value": [{"equals-ignore-case": ""}]}}`, detail(`{"value": ""}`), true},
		{"operators: empty", `{"LastName": [""]}`, `{"LastName": ""}`, true},
		{"operators: begins with", `{"Region": [{"prefix": "us-"}]}`, `{"Region": "us-east-1"}`, true},

		// [content] wildcard
		{"content: wildcard dir/*.png", `{"EventBusArn": [{"wildcard": "dir/*.png"}]}`, `{"EventBusArn": "dir/heartbeat.png"}`, true},
		{"content: wildcard crosses slashes", `{"f": [{"wildcard": "dir/*.png"}]}`, `{"f": "dir/a/b.png"}`, true},
		{"content: wildcard, other extension", `{"f": [{"wildcard": "dir/*.png"}]}`, `{"f": "dir/heartbeat.jpg"}`, false},
		{"aws: wildcard in an ARN", `{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus"}`, true},
		{"aws: wildcard in an ARN, other region", `{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn": "arn:aws:events:eu-west-1:123456789012:event-bus/myEventBus"}`, false},
		{"aws: wildcard with a repeating tail", `{"FileName": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}`, `{"FileName": "/Users/ls_user/dir/dir/dir/dir/dir/doc.txt"}`, true},
		{"aws: wildcard with a repeating tail, one differs", `{"FileName": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}`, `{"FileName": "/Users/ls_user/dir/dir/dir/dir/otherdir/doc.txt"}`, false},
		{"aws: empty wildcard matches only the empty string", `{"EventBusArn": [{"wildcard": ""}]}`, `{"EventBusArn": "x"}`, false},
		{"ruler: wildcard with several stars", `{"source": [{"wildcard": "Simple*Service*"}]}`, `{"source": "Simple Notification Service (SNS)"}`, true},
		{"ruler: escaped star is literal", `{"s": [{"wildcard": "a\\*b"}]}`, `{"s": "a*b"}`, true},
		{"ruler: escaped star does not match other text", `{"s": [{"wildcard": "a\\*b"}]}`, `{"s": "axb"}`, false},
		{"ruler: escaped backslash", `{"s": [{"wildcard": "a\\\\*"}]}`, `{"s": "a\\bc"}`, true},
		{"ruler: wildcard only matches strings", `{"n": [{"wildcard": "1*"}]}`, `{"n": 12}`, false},

		// [content] complex examples and $or
		{"content: complex example", `{"time": [{"prefix": "2017-10-02"}], "detail": {"state": [{"anything-but": "initializing"}], "c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"anything-but": [100, 200, 300]}]}}`, ruler, true},
		{"content: complex example, x-limit excluded", `{"time": [{"prefix": "2017-10-02"}], "detail": {"state": [{"anything-but": "initializing"}], "c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"anything-but": [100, 200, 300]}]}}`, strings.Replace(ruler, "301.8", "300", 1), false},
		{"content: $or of numeric conditions", `{"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}, {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}}`, detail(`{"c-count": 0, "d-count": 0, "x-limit": 9.018e2}`), true},
		{"content: $or, no alternative holds", `{"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}, {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}}`, detail(`{"c-count": 0, "d-count": 10, "x-limit": 9.018e2}`), false},
		{"ruler: source && (metricName || namespace), metricName", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}`, `{"source": "aws.cloudwatch", "metricName": "ReadLatency"}`, true},
		{"ruler: source && (metricName || namespace), namespace", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}`, `{"source": "aws.cloudwatch", "namespace": "AWS/ES"}`, true},
		{"ruler: source && (metricName || namespace), neither", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}`, `{"source": "aws.cloudwatch", "namespace": "AWS/Lambda"}`, false},
		{"ruler: source && (metricName || namespace), other source", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}`, `{"source": "aws.ec2", "metricName": "ReadLatency"}`, false},
		{"ruler: parallel $or", `{"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}], "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}}`, `{"namespace": "AWS/EC2", "detail": {"detail-type": "CloudWatch Alarm State Change"}}`, true},
		{"ruler: parallel $or, second group fails", `{"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}], "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}}`, `{"namespace": "AWS/EC2", "detail": {"detail-type": "other"}}`, false},
		{"ruler: $or with an AND inside", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]}, {"scope": ["Service"]}]}`, `{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2"}`, true},
		{"ruler: $or with an AND inside, half of the AND", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]}, {"scope": ["Service"]}]}`, `{"source": "aws.cloudwatch", "metricType": "MetricType"}`, false},
		{"ruler: nested $or", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}]}`, `{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2", "spaceId": 1000}`, true},
		{"ruler: nested $or, inner fails", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}]}`, `{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2", "spaceId": 1001}`, false},
		{"aws: a repeated key overrides the first", `{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}`, detail(`{"location": "eu-central-1"}`), true},

		// Events that are not objects match nothing.
		{"an event that is not JSON", `{"source": ["aws.ec2"]}`, `not json`, false},
		{"an event that is an array", `{"source": ["aws.ec2"]}`, `[{"source": "aws.ec2"}]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := eventpattern.Compile(tt.pattern)
			if err != nil {
				t.Fatalf("Compile(%s): %v", tt.pattern, err)
			}
			if got := p.Matches([]byte(tt.event)); got != tt.want {
				t.Errorf("pattern %s\nevent %s\nMatches = %v, want %v", tt.pattern, tt.event, got, tt.want)
			}
		})
	}
}

func TestCompileRejects(t *testing.T) {
	tests := []struct {
		pattern string
		reason  string // the Reason; AWS's message is "Event pattern is not valid. Reason: " + reason
	}{
		{`["not", "a", "dict", "but valid json"]`, "Filter is not an object"},
		{`"just a string"`, "Filter is not an object"},
		{`{"int": 42}`, `"int" must be an object or an array`},
		{`{"string": "my-value"}`, `"string" must be an object or an array`},
		{`{"resources": []}`, "Empty arrays are not allowed"},
		{`{}`, "Empty objects are not allowed"},
		{`{"detail": {}}`, "Empty objects are not allowed"},
		{`{"a": [["x"]]}`, "Match value must be String, number, true, false, or null"},
		{`{"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}`, "Unrecognized match type NUMERIC"},
		{`{"my_key": [{"EXISTS": true}]}`, "Unrecognized match type EXISTS"},
		{`{"a": [{}]}`, "Match expression name not found"},
		{`{"time": [{"prefix": ["2022-07-13"]}]}`, "prefix match pattern must be a string"},
		{`{"time": [{"prefix": 123}]}`, "prefix match pattern must be a string"},
		{`{"FileName": [{"suffix": [".png"]}]}`, "suffix match pattern must be a string"},
		{`{"a": [{"prefix": {"wildcard": "x"}}]}`, "Unsupported prefix pattern: wildcard"},
		{`{"detail-type": [{"equals-ignore-case": ["ec2"]}]}`, "equals-ignore-case match pattern must be a string"},
		{`{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}`, "equals-ignore-case match pattern must be a string"},
		{`{"a": [{"prefix": "x", "suffix": "y"}]}`, "Only one key allowed in match expression"},
		{`{"detail": {"c-count": [{"numeric": 10}]}}`, "Value of numeric must be an array."},
		{`{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}`, "Bad numeric range operator: >"},
		{`{"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}}`, "Value of < must be numeric"},
		{`{"a": [{"numeric": ["=", "5"]}]}`, "Value of equals must be numeric"},
		{`{"a": [{"numeric": ["<", 5, ">", 1]}]}`, "Too many elements in numeric expression"},
		{`{"a": [{"numeric": ["!", 5]}]}`, "Unrecognized numeric range operator: !"},
		{`{"a": [{"numeric": [">", 1, "<", 5, "<", 6]}]}`, "Too many terms in numeric range expression"},
		{`{"a": [{"numeric": [">", 5, "<", 1]}]}`, "Bottom must be less than top"},
		{`{"detail": {"state": [{"anything-but": null}]}}`, "Value of anything-but must be an array or single string/number value."},
		{`{"detail": {"state": [{"anything-but": ["stopped", null]}]}}`, "Inside anything but list, start|null|boolean is not supported."},
		{`{"a": [{"anything-but": ["x", 1]}]}`, "Inside anything but list, either all values are number or string, mixed type is not supported"},
		{`{"detail": {"FileName": [{"anything-but": {"prefix": ""}}]}}`, "Null prefix/suffix not allowed"},
		{`{"detail": {"FileName": [{"anything-but": {"suffix": ""}}]}}`, "Null prefix/suffix not allowed"},
		{`{"detail": {"state": [{"anything-but": {"prefix": 123}}]}}`, "prefix/suffix match pattern must be a string"},
		{`{"detail": {"state": [{"anything-but": {"prefix": [123, "test"]}}]}}`, "prefix/suffix match pattern must be a string"},
		{`{"detail": {"FileName": [{"anything-but": {"suffix": {"equals-ignore-case": ".png"}}}]}}`, "Value of anything-but must be an array or single string/number value."},
		{`{"detail": {"state": [{"anything-but": {"equals-ignore-case": 123}}]}}`, "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."},
		{`{"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}}`, "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."},
		{`{"detail": {"FilePath": [{"anything-but": {"wildcard": 123}}]}}`, "wildcard match pattern must be a string"},
		{`{"a": [{"anything-but": {"regex": "x"}}]}`, "Unsupported anything-but pattern: regex"},
		{`{"a": [{"exists": "yes"}]}`, "exists match pattern must be either true or false."},
		{`{"detail": {"sourceIPAddress": [{"cidr": "bad-filter"}]}}`, "Malformed CIDR, one '/' required"},
		{`{"detail": {"sourceIPAddress": [{"cidr": "bad-/64filter"}]}}`, "Malformed CIDR, mask bits must be an integer"},
		{`{"detail": {"sourceIPAddress": [{"cidr": "xx.11.xx/8"}]}}`, "Nonstandard IP address: xx.11.xx"},
		{`{"detail": {"sourceIPAddress": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}}`, "Nonstandard IP address: xxxx:db8:1234:1a00::"},
		{`{"detail": {"sourceIPAddress": [{"cidr": ["bad-type"]}]}}`, "prefix match pattern must be a string"},
		{`{"a": [{"cidr": "10.0.0.1/32"}]}`, "IPv4 mask bits must be < 32"},
		{`{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}`, "Consecutive wildcard characters at pos 26"},
		{`{"EventBusArn": [{"wildcard": ["arn:aws:events:us-east-1:*:event-bus/*"]}]}`, "wildcard match pattern must be a string"},
		{`{"EventBusArn": [{"wildcard": 123}]}`, "wildcard match pattern must be a string"},
		{`{"s": [{"wildcard": "a\\b"}]}`, "Invalid escape character at pos 2"},
		{`{"EventBusArn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}`, "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"},
		{`{"$or": [{"a": ["x"]}]}`, "There must have at least 2 Objects in $or relationship."},
		{`{"$or": {"a": ["x"]}}`, "It must be an Array followed with $or."},
		{`{"$or": [{"a": ["x"]}, ["b"]]}`, "Only JSON object is allowed in array of $or relationship."},
		{`{"$or": [{"prefix": ["x"]}, {"b": ["y"]}]}`, "prefix is Ruler reserved fieldName which cannot be used inside $or."},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := eventpattern.Compile(tt.pattern)
			if err == nil {
				t.Fatalf("Compile accepted %s (%v); want %q", tt.pattern, p, tt.reason)
			}
			var perr *eventpattern.Error
			if !errors.As(err, &perr) {
				t.Fatalf("error is %T, want *eventpattern.Error", err)
			}
			if perr.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", perr.Reason, tt.reason)
			}
			if want := "Event pattern is not valid. Reason: " + tt.reason; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestCompileRejectsMalformedJSON(t *testing.T) {
	for _, pattern := range []string{
		`this is valid json but not a dict`,
		`{'bad': 'quotation'}`,
		`{"not": closed mark"`,
		`{"source": ["aws.ec2"]`,
		`{"source": ["aws.ec2"]} {"x": ["y"]}`,
		``,
	} {
		_, err := eventpattern.Compile(pattern)
		var perr *eventpattern.Error
		if !errors.As(err, &perr) {
			t.Errorf("Compile(%q) = %v, want an *eventpattern.Error", pattern, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "Event pattern is not valid. Reason: ") {
			t.Errorf("Compile(%q) error %q lacks AWS's prefix", pattern, err)
		}
	}
}

// TestMatchesValue checks the decoded-event entry point that the
// EventBridge emulator uses, including a value decoded without UseNumber.
func TestMatchesValue(t *testing.T) {
	p := eventpattern.MustCompile(`{"detail": {"n": [{"numeric": [">", 1]}], "m": [2]}}`)
	event := map[string]any{"detail": map[string]any{"n": float64(3), "m": float64(2)}}
	if !p.MatchesValue(event) {
		t.Error("MatchesValue with float64 numbers = false, want true")
	}
	event["detail"].(map[string]any)["n"] = float64(0)
	if p.MatchesValue(event) {
		t.Error("MatchesValue with n=0 = true, want false")
	}
	if p.MatchesValue([]any{event}) {
		t.Error("MatchesValue of an array = true, want false")
	}
}

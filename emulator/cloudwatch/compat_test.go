package cloudwatch_test

// Compatibility with clients other than the Go SDK: the AWS CLI (JSON 1.0),
// and moto as a second opinion on what the responses hold.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecprov/ecprov/emulator/cloudwatch"
	"github.com/ecprov/ecprov/emulator/internal/awscli"
	"github.com/ecprov/ecprov/emulator/server"
)

var alarmArgs = []string{"cloudwatch", "put-metric-alarm", "--alarm-name", "rg-001-evictions",
	"--namespace", "AWS/ElastiCache", "--metric-name", "Evictions", "--statistic", "Sum",
	"--period", "60", "--evaluation-periods", "1", "--threshold", "100",
	"--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "notBreaching",
	"--dimensions", "Name=CacheClusterId,Value=rg-001", "--alarm-actions", "arn:aws:sns:us-east-1:000000000000:ops"}

func TestAWSCLI(t *testing.T) {
	awscli.Require(t)
	svc := cloudwatch.New(cloudwatch.Options{})
	ts := httptest.NewServer(server.New(nil, svc))
	defer ts.Close()
	cli := func(args ...string) (map[string]any, string, int) { return awscli.Run(t, ts.URL, args...) }

	if _, stderr, code := cli(alarmArgs...); code != 0 {
		t.Fatalf("put-metric-alarm: exit %d: %s", code, stderr)
	}
	out, stderr, code := cli("cloudwatch", "describe-alarms", "--alarm-names", "rg-001-evictions")
	alarms, _ := out["MetricAlarms"].([]any)
	if code != 0 || len(alarms) != 1 {
		t.Fatalf("describe-alarms: exit %d %v %s", code, out, stderr)
	}
	a := alarms[0].(map[string]any)
	for field, want := range map[string]any{
		"AlarmName": "rg-001-evictions", "AlarmArn": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:rg-001-evictions",
		"StateValue": "INSUFFICIENT_DATA", "Period": 60.0, "Threshold": 100.0, "Statistic": "Sum",
		"ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching", "ActionsEnabled": true,
		"Dimensions": `[map[Name:CacheClusterId Value:rg-001]]`, "AlarmActions": "[arn:aws:sns:us-east-1:000000000000:ops]",
	} {
		got := a[field]
		if _, isString := want.(string); isString && strings.HasPrefix(want.(string), "[") {
			got = fmt.Sprint(got)
		}
		if got != want {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	if ts, ok := a["StateUpdatedTimestamp"].(float64); !ok || time.Since(time.Unix(int64(ts), 0)) > time.Minute {
		t.Errorf("StateUpdatedTimestamp = %v, want epoch seconds of about now", a["StateUpdatedTimestamp"])
	}

	// Metric data in, metric data out: timestamps cross the wire both ways.
	now := time.Now().UTC()
	if _, stderr, code := cli("cloudwatch", "put-metric-data", "--namespace", "ecprov/test", "--metric-name", "Latency",
		"--value", "7", "--timestamp", now.Format(time.RFC3339)); code != 0 {
		t.Fatalf("put-metric-data: exit %d: %s", code, stderr)
	}
	queries := `[{"Id":"l","MetricStat":{"Metric":{"Namespace":"ecprov/test","MetricName":"Latency"},"Period":60,"Stat":"Maximum"}}]`
	out, stderr, code = cli("cloudwatch", "get-metric-data", "--metric-data-queries", queries,
		"--start-time", now.Add(-5*time.Minute).Format(time.RFC3339), "--end-time", now.Add(5*time.Minute).Format(time.RFC3339))
	results, _ := out["MetricDataResults"].([]any)
	if code != 0 || len(results) != 1 || fmt.Sprint(results[0].(map[string]any)["Values"]) != "[7]" {
		t.Errorf("get-metric-data: exit %d %v %s", code, out, stderr)
	}

	errTests := []struct {
		args []string
		want string
	}{
		{append(slices.Clone(alarmArgs), "--period", "20"),
			"An error occurred (ValidationError) when calling the PutMetricAlarm operation: Period must be 10, 30 or a multiple of 60"},
		{[]string{"cloudwatch", "set-alarm-state", "--alarm-name", "nope", "--state-value", "OK", "--state-reason", "x"},
			"An error occurred (ResourceNotFound) when calling the SetAlarmState operation: Alarm nope not found"},
	}
	for _, tt := range errTests {
		_, stderr, code := cli(tt.args...)
		if code == 0 || stderr != tt.want {
			t.Errorf("aws %s: exit %d\n got stderr %q\nwant %q", strings.Join(tt.args[:2], " "), code, stderr, tt.want)
		}
	}

	if _, stderr, code := cli("cloudwatch", "delete-alarms", "--alarm-names", "rg-001-evictions"); code != 0 {
		t.Fatalf("delete-alarms: exit %d: %s", code, stderr)
	}
	out, _, _ = cli("cloudwatch", "describe-alarms")
	if alarms, _ := out["MetricAlarms"].([]any); len(alarms) != 0 {
		t.Errorf("alarms left after delete-alarms: %v", alarms)
	}
}

func startMoto(t *testing.T) string {
	t.Helper()
	if err := exec.Command("python3", "-c", "import moto.server").Run(); err != nil {
		t.Skip("moto not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Skipf("starting moto: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url + "/moto-api/"); err == nil {
			resp.Body.Close()
			return url
		}
	}
	t.Skip("moto did not start within 20 s")
	return ""
}

// jsonCall sends one CloudWatch request the way the AWS CLI does (JSON 1.0,
// query-compatible mode) and returns status, the Query error code header
// and the decoded body.
func jsonCall(t *testing.T, endpoint, op, body string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amzn-Query-Mode", "true")
	req.Header.Set("Authorization", server.DummyAuthorization("monitoring"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", endpoint, op, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", endpoint, op, b)
		}
	}
	code, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Query-Error"), ";")
	return resp.StatusCode, code, out
}

// TestSecondOpinionMoto sends the CLI's requests to moto and to the
// emulator and compares the alarm fields a client reads.
func TestSecondOpinionMoto(t *testing.T) {
	motoURL := startMoto(t)
	ts := httptest.NewServer(server.New(nil, cloudwatch.New(cloudwatch.Options{})))
	defer ts.Close()

	const put = `{"AlarmName":"rg-001-cpu","AlarmDescription":"CPU > 80%","Namespace":"AWS/ElastiCache","MetricName":"CPUUtilization",
		"Dimensions":[{"Name":"CacheClusterId","Value":"rg-001"}],"Statistic":"Average","Period":300,"EvaluationPeriods":1,
		"DatapointsToAlarm":1,"Threshold":80,"ComparisonOperator":"GreaterThanThreshold","TreatMissingData":"missing",
		"AlarmActions":["arn:aws:sns:us-east-1:000000000000:ops"],"OKActions":["arn:aws:sns:us-east-1:000000000000:ops"]}`
	compared := []string{"AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
		"MetricName", "Namespace", "Statistic", "Dimensions", "Period", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
		"ComparisonOperator", "TreatMissingData", "StateReason"}
	arnRE := regexp.MustCompile(`^arn:aws:cloudwatch:us-east-1:\d{12}:alarm:rg-001-cpu$`)

	type observed struct {
		alarm                  map[string]any
		putStatus, delStatus   int
		afterDelete            int
		notFoundStatus         int
		notFoundCode           string
		prefixMatches, noMatch int
	}
	run := func(endpoint string) observed {
		var o observed
		o.putStatus, _, _ = jsonCall(t, endpoint, "PutMetricAlarm", put)
		_, _, out := jsonCall(t, endpoint, "DescribeAlarms", `{"AlarmNames":["rg-001-cpu"]}`)
		if alarms, _ := out["MetricAlarms"].([]any); len(alarms) == 1 {
			o.alarm = alarms[0].(map[string]any)
		}
		_, _, out = jsonCall(t, endpoint, "DescribeAlarms", `{"AlarmNamePrefix":"rg-001-"}`)
		o.prefixMatches = len(out["MetricAlarms"].([]any))
		_, _, out = jsonCall(t, endpoint, "DescribeAlarms", `{"AlarmNamePrefix":"rg-002-"}`)
		o.noMatch = len(out["MetricAlarms"].([]any))
		o.notFoundStatus, o.notFoundCode, _ = jsonCall(t, endpoint, "SetAlarmState", `{"AlarmName":"nope","StateValue":"OK","StateReason":"x"}`)
		o.delStatus, _, _ = jsonCall(t, endpoint, "DeleteAlarms", `{"AlarmNames":["rg-001-cpu"]}`)
		_, _, out = jsonCall(t, endpoint, "DescribeAlarms", `{}`)
		o.afterDelete = len(out["MetricAlarms"].([]any))
		return o
	}
	moto, ours := run(motoURL), run(ts.URL)
	if moto.alarm == nil || ours.alarm == nil {
		t.Fatalf("alarm not described: moto %v, emulator %v", moto.alarm, ours.alarm)
	}
	for _, f := range compared {
		if m, e := fmt.Sprint(moto.alarm[f]), fmt.Sprint(ours.alarm[f]); m != e {
			t.Errorf("%s: moto %s, emulator %s", f, m, e)
		}
	}
	for _, a := range []map[string]any{moto.alarm, ours.alarm} {
		if !arnRE.MatchString(fmt.Sprint(a["AlarmArn"])) {
			t.Errorf("AlarmArn %v does not match %s", a["AlarmArn"], arnRE)
		}
		for _, ts := range []string{"StateUpdatedTimestamp", "AlarmConfigurationUpdatedTimestamp"} {
			if _, ok := a[ts].(float64); !ok {
				t.Errorf("%s = %v (%T), want epoch seconds", ts, a[ts], a[ts])
			}
		}
	}
	// Every field moto reports, the emulator reports too, except two moto
	// fills in always: an empty Metrics list and StateReasonData "{}" on a
	// new alarm. The emulator leaves both out until they hold something.
	for k := range moto.alarm {
		if _, ok := ours.alarm[k]; !ok && k != "Metrics" && k != "StateReasonData" {
			t.Errorf("moto reports %s = %v; the emulator leaves it out", k, moto.alarm[k])
		}
	}
	scalars := []struct {
		name      string
		moto, ems any
	}{
		{"PutMetricAlarm status", moto.putStatus, ours.putStatus},
		{"DescribeAlarms by prefix", moto.prefixMatches, ours.prefixMatches},
		{"DescribeAlarms by other prefix", moto.noMatch, ours.noMatch},
		{"SetAlarmState unknown alarm: status", moto.notFoundStatus, ours.notFoundStatus},
		{"SetAlarmState unknown alarm: query error code", moto.notFoundCode, ours.notFoundCode},
		{"DeleteAlarms status", moto.delStatus, ours.delStatus},
		{"alarms after DeleteAlarms", moto.afterDelete, ours.afterDelete},
	}
	for _, s := range scalars {
		if s.moto != s.ems {
			t.Errorf("%s: moto %v, emulator %v", s.name, s.moto, s.ems)
		}
	}
}

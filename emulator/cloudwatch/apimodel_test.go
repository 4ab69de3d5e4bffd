package cloudwatch

import (
	"net/http/httptest"
	"testing"

	"github.com/ecprov/ecprov/emulator/internal/modelprobe"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel/botocore"
)

// TestAPIModel keeps the embedded model equal to the AWS CLI's, for the
// operations served.
func TestAPIModel(t *testing.T) {
	botocore.CheckEmbedded(t, "cloudwatch", apiModel, "apimodel.json", New(Options{}).OperationNames())
}

const probeTopic = "arn:aws:sns:us-east-1:000000000000:t"

func probeQuery() map[string]any {
	return map[string]any{"Id": "m1", "Expression": "m1", "Label": "l", "ReturnData": true, "Period": 60, "AccountId": "000000000000",
		"MetricStat": map[string]any{"Period": 60, "Stat": "Average", "Unit": "Percent",
			"Metric": map[string]any{"Namespace": "AWS/ElastiCache", "MetricName": "CPUUtilization",
				"Dimensions": []any{map[string]any{"Name": "CacheClusterId", "Value": "c"}}}}}
}

func probeDatum() map[string]any {
	return map[string]any{"MetricName": "m", "Dimensions": []any{map[string]any{"Name": "a", "Value": "b"}}, "Timestamp": 1700000000,
		"Value": 1, "Values": []any{1}, "Counts": []any{1}, "Unit": "Count", "StorageResolution": 60,
		"StatisticValues": map[string]any{"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}
}

// probeCases are requests the model accepts, one per operation served,
// holding every member ecprov's alarms function and the tests send, and
// the others the model constrains.
var probeCases = []modelprobe.Case{
	{Operation: "PutMetricAlarm", Request: map[string]any{
		"AlarmName": "a", "AlarmDescription": "d", "ActionsEnabled": true,
		"OKActions": []any{probeTopic}, "AlarmActions": []any{probeTopic}, "InsufficientDataActions": []any{probeTopic},
		"MetricName": "CPUUtilization", "Namespace": "AWS/ElastiCache", "Statistic": "Average",
		"Dimensions": []any{map[string]any{"Name": "CacheClusterId", "Value": "c"}}, "Period": 60, "Unit": "Percent",
		"EvaluationPeriods": 5, "DatapointsToAlarm": 5, "Threshold": 80, "ComparisonOperator": "GreaterThanThreshold",
		"TreatMissingData": "missing", "EvaluateLowSampleCountPercentile": "evaluate", "Metrics": []any{probeQuery()},
		"Tags": []any{map[string]any{"Key": "k", "Value": "v"}}, "ThresholdMetricId": "m1", "EvaluationInterval": 60,
		"EvaluationCriteria": map[string]any{"PromQLCriteria": map[string]any{"Query": "q", "PendingPeriod": 0, "RecoveryPeriod": 0}}}},
	{Operation: "DescribeAlarms", Request: map[string]any{"AlarmNames": []any{"a"}, "AlarmNamePrefix": "a", "AlarmTypes": []any{"MetricAlarm"},
		"ChildrenOfAlarmName": "a", "ParentsOfAlarmName": "a", "StateValue": "OK", "ActionPrefix": "arn", "MaxRecords": 10, "NextToken": "t"}},
	{Operation: "DeleteAlarms", Request: map[string]any{"AlarmNames": []any{"a"}}},
	{Operation: "SetAlarmState", Request: map[string]any{"AlarmName": "a", "StateValue": "OK", "StateReason": "r", "StateReasonData": "{}"}},
	{Operation: "GetMetricData", Request: map[string]any{"MetricDataQueries": []any{probeQuery()}, "StartTime": 1700000000, "EndTime": 1700003600,
		"NextToken": "t", "ScanBy": "TimestampDescending", "MaxDatapoints": 100, "LabelOptions": map[string]any{"Timezone": "+0000"}}},
	{Operation: "PutMetricData", Request: map[string]any{"Namespace": "n", "MetricData": []any{probeDatum()}, "StrictEntityValidation": false,
		"EntityMetricData": []any{map[string]any{"MetricData": []any{probeDatum()},
			"Entity": map[string]any{"KeyAttributes": map[string]any{"Type": "Service", "Name": "x"}, "Attributes": map[string]any{"a": "b"}}}}}},
}

// TestModelConstraints breaks every constraint the AWS CLI's model states
// on the operations served, one just past its bound at a time, in both
// protocols clients use, and expects AWS's answer: ValidationError (the
// Query code CloudWatch's clients report) naming the member.
func TestModelConstraints(t *testing.T) {
	m := botocore.Require(t, "cloudwatch", "2010-08-01")
	svc := New(Options{})
	if got, want := len(probeCases), len(svc.OperationNames()); got != want {
		t.Fatalf("%d probe cases for %d operations served", got, want)
	}
	ts := httptest.NewServer(server.New(nil, svc))
	defer ts.Close()
	for _, tg := range []modelprobe.Target{
		{Endpoint: ts.URL, SigningName: "monitoring", Protocol: modelprobe.CBOR, TargetPrefix: targetPrefix},
		{Endpoint: ts.URL, SigningName: "monitoring", Protocol: modelprobe.JSON, TargetPrefix: targetPrefix, JSONVersion: "1.0"},
	} {
		if n := modelprobe.Probe(t, tg, m, "ValidationError", probeCases...); n < 80 {
			t.Errorf("protocol %d: only %d constraints probed", tg.Protocol, n)
		}
	}
}

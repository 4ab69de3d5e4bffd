package alarms_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/awsfake"
	"github.com/ecprov/ecprov/internal/failure"
)

func setup(t *testing.T, edit func(map[string]any)) (*alarms.Handler, *awsfake.ElastiCache, *awsfake.CloudWatch, alarms.Input) {
	t.Helper()
	ec := awsfake.NewElastiCache()
	if _, err := ec.CreateReplicationGroup(context.Background(), &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String("audio-pipeline-dev"), NumCacheClusters: aws.Int32(2), Port: aws.Int32(6379),
	}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		edit(m)
		data, _ = json.Marshal(m)
	}
	cw := awsfake.NewCloudWatch()
	return &alarms.Handler{ElastiCache: ec, CloudWatch: cw}, ec, cw, alarms.Input{Profile: data}
}

func TestThreeAlarmsPerMemberThenNoWrites(t *testing.T) {
	m, _, cw, in := setup(t, nil)
	out, err := m.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AlarmNames) != 6 || len(out.Created) != 6 || !out.Changed {
		t.Fatalf("out = %+v", out)
	}
	cpu := cw.Alarms["ecprov/audio-pipeline-dev/audio-pipeline-dev-001/cpu-utilization"]
	if aws.ToString(cpu.MetricName) != "CPUUtilization" || aws.ToFloat64(cpu.Threshold) != 80 || aws.ToInt32(cpu.Period) != 60 ||
		aws.ToInt32(cpu.EvaluationPeriods) != 5 || cpu.ComparisonOperator != "GreaterThanThreshold" ||
		aws.ToString(cpu.Dimensions[0].Name) != "CacheClusterId" || aws.ToString(cpu.Dimensions[0].Value) != "audio-pipeline-dev-001" {
		t.Errorf("cpu alarm = %+v (R10)", cpu)
	}
	mem := cw.Alarms["ecprov/audio-pipeline-dev/audio-pipeline-dev-002/memory-usage"]
	if aws.ToString(mem.MetricName) != "DatabaseMemoryUsagePercentage" || aws.ToFloat64(mem.Threshold) != 85 || aws.ToInt32(mem.EvaluationPeriods) != 5 {
		t.Errorf("memory alarm = %+v", mem)
	}
	ev := cw.Alarms["ecprov/audio-pipeline-dev/audio-pipeline-dev-002/evictions"]
	if aws.ToString(ev.MetricName) != "Evictions" || ev.Statistic != "Sum" || aws.ToFloat64(ev.Threshold) != 100 || aws.ToInt32(ev.Period) != 60 || aws.ToInt32(ev.EvaluationPeriods) != 1 {
		t.Errorf("evictions alarm = %+v", ev)
	}
	cw.Names()
	again, err := m.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed || !slices.Equal(cw.Names(), []string{"DescribeAlarms"}) {
		t.Fatalf("re-run changed alarms: %+v", again)
	}
}

func TestDriftedAlarmIsRewrittenAndActionTopicApplied(t *testing.T) {
	m, _, cw, in := setup(t, nil)
	if _, err := m.Handle(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	name := "ecprov/audio-pipeline-dev/audio-pipeline-dev-001/cpu-utilization"
	a := cw.Alarms[name]
	a.Threshold = aws.Float64(99)
	cw.Alarms[name] = a
	out, err := m.Handle(context.Background(), in)
	if err != nil || !slices.Equal(out.Updated, []string{name}) || aws.ToFloat64(cw.Alarms[name].Threshold) != 80 {
		t.Fatalf("drift not repaired: %+v %v", out, err)
	}

	topic := "arn:aws:sns:us-east-1:000000000000:ops-alerts"
	m2, _, cw2, in2 := setup(t, func(p map[string]any) { p["alarms"].(map[string]any)["actionTopicArn"] = topic })
	if _, err := m2.Handle(context.Background(), in2); err != nil {
		t.Fatal(err)
	}
	for n, a := range cw2.Alarms {
		if !slices.Equal(a.AlarmActions, []string{topic}) || !slices.Equal(a.OKActions, []string{topic}) {
			t.Errorf("%s actions = %v / %v", n, a.AlarmActions, a.OKActions)
		}
	}
}

func TestAlarmsOfARemovedMemberAreDeleted(t *testing.T) {
	m, ec, cw, in := setup(t, nil)
	if _, err := m.Handle(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	gone := ec.RemoveMember("audio-pipeline-dev")
	// An unmanaged alarm on the same node must survive.
	cw.Alarms["team/custom-alarm"] = cw.Alarms["ecprov/audio-pipeline-dev/"+gone+"/evictions"]
	out, err := m.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ecprov/audio-pipeline-dev/" + gone + "/cpu-utilization",
		"ecprov/audio-pipeline-dev/" + gone + "/evictions",
		"ecprov/audio-pipeline-dev/" + gone + "/memory-usage",
	}
	if !slices.Equal(out.Deleted, want) || len(out.AlarmNames) != 3 || len(cw.Alarms) != 4 {
		t.Fatalf("deleted %v, kept %v, store %d", out.Deleted, out.AlarmNames, len(cw.Alarms))
	}
	if _, ok := cw.Alarms["team/custom-alarm"]; !ok {
		t.Fatal("an alarm ecprov does not manage was deleted")
	}
}

func TestThrottlingIsRetryable(t *testing.T) {
	m, _, cw, in := setup(t, nil)
	cw.FailNext("PutMetricAlarm", awsfake.APIError("Throttling", "Rate exceeded"))
	if _, err := m.Handle(context.Background(), in); failure.NameOf(err) != failure.RetryableAWSError {
		t.Fatalf("throttling: %v", err)
	}
	out, err := m.Handle(context.Background(), in)
	if err != nil || len(out.AlarmNames) != 6 {
		t.Fatalf("retry: %+v %v", out, err)
	}
}

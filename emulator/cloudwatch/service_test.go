package cloudwatch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/ecprov/ecprov/emulator/cloudwatch"
	"github.com/ecprov/ecprov/emulator/nodestats"
	"github.com/ecprov/ecprov/emulator/server"
)

var ctx = context.Background()

// fakeNodes is a nodestats.Source whose figures the test sets.
type fakeNodes struct {
	mu    sync.Mutex
	stats map[string]nodestats.Stat
}

func (f *fakeNodes) NodeStats(context.Context) []nodestats.Stat {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []nodestats.Stat
	for _, s := range f.stats {
		out = append(out, s)
	}
	return out
}

func (f *fakeNodes) set(s nodestats.Stat) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stats == nil {
		f.stats = map[string]nodestats.Stat{}
	}
	f.stats[s.CacheClusterID] = s
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	client  *cw.Client
	svc     *cloudwatch.Service
	nodes   *fakeNodes
	clock   *clock
	url     string
	changes chan cloudwatch.StateChange
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{nodes: &fakeNodes{}, clock: &clock{now: time.Now().Truncate(time.Minute)}, changes: make(chan cloudwatch.StateChange, 100)}
	e.svc = cloudwatch.New(cloudwatch.Options{
		Source:        e.nodes,
		Now:           e.clock.Now,
		OnStateChange: func(c cloudwatch.StateChange) { e.changes <- c },
	})
	ts := httptest.NewServer(server.New(nil, e.svc))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	e.client = cw.New(cw.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	return e
}

func evictionsAlarm(name, cluster string) *cw.PutMetricAlarmInput {
	return &cw.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		AlarmDescription:   aws.String("Evictions > 100 per minute"),
		Namespace:          aws.String("AWS/ElastiCache"),
		MetricName:         aws.String("Evictions"),
		Dimensions:         []types.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String(cluster)}},
		Statistic:          types.StatisticSum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(100),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		AlarmActions:       []string{"arn:aws:sns:us-east-1:000000000000:ops"},
	}
}

func describe(t *testing.T, c *cw.Client, names ...string) []types.MetricAlarm {
	t.Helper()
	out, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: names})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	return out.MetricAlarms
}

func TestPutDescribeDeleteAlarm(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.PutMetricAlarm(ctx, evictionsAlarm("rg-001-evictions", "rg-001")); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	alarms := describe(t, e.client, "rg-001-evictions")
	if len(alarms) != 1 {
		t.Fatalf("DescribeAlarms returned %d alarms, want 1", len(alarms))
	}
	a := alarms[0]
	checks := []struct {
		field     string
		got, want any
	}{
		{"AlarmName", aws.ToString(a.AlarmName), "rg-001-evictions"},
		{"AlarmArn", aws.ToString(a.AlarmArn), "arn:aws:cloudwatch:us-east-1:000000000000:alarm:rg-001-evictions"},
		{"AlarmDescription", aws.ToString(a.AlarmDescription), "Evictions > 100 per minute"},
		{"Namespace", aws.ToString(a.Namespace), "AWS/ElastiCache"},
		{"MetricName", aws.ToString(a.MetricName), "Evictions"},
		{"Statistic", a.Statistic, types.StatisticSum},
		{"Period", aws.ToInt32(a.Period), int32(60)},
		{"EvaluationPeriods", aws.ToInt32(a.EvaluationPeriods), int32(1)},
		{"Threshold", aws.ToFloat64(a.Threshold), 100.0},
		{"ComparisonOperator", a.ComparisonOperator, types.ComparisonOperatorGreaterThanThreshold},
		{"Dimensions", len(a.Dimensions) == 1 && aws.ToString(a.Dimensions[0].Value) == "rg-001", true},
		{"ActionsEnabled", aws.ToBool(a.ActionsEnabled), true},
		{"AlarmActions", a.AlarmActions, []string{"arn:aws:sns:us-east-1:000000000000:ops"}},
		{"StateValue", a.StateValue, types.StateValueInsufficientData},
		{"StateReason", aws.ToString(a.StateReason), "Unchecked: Initial alarm creation"},
		{"StateUpdatedTimestamp", a.StateUpdatedTimestamp != nil && a.StateUpdatedTimestamp.Equal(e.clock.Now()), true},
		{"AlarmConfigurationUpdatedTimestamp", a.AlarmConfigurationUpdatedTimestamp != nil && a.AlarmConfigurationUpdatedTimestamp.Equal(e.clock.Now()), true},
	}
	for _, c := range checks {
		if s, ok := c.want.([]string); ok {
			if !slices.Equal(c.got.([]string), s) {
				t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
			}
			continue
		}
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}

	// An update overwrites the definition and keeps the state.
	if _, err := e.client.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("rg-001-evictions"), StateValue: types.StateValueAlarm, StateReason: aws.String("test")}); err != nil {
		t.Fatal(err)
	}
	upd := evictionsAlarm("rg-001-evictions", "rg-001")
	upd.Threshold = aws.Float64(250.5)
	if _, err := e.client.PutMetricAlarm(ctx, upd); err != nil {
		t.Fatal(err)
	}
	a = describe(t, e.client, "rg-001-evictions")[0]
	if aws.ToFloat64(a.Threshold) != 250.5 || a.StateValue != types.StateValueAlarm {
		t.Errorf("after update: Threshold %v State %s, want 250.5 ALARM", aws.ToFloat64(a.Threshold), a.StateValue)
	}

	if _, err := e.client.DeleteAlarms(ctx, &cw.DeleteAlarmsInput{AlarmNames: []string{"rg-001-evictions", "never-existed"}}); err != nil {
		t.Fatalf("DeleteAlarms: %v", err)
	}
	if got := describe(t, e.client, "rg-001-evictions"); len(got) != 0 {
		t.Errorf("alarm still described after delete: %v", got)
	}
}

func TestPutMetricAlarmValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name     string
		mutate   func(*cw.PutMetricAlarmInput)
		wantCode string
		wantMsg  string
	}{
		{"comparison operator not in enum", func(in *cw.PutMetricAlarmInput) { in.ComparisonOperator = "Bigger" },
			"ValidationError", "Member must satisfy enum value set"},
		{"period 20", func(in *cw.PutMetricAlarmInput) { in.Period = aws.Int32(20) },
			"ValidationError", "Period must be 10, 30 or a multiple of 60"},
		{"period 90", func(in *cw.PutMetricAlarmInput) { in.Period = aws.Int32(90) },
			"ValidationError", "Period must be 10, 30 or a multiple of 60"},
		{"zero evaluation periods", func(in *cw.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(0) },
			"ValidationError", "at 'evaluationPeriods'"},
		{"statistic not in enum", func(in *cw.PutMetricAlarmInput) { in.Statistic = "Median" },
			"ValidationError", "at 'statistic'"},
		{"datapoints above periods", func(in *cw.PutMetricAlarmInput) { in.DatapointsToAlarm = aws.Int32(2) },
			"ValidationError", "DatapointsToAlarm must be less than or equal to EvaluationPeriods"},
		{"longer than a day", func(in *cw.PutMetricAlarmInput) { in.Period = aws.Int32(3600); in.EvaluationPeriods = aws.Int32(25) },
			"ValidationError", "Metrics cannot be checked across more than a day"},
		{"no threshold", func(in *cw.PutMetricAlarmInput) { in.Threshold = nil },
			"ValidationError", "at 'threshold'"},
		{"bad extended statistic", func(in *cw.PutMetricAlarmInput) { in.Statistic = ""; in.ExtendedStatistic = aws.String("p101") },
			"InvalidParameterValue", "ExtendedStatistic is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := evictionsAlarm("bad", "rg-001")
			tt.mutate(in)
			_, err := e.client.PutMetricAlarm(ctx, in)
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an API error", err)
			}
			if ae.ErrorCode() != tt.wantCode || !strings.Contains(ae.ErrorMessage(), tt.wantMsg) {
				t.Errorf("got %s: %s; want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), tt.wantCode, tt.wantMsg)
			}
			if ae.ErrorFault() != smithy.FaultClient {
				t.Errorf("fault %v, want client", ae.ErrorFault())
			}
		})
	}
	if got := describe(t, e.client); len(got) != 0 {
		t.Errorf("rejected alarms were stored: %d", len(got))
	}

	// A modelled error arrives as its typed error.
	_, err := e.client.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: types.StateValueOk, StateReason: aws.String("x")})
	var nf *types.ResourceNotFound
	if !errors.As(err, &nf) {
		t.Errorf("SetAlarmState on unknown alarm: %v, want *types.ResourceNotFound", err)
	}
}

func TestDescribeAlarmsFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"rg-001-cpu", "rg-001-evictions", "rg-001-memory", "rg-002-cpu", "other"} {
		if _, err := e.client.PutMetricAlarm(ctx, evictionsAlarm(name, "rg-001")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.client.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("rg-002-cpu"), StateValue: types.StateValueAlarm, StateReason: aws.String("test")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   cw.DescribeAlarmsInput
		want []string
	}{
		{"all", cw.DescribeAlarmsInput{}, []string{"other", "rg-001-cpu", "rg-001-evictions", "rg-001-memory", "rg-002-cpu"}},
		{"names", cw.DescribeAlarmsInput{AlarmNames: []string{"rg-001-cpu", "other", "missing"}}, []string{"other", "rg-001-cpu"}},
		{"prefix", cw.DescribeAlarmsInput{AlarmNamePrefix: aws.String("rg-001-")}, []string{"rg-001-cpu", "rg-001-evictions", "rg-001-memory"}},
		{"state", cw.DescribeAlarmsInput{StateValue: types.StateValueAlarm}, []string{"rg-002-cpu"}},
		{"composite only", cw.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}}, nil},
		{"action prefix", cw.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:sns:")}, []string{"other", "rg-001-cpu", "rg-001-evictions", "rg-001-memory", "rg-002-cpu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			p := cw.NewDescribeAlarmsPaginator(e.client, &tt.in)
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range page.MetricAlarms {
					got = append(got, aws.ToString(a.AlarmName))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	pages := 0
	var got []string
	p := cw.NewDescribeAlarmsPaginator(e.client, &cw.DescribeAlarmsInput{MaxRecords: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range page.MetricAlarms {
			got = append(got, aws.ToString(a.AlarmName))
		}
	}
	if pages != 3 || len(got) != 5 {
		t.Errorf("MaxRecords 2: %d pages with %v; want 3 pages, 5 alarms", pages, got)
	}
	_, err := e.client.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{NextToken: aws.String("garbage!")})
	var bad *types.InvalidNextToken
	if !errors.As(err, &bad) {
		t.Errorf("bad NextToken: %v, want *types.InvalidNextToken", err)
	}
}

// TestAlarmEvaluation drives alarms from node figures: each step sets a
// node's counters, moves the clock and collects, then checks the state.
func TestAlarmEvaluation(t *testing.T) {
	type step struct {
		advance time.Duration
		stat    nodestats.Stat
		want    types.StateValue
	}
	const node = "rg-001"
	stat := func(cpu float64, used, maxMem, evicted int64) nodestats.Stat {
		return nodestats.Stat{CacheClusterID: node, CPUSeconds: cpu, UsedMemory: used, MaxMemory: maxMem, EvictedKeys: evicted}
	}
	tests := []struct {
		name  string
		alarm *cw.PutMetricAlarmInput
		steps []step
	}{
		{"evictions over 100 per minute", evictionsAlarm("ev", node), []step{
			{0, stat(0, 10, 100, 0), types.StateValueOk}, // a new node's counter starts at 0
			{10 * time.Second, stat(0, 10, 100, 20), types.StateValueOk},
			{10 * time.Second, stat(0, 10, 100, 90), types.StateValueOk},     // 90 in the last minute
			{10 * time.Second, stat(0, 10, 100, 150), types.StateValueAlarm}, // 150
			{30 * time.Second, stat(0, 10, 100, 150), types.StateValueAlarm}, // the last 60 s still hold all 150
			{40 * time.Second, stat(0, 10, 100, 150), types.StateValueOk},    // the burst left the window
		}},
		{"memory over 85 percent for 2 of 3 periods", &cw.PutMetricAlarmInput{
			AlarmName: aws.String("mem"), Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String("DatabaseMemoryUsagePercentage"),
			Dimensions: []types.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String(node)}},
			Statistic:  types.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(2),
			Threshold: aws.Float64(85), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		}, []step{
			{0, stat(0, 90, 100, 0), types.StateValueOk},                   // 1 of 3 breaching
			{60 * time.Second, stat(0, 95, 100, 0), types.StateValueAlarm}, // 2 of 3
			{60 * time.Second, stat(0, 10, 100, 0), types.StateValueAlarm}, // still 2 of 3
			{60 * time.Second, stat(0, 10, 100, 0), types.StateValueOk},
		}},
		{"cpu over 80 percent", &cw.PutMetricAlarmInput{
			AlarmName: aws.String("cpu"), Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String("CPUUtilization"),
			Dimensions: []types.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String(node)}},
			Statistic:  types.StatisticAverage, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(80), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		}, []step{
			{0, stat(100, 0, 100, 0), types.StateValueInsufficientData},
			{100 * time.Second, stat(190, 0, 100, 0), types.StateValueAlarm}, // 90 s of CPU in 100 s
			{100 * time.Second, stat(200, 0, 100, 0), types.StateValueOk},    // average of 90% and 10%
		}},
		{"missing data treated as breaching", &cw.PutMetricAlarmInput{
			AlarmName: aws.String("gone"), Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String("Evictions"),
			Dimensions: []types.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String("no-such-node")}},
			Statistic:  types.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), TreatMissingData: aws.String("breaching"),
			Threshold: aws.Float64(100), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		}, []step{{0, stat(0, 0, 100, 0), types.StateValueAlarm}}},
		{"missing data ignored keeps the state", &cw.PutMetricAlarmInput{
			AlarmName: aws.String("ignored"), Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String("Evictions"),
			Dimensions: []types.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String("no-such-node")}},
			Statistic:  types.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), TreatMissingData: aws.String("ignore"),
			Threshold: aws.Float64(100), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		}, []step{{0, stat(0, 0, 100, 0), types.StateValueInsufficientData}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if _, err := e.client.PutMetricAlarm(ctx, tt.alarm); err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				e.clock.advance(s.advance)
				e.nodes.set(s.stat)
				e.svc.Tick(ctx)
				a := describe(t, e.client, aws.ToString(tt.alarm.AlarmName))[0]
				if a.StateValue != s.want {
					t.Fatalf("step %d: state %s (%s), want %s", i, a.StateValue, aws.ToString(a.StateReason), s.want)
				}
			}
		})
	}
}

func TestAlarmStateReasonAndNotification(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.PutMetricAlarm(ctx, evictionsAlarm("ev", "rg-001")); err != nil {
		t.Fatal(err)
	}
	// A node first seen with 150 evictions had them since it started.
	e.nodes.set(nodestats.Stat{CacheClusterID: "rg-001", MaxMemory: 100, EvictedKeys: 150})
	e.svc.Tick(ctx)

	a := describe(t, e.client, "ev")[0]
	if a.StateValue != types.StateValueAlarm {
		t.Fatalf("state %s, want ALARM", a.StateValue)
	}
	wantReason := "Threshold Crossed: 1 datapoint [150.0 (" + e.clock.Now().Add(-time.Minute).UTC().Format("02/01/06 15:04:05") + ")] was greater than the threshold (100.0)."
	if aws.ToString(a.StateReason) != wantReason {
		t.Errorf("StateReason\n got %q\nwant %q", aws.ToString(a.StateReason), wantReason)
	}
	if !strings.Contains(aws.ToString(a.StateReasonData), `"recentDatapoints":[150]`) {
		t.Errorf("StateReasonData %s lacks the datapoint", aws.ToString(a.StateReasonData))
	}
	if a.StateUpdatedTimestamp == nil || !a.StateUpdatedTimestamp.Equal(e.clock.Now()) {
		t.Errorf("StateUpdatedTimestamp %v, want %v", a.StateUpdatedTimestamp, e.clock.Now())
	}
	var got []cloudwatch.StateChange
	for len(e.changes) > 0 {
		got = append(got, <-e.changes)
	}
	if len(got) != 1 || got[0].NewState != "ALARM" || got[0].OldState != "INSUFFICIENT_DATA" ||
		!slices.Equal(got[0].Actions, []string{"arn:aws:sns:us-east-1:000000000000:ops"}) {
		t.Errorf("state changes %+v, want one INSUFFICIENT_DATA -> ALARM with the SNS action", got)
	}
}

func TestGetMetricDataAndPutMetricData(t *testing.T) {
	e := newEnv(t)
	start := e.clock.Now()
	for i, evicted := range []int64{0, 10, 30, 60} {
		if i > 0 {
			e.clock.advance(20 * time.Second)
		}
		e.nodes.set(nodestats.Stat{CacheClusterID: "rg-001", UsedMemory: 50, MaxMemory: 200, EvictedKeys: evicted})
		e.svc.Tick(ctx)
	}
	dims := []types.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String("rg-001")}}
	query := func(id, name, stat string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String(name), Dimensions: dims},
			Period: aws.Int32(60), Stat: aws.String(stat),
		}}
	}
	out, err := e.client.GetMetricData(ctx, &cw.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(start.Add(2 * time.Minute)),
		MetricDataQueries: []types.MetricDataQuery{query("ev", "Evictions", "Sum"), query("mem", "DatabaseMemoryUsagePercentage", "Maximum")},
		ScanBy:            types.ScanByTimestampAscending,
	})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	if len(out.MetricDataResults) != 2 {
		t.Fatalf("%d results, want 2", len(out.MetricDataResults))
	}
	ev, mem := out.MetricDataResults[0], out.MetricDataResults[1]
	// Evictions deltas 10, 20 at +20 s and +40 s (first minute), 30 at +60 s (second minute).
	if !slices.Equal(ev.Values, []float64{30, 30}) || len(ev.Timestamps) != 2 || !ev.Timestamps[0].Equal(start) {
		t.Errorf("Evictions: values %v timestamps %v; want [30 30] from %v", ev.Values, ev.Timestamps, start)
	}
	if !slices.Equal(mem.Values, []float64{25, 25}) || aws.ToString(mem.Label) != "DatabaseMemoryUsagePercentage" || ev.StatusCode != types.StatusCodeComplete {
		t.Errorf("memory: values %v label %q status %s", mem.Values, aws.ToString(mem.Label), ev.StatusCode)
	}

	// PutMetricData into a custom namespace, then read it back.
	now := e.clock.Now()
	if _, err := e.client.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("ecprov/test"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("Latency"), Value: aws.Float64(3), Timestamp: aws.Time(now)},
		{MetricName: aws.String("Latency"), Values: []float64{1, 5}, Counts: []float64{1, 2}, Timestamp: aws.Time(now)},
	}}); err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	out, err = e.client.GetMetricData(ctx, &cw.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(now.Add(time.Minute)),
		MetricDataQueries: []types.MetricDataQuery{
			{Id: aws.String("avg"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("ecprov/test"), MetricName: aws.String("Latency")}, Period: aws.Int32(60), Stat: aws.String("Average")}},
			{Id: aws.String("n"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("ecprov/test"), MetricName: aws.String("Latency")}, Period: aws.Int32(60), Stat: aws.String("SampleCount")}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.MetricDataResults; !slices.Equal(got[0].Values, []float64{3.5}) || !slices.Equal(got[1].Values, []float64{4}) {
		t.Errorf("Latency avg %v count %v, want [3.5] [4]", got[0].Values, got[1].Values)
	}
	_, err = e.client.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("AWS/ElastiCache"), MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1)}}})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) || ipv.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("PutMetricData into AWS/: %v, want InvalidParameterValueException with code InvalidParameterValue", err)
	}
}

// TestRPCv2Headers checks the protocol envelope the Go SDK relies on.
func TestRPCv2Headers(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodPost, e.url+"/service/GraniteServiceVersion20100801/operation/DescribeAlarms", strings.NewReader("\xa0"))
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	req.Header.Set("Content-Type", "application/cbor")
	req.Header.Set("Authorization", server.DummyAuthorization("monitoring"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if resp.StatusCode != 200 || resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Errorf("status %d, request id %q", resp.StatusCode, resp.Header.Get("X-Amzn-Requestid"))
	}
}

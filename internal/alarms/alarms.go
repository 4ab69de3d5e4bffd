// Package alarms keeps the R10 CloudWatch alarms of a replication group:
// three per member node, named under ecprov/<group>/ so that alarms of nodes
// that left the group can be found and deleted.
package alarms

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/profile"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

// CloudWatchAPI is the part of CloudWatch the alarms function uses.
type CloudWatchAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
	DeleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
}

// Input is the alarms event.
type Input struct {
	Profile json.RawMessage `json:"profile"`
}

// Output lists the alarms the group has now and what changed.
type Output struct {
	AlarmNames []string `json:"alarmNames"`
	Created    []string `json:"created"`
	Updated    []string `json:"updated"`
	Deleted    []string `json:"deleted"`
	Changed    bool     `json:"changed"`
}

// Handler runs the alarms function.
type Handler struct {
	ElastiCache replicationgroup.GroupReader
	CloudWatch  CloudWatchAPI
	Log         *slog.Logger
}

// Prefix is the name prefix of every alarm ecprov manages for a group.
func Prefix(replicationGroupID string) string { return "ecprov/" + replicationGroupID + "/" }

// metricAlarm is one kind of alarm each member node gets (R10).
type metricAlarm struct {
	suffix, metric, statistic, what string
	threshold                       func(a profile.Alarms) float64
	// periods is how many one-minute periods must breach.
	periods func(a profile.Alarms) int32
	missing string // TreatMissingData
}

// metricAlarms are the three R10 alarms of every member node.
var metricAlarms = []metricAlarm{
	{suffix: "cpu-utilization", metric: "CPUUtilization", statistic: "Average", what: "CPU utilization", missing: "missing",
		threshold: func(a profile.Alarms) float64 { return a.CPUUtilizationPercent },
		periods:   func(a profile.Alarms) int32 { return int32(a.SustainedMinutes) }},
	{suffix: "memory-usage", metric: "DatabaseMemoryUsagePercentage", statistic: "Average", what: "Memory usage", missing: "missing",
		threshold: func(a profile.Alarms) float64 { return a.MemoryUsagePercent },
		periods:   func(a profile.Alarms) int32 { return int32(a.SustainedMinutes) }},
	// Evictions: the Sum over one minute, one period (R10).
	{suffix: "evictions", metric: "Evictions", statistic: "Sum", what: "Evictions per minute", missing: "notBreaching",
		threshold: func(a profile.Alarms) float64 { return a.EvictionsPerMinute },
		periods:   func(profile.Alarms) int32 { return 1 }},
}

// Desired are the three R10 alarms of one member cluster.
func Desired(p *profile.Profile, cacheClusterID string) []cloudwatch.PutMetricAlarmInput {
	out := make([]cloudwatch.PutMetricAlarmInput, 0, len(metricAlarms))
	for _, a := range metricAlarms {
		threshold, periods := a.threshold(p.Alarms), a.periods(p.Alarms)
		in := cloudwatch.PutMetricAlarmInput{
			AlarmName:          aws.String(Prefix(p.ReplicationGroupID) + cacheClusterID + "/" + a.suffix),
			AlarmDescription:   aws.String(fmt.Sprintf("%s of %s (%s %s) above %g; managed by ecprov", a.what, cacheClusterID, p.Project, p.Environment, threshold)),
			Namespace:          aws.String("AWS/ElastiCache"),
			MetricName:         aws.String(a.metric),
			Dimensions:         []types.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String(cacheClusterID)}},
			Statistic:          types.Statistic(a.statistic),
			Period:             aws.Int32(60),
			EvaluationPeriods:  aws.Int32(periods),
			DatapointsToAlarm:  aws.Int32(periods),
			Threshold:          aws.Float64(threshold),
			ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
			TreatMissingData:   aws.String(a.missing),
			ActionsEnabled:     aws.Bool(true),
		}
		if p.Alarms.ActionTopicARN != "" {
			in.AlarmActions = []string{p.Alarms.ActionTopicARN}
			in.OKActions = []string{p.Alarms.ActionTopicARN}
		}
		for _, k := range slices.Sorted(maps.Keys(p.Tags)) {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(p.Tags[k])})
		}
		out = append(out, in)
	}
	return out
}

// Handle upserts the alarms of every current member and deletes managed
// alarms of members that are gone. Unchanged alarms are not written.
func (m *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	log := logging.For(ctx, m.Log)
	p, err := replicationgroup.ParseProfile(in.Profile)
	if err != nil {
		return Output{}, err
	}
	log = log.With("replication_group_id", p.ReplicationGroupID)
	g, err := replicationgroup.FindByID(ctx, m.ElastiCache, p.ReplicationGroupID)
	if err != nil {
		return Output{}, err
	}
	existing, err := m.list(ctx, Prefix(p.ReplicationGroupID))
	if err != nil {
		return Output{}, err
	}
	out := Output{AlarmNames: []string{}, Created: []string{}, Updated: []string{}, Deleted: []string{}}
	want := map[string]bool{}
	for _, member := range g.MemberClusters {
		for _, alarm := range Desired(p, member) {
			name := aws.ToString(alarm.AlarmName)
			want[name] = true
			out.AlarmNames = append(out.AlarmNames, name)
			have, ok := existing[name]
			if ok && matches(alarm, have) {
				continue
			}
			if _, err := m.CloudWatch.PutMetricAlarm(ctx, &alarm); err != nil {
				return out, failure.AWS(err, "put alarm "+name)
			}
			if ok {
				out.Updated = append(out.Updated, name)
			} else {
				out.Created = append(out.Created, name)
			}
		}
	}
	var stale []string
	for name := range existing {
		if !want[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	for start := 0; start < len(stale); start += 100 {
		batch := stale[start:min(start+100, len(stale))]
		if _, err := m.CloudWatch.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: batch}); err != nil {
			return out, failure.AWS(err, "delete alarms of departed members")
		}
		out.Deleted = append(out.Deleted, batch...)
	}
	sort.Strings(out.AlarmNames)
	out.Changed = len(out.Created)+len(out.Updated)+len(out.Deleted) > 0
	log.Info("alarms ensured", "alarms", len(out.AlarmNames), "created", len(out.Created), "updated", len(out.Updated), "deleted", len(out.Deleted))
	return out, nil
}

// DeleteAll removes every managed alarm of a group (teardown).
func (m *Handler) DeleteAll(ctx context.Context, replicationGroupID string) ([]string, error) {
	existing, err := m.list(ctx, Prefix(replicationGroupID))
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(existing))
	for start := 0; start < len(names); start += 100 {
		batch := names[start:min(start+100, len(names))]
		if _, err := m.CloudWatch.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: batch}); err != nil {
			return nil, failure.AWS(err, "delete alarms of "+replicationGroupID)
		}
	}
	return names, nil
}

func (m *Handler) list(ctx context.Context, prefix string) (map[string]types.MetricAlarm, error) {
	out := map[string]types.MetricAlarm{}
	var next *string
	for {
		page, err := m.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
			AlarmNamePrefix: aws.String(prefix),
			AlarmTypes:      []types.AlarmType{types.AlarmTypeMetricAlarm},
			NextToken:       next,
		})
		if err != nil {
			return nil, failure.AWS(err, "describe alarms "+prefix+"*")
		}
		for _, a := range page.MetricAlarms {
			out[aws.ToString(a.AlarmName)] = a
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		next = page.NextToken
	}
}

// matches compares every setting ecprov writes; tags are set on creation
// only, as PutMetricAlarm ignores them on update.
func matches(want cloudwatch.PutMetricAlarmInput, have types.MetricAlarm) bool {
	return aws.ToString(want.AlarmDescription) == aws.ToString(have.AlarmDescription) &&
		aws.ToString(want.Namespace) == aws.ToString(have.Namespace) &&
		aws.ToString(want.MetricName) == aws.ToString(have.MetricName) &&
		want.Statistic == have.Statistic &&
		aws.ToInt32(want.Period) == aws.ToInt32(have.Period) &&
		aws.ToInt32(want.EvaluationPeriods) == aws.ToInt32(have.EvaluationPeriods) &&
		aws.ToInt32(want.DatapointsToAlarm) == aws.ToInt32(have.DatapointsToAlarm) &&
		aws.ToFloat64(want.Threshold) == aws.ToFloat64(have.Threshold) &&
		want.ComparisonOperator == have.ComparisonOperator &&
		aws.ToString(want.TreatMissingData) == aws.ToString(have.TreatMissingData) &&
		aws.ToBool(want.ActionsEnabled) == aws.ToBool(have.ActionsEnabled) &&
		sameSet(want.AlarmActions, have.AlarmActions) &&
		sameSet(want.OKActions, have.OKActions) &&
		sameDimensions(want.Dimensions, have.Dimensions)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

func sameDimensions(a, b []types.Dimension) bool {
	flat := func(ds []types.Dimension) []string {
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = aws.ToString(d.Name) + "=" + aws.ToString(d.Value)
		}
		return out
	}
	return sameSet(flat(a), flat(b))
}

package cloudwatch

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// One handler per operation, named after it.

// maxDatapoints is GetMetricData's limit on the datapoints of one call.
const maxDatapoints = 100800

func (svc *Service) putMetricAlarm(_ context.Context, in *putMetricAlarmInput) (*empty, error) {
	if err := validateAlarm(in); err != nil {
		return nil, err
	}
	svc.mu.Lock()
	now := svc.now()
	a, ok := svc.alarms[in.AlarmName]
	if !ok {
		// A new alarm starts without data; an updated one keeps its state,
		// as on AWS.
		a = &alarm{
			arn:          fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", svc.region, svc.account, in.AlarmName),
			state:        StateInsufficientData,
			reason:       initialReason,
			stateUpdated: now,
			transitioned: now,
		}
		svc.alarms[in.AlarmName] = a
	}
	a.def = *in
	a.configUpdated = now
	if len(in.Metrics) > 0 && a.state == StateInsufficientData {
		a.reason = unevaluatedMathReason
	}
	svc.mu.Unlock()
	svc.log.Info("alarm put", "alarm", in.AlarmName, "metric", in.Namespace+"/"+in.MetricName, "created", !ok)
	return &empty{}, nil
}

func (svc *Service) describeAlarms(_ context.Context, in *describeAlarmsInput) (*describeAlarmsOutput, error) {
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != "" {
		return nil, newError(http.StatusBadRequest, "InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot be specified together")
	}
	// AlarmNames at most 100, the StateValue and AlarmType enums and
	// MaxRecords 1 to 100 are the model's, checked before this runs.
	limit := 50
	if in.MaxRecords != nil {
		limit = int(*in.MaxRecords)
	}
	after := ""
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil || !strings.HasPrefix(string(b), "after:") {
			return nil, newError(http.StatusBadRequest, "InvalidNextToken", "Invalid NextToken")
		}
		after = strings.TrimPrefix(string(b), "after:")
	}

	out := &describeAlarmsOutput{MetricAlarms: []metricAlarm{}, CompositeAlarms: []struct{}{}}
	if len(in.AlarmTypes) > 0 && !slices.Contains(in.AlarmTypes, "MetricAlarm") {
		return out, nil
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	names := make([]string, 0, len(svc.alarms))
	for name := range svc.alarms {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if after != "" && name <= after {
			continue
		}
		a := svc.alarms[name]
		if !alarmMatches(a, in) {
			continue
		}
		if len(out.MetricAlarms) == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte("after:" + out.MetricAlarms[limit-1].AlarmName))
			break
		}
		out.MetricAlarms = append(out.MetricAlarms, a.wire())
	}
	return out, nil
}

func alarmMatches(a *alarm, in *describeAlarmsInput) bool {
	if len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, a.def.AlarmName) {
		return false
	}
	if !strings.HasPrefix(a.def.AlarmName, in.AlarmNamePrefix) {
		return false
	}
	if in.StateValue != "" && a.state != in.StateValue {
		return false
	}
	if in.ActionPrefix != "" {
		all := slices.Concat(a.def.AlarmActions, a.def.OKActions, a.def.InsufficientDataActions)
		if !slices.ContainsFunc(all, func(s string) bool { return strings.HasPrefix(s, in.ActionPrefix) }) {
			return false
		}
	}
	return true
}

// deleteAlarms deletes the named alarms (AlarmNames: required, at most
// 100, checked against the model before this runs).
func (svc *Service) deleteAlarms(_ context.Context, in *deleteAlarmsInput) (*empty, error) {
	svc.mu.Lock()
	for _, name := range in.AlarmNames {
		delete(svc.alarms, name)
	}
	svc.mu.Unlock()
	svc.log.Info("alarms deleted", "alarms", in.AlarmNames)
	return &empty{}, nil
}

// setAlarmState sets an alarm's state; AlarmName, StateValue (an enum)
// and StateReason are required by the model, checked before this runs.
func (svc *Service) setAlarmState(_ context.Context, in *setAlarmStateInput) (*empty, error) {
	svc.mu.Lock()
	a, ok := svc.alarms[in.AlarmName]
	if !ok {
		svc.mu.Unlock()
		return nil, newError(http.StatusNotFound, "ResourceNotFound", "Alarm %s not found", in.AlarmName)
	}
	change := a.setState(in.StateValue, in.StateReason, in.StateReasonData, svc.now())
	svc.mu.Unlock()
	svc.notify(change)
	return &empty{}, nil
}

func (svc *Service) getMetricData(_ context.Context, in *getMetricDataInput) (*getMetricDataOutput, error) {
	switch {
	case len(in.MetricDataQueries) == 0:
		return nil, errMissing("MetricDataQueries")
	case len(in.MetricDataQueries) > 500:
		return nil, errValidation("1 validation error detected: Value at 'metricDataQueries' failed to satisfy constraint: Member must have length less than or equal to 500")
	case in.StartTime == nil:
		return nil, errMissing("StartTime")
	case in.EndTime == nil:
		return nil, errMissing("EndTime")
	case !in.StartTime.Before(*in.EndTime):
		return nil, errInvalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	descending := in.ScanBy != "TimestampAscending" // the ScanBy enum is the model's
	for _, q := range in.MetricDataQueries {
		if q.MetricStat == nil {
			return nil, errInvalidValue("Query %s: the ecprov emulator answers MetricStat queries only, not metric math expressions", q.ID)
		}
		if !validStat(q.MetricStat.Stat) {
			return nil, errInvalidValue("The value %s for parameter MetricDataQueries.member.Stat is not supported.", q.MetricStat.Stat)
		}
		if p := q.MetricStat.Period; p != 1 && p != 5 && p != 10 && p != 30 && (p < 60 || p%60 != 0) {
			return nil, errInvalidValue("The parameter MetricDataQueries.member.MetricStat.Period must be 1, 5, 10, 30 or a multiple of 60.")
		}
	}

	for _, q := range in.MetricDataQueries {
		if n := in.EndTime.Sub(*in.StartTime) / svc.periodLen(q.MetricStat.Period); n > maxDatapoints {
			return nil, errInvalidValue("Query %s asks for %d datapoints; the limit is %d. Use a longer Period or a shorter time range.", q.ID, n, maxDatapoints)
		}
	}

	out := &getMetricDataOutput{MetricDataResults: []metricDataResult{}, Messages: []messageData{}}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	for _, q := range in.MetricDataQueries {
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		ms := q.MetricStat
		res := metricDataResult{ID: q.ID, Label: q.Label, StatusCode: "Complete", Timestamps: []time.Time{}, Values: []float64{}}
		if res.Label == "" {
			res.Label = ms.Metric.MetricName
		}
		sr := svc.metrics.get(ms.Metric.Namespace, ms.Metric.MetricName, ms.Metric.Dimensions)
		period := svc.periodLen(ms.Period)
		// Periods are aligned to the period length, as CloudWatch aligns them.
		first := in.StartTime.Truncate(period)
		for start := first; start.Before(*in.EndTime); start = start.Add(period) {
			if v, ok := sr.window(start, start.Add(period)).stat(ms.Stat); ok {
				res.Timestamps = append(res.Timestamps, start)
				res.Values = append(res.Values, v)
			}
		}
		if descending {
			slices.Reverse(res.Timestamps)
			slices.Reverse(res.Values)
		}
		out.MetricDataResults = append(out.MetricDataResults, res)
	}
	return out, nil
}

func (svc *Service) putMetricData(_ context.Context, in *putMetricDataInput) (*empty, error) {
	switch {
	case in.Namespace == "":
		return nil, errMissing("Namespace")
	case strings.HasPrefix(in.Namespace, "AWS/"):
		return nil, errInvalidValue("The value %s for parameter Namespace is invalid.", in.Namespace)
	case len(in.MetricData) == 0:
		return nil, errMissing("MetricData")
	case len(in.MetricData) > 1000:
		return nil, errValidation("1 validation error detected: Value at 'metricData' failed to satisfy constraint: Member must have length less than or equal to 1000")
	}
	now := svc.now()
	var samples []sample
	var keys []*metricDatum
	for i := range in.MetricData {
		d := &in.MetricData[i]
		at := now
		if d.Timestamp != nil {
			at = *d.Timestamp
		}
		switch {
		case d.MetricName == "":
			return nil, errMissing(fmt.Sprintf("MetricData.member.%d.MetricName", i+1))
		case d.Value != nil && d.Values != nil:
			return nil, errInvalidValue("The parameters MetricData.member.%d.Value and MetricData.member.%d.Values are mutually exclusive and you have specified both.", i+1, i+1)
		case d.Value != nil:
			if math.IsNaN(*d.Value) || math.IsInf(*d.Value, 0) {
				return nil, errInvalidValue("The value %v for parameter MetricData.member.%d.Value is invalid.", *d.Value, i+1)
			}
			samples = append(samples, sample{at: at, count: 1, sum: *d.Value, min: *d.Value, max: *d.Value, unit: d.Unit})
			keys = append(keys, d)
		case d.StatisticValues != nil:
			s := d.StatisticValues
			samples = append(samples, sample{at: at, count: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum, unit: d.Unit})
			keys = append(keys, d)
		case d.Values != nil:
			if d.Counts != nil && len(d.Counts) != len(d.Values) {
				return nil, errInvalidValue("The parameters MetricData.member.%d.Values and MetricData.member.%d.Counts must be of the same size.", i+1, i+1)
			}
			for j, v := range d.Values {
				c := 1.0
				if d.Counts != nil {
					c = d.Counts[j]
				}
				samples = append(samples, sample{at: at, count: c, sum: v * c, min: v, max: v, unit: d.Unit})
				keys = append(keys, d)
			}
		default:
			return nil, newError(http.StatusBadRequest, "MissingParameter", "The parameter MetricData.member.%d.Value is required.", i+1)
		}
	}
	svc.mu.Lock()
	for i, s := range samples {
		svc.metrics.add(in.Namespace, keys[i].MetricName, keys[i].Dimensions, s)
	}
	svc.mu.Unlock()
	return &empty{}, nil
}

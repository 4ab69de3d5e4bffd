package cloudwatch

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Alarm states.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// How an alarm treats periods without data (TreatMissingData).
const (
	missingAsMissing      = "missing"
	missingIgnore         = "ignore"
	missingBreaching      = "breaching"
	missingNotBreaching   = "notBreaching"
	initialReason         = "Unchecked: Initial alarm creation"
	unevaluatedMathReason = "Unchecked: the ecprov emulator does not evaluate alarms on metric math (Metrics); set the state with SetAlarmState"
)

var (
	anomalyOperators = []string{"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
	missingModes     = []string{missingBreaching, missingNotBreaching, missingIgnore, missingAsMissing}
)

// StateChange is an alarm moving from one state to another.
// Options.OnStateChange receives it, e.g. to publish to the alarm's SNS
// topics.
type StateChange struct {
	AlarmName, AlarmARN string
	OldState, NewState  string
	Reason, ReasonData  string
	Time                time.Time
	// Actions are the ARNs configured for the new state; empty when the
	// alarm's actions are disabled.
	Actions []string
}

// alarm is a metric alarm: its definition as last put, and its state.
type alarm struct {
	def           putMetricAlarmInput
	arn           string
	configUpdated time.Time
	state         string
	reason        string
	reasonData    string
	stateUpdated  time.Time
	transitioned  time.Time
}

func (a *alarm) actionsEnabled() bool { return a.def.ActionsEnabled == nil || *a.def.ActionsEnabled }

func (a *alarm) actionsFor(state string) []string {
	if !a.actionsEnabled() {
		return nil
	}
	switch state {
	case StateAlarm:
		return slices.Clone(a.def.AlarmActions)
	case StateOK:
		return slices.Clone(a.def.OKActions)
	default:
		return slices.Clone(a.def.InsufficientDataActions)
	}
}

// setState moves the alarm to state, reporting the change (nil if the state
// stays the same).
func (a *alarm) setState(state, reason, data string, now time.Time) *StateChange {
	if state == a.state {
		return nil
	}
	old := a.state
	a.state, a.reason, a.reasonData = state, reason, data
	a.stateUpdated, a.transitioned = now, now
	return &StateChange{
		AlarmName: a.def.AlarmName, AlarmARN: a.arn,
		OldState: old, NewState: state,
		Reason: reason, ReasonData: data, Time: now,
		Actions: a.actionsFor(state),
	}
}

func (a *alarm) wire() metricAlarm {
	d := a.def
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return slices.Clone(s)
	}
	m := metricAlarm{
		AlarmName:                          d.AlarmName,
		AlarmArn:                           a.arn,
		AlarmDescription:                   d.AlarmDescription,
		AlarmConfigurationUpdatedTimestamp: a.configUpdated,
		ActionsEnabled:                     a.actionsEnabled(),
		OKActions:                          orEmpty(d.OKActions),
		AlarmActions:                       orEmpty(d.AlarmActions),
		InsufficientDataActions:            orEmpty(d.InsufficientDataActions),
		StateValue:                         a.state,
		StateReason:                        a.reason,
		StateReasonData:                    a.reasonData,
		StateUpdatedTimestamp:              a.stateUpdated,
		MetricName:                         d.MetricName,
		Namespace:                          d.Namespace,
		Statistic:                          d.Statistic,
		ExtendedStatistic:                  d.ExtendedStatistic,
		Dimensions:                         slices.Clone(d.Dimensions),
		Period:                             d.Period,
		Unit:                               d.Unit,
		DatapointsToAlarm:                  d.DatapointsToAlarm,
		Threshold:                          d.Threshold,
		ComparisonOperator:                 d.ComparisonOperator,
		TreatMissingData:                   d.TreatMissingData,
		EvaluateLowSampleCountPercentile:   d.EvaluateLowSampleCountPercentile,
		Metrics:                            slices.Clone(d.Metrics),
		ThresholdMetricID:                  d.ThresholdMetricID,
		StateTransitionedTimestamp:         a.transitioned,
	}
	if m.Dimensions == nil {
		m.Dimensions = []Dimension{}
	}
	if d.EvaluationPeriods != nil {
		m.EvaluationPeriods = *d.EvaluationPeriods
	}
	return m
}

// validateAlarm applies the checks AWS makes on PutMetricAlarm, with its
// error codes and, where known, its wording.
func validateAlarm(in *putMetricAlarmInput) error {
	// The model's rules (AlarmName 1 to 255, the ComparisonOperator enum,
	// EvaluationPeriods and DatapointsToAlarm at least 1, at most 5
	// actions of each kind, the Statistic enum, at most 30 Dimensions)
	// are checked before the operation runs; these are CloudWatch's own.
	if in.EvaluationPeriods == nil { // required by the model; guards the dereferences below
		return errMissing("EvaluationPeriods")
	}
	if slices.Contains(anomalyOperators, in.ComparisonOperator) && in.ThresholdMetricID == "" {
		return errValidation("Comparison operator %s is only valid with a ThresholdMetricId (anomaly detection band)", in.ComparisonOperator)
	}
	if in.DatapointsToAlarm != nil && *in.DatapointsToAlarm > *in.EvaluationPeriods {
		return errValidation("DatapointsToAlarm must be less than or equal to EvaluationPeriods")
	}
	if in.TreatMissingData != "" && !slices.Contains(missingModes, in.TreatMissingData) {
		return errValidation("Invalid value '%s' for TreatMissingData; valid values are %s", in.TreatMissingData, strings.Join(missingModes, ", "))
	}
	if len(in.Metrics) > 0 {
		if in.MetricName != "" || in.Namespace != "" || in.Statistic != "" || in.Period != nil {
			return newError(400, "InvalidParameterCombination", "Metrics may not be combined with MetricName, Namespace, Statistic or Period")
		}
		return nil
	}
	switch {
	case in.MetricName == "":
		return errMissing("MetricName")
	case in.Namespace == "":
		return errMissing("Namespace")
	case (in.Statistic == "") == (in.ExtendedStatistic == ""):
		return errValidation("Exactly one of Statistic and ExtendedStatistic must be specified")
	case in.ExtendedStatistic != "" && !validStat(in.ExtendedStatistic):
		return errInvalidValue("The value %s for parameter ExtendedStatistic is not supported.", in.ExtendedStatistic)
	case in.Period == nil:
		return errMissing("Period")
	case !validAlarmPeriod(*in.Period):
		return errValidation("Period must be 10, 30 or a multiple of 60")
	case int64(*in.Period)*int64(*in.EvaluationPeriods) > 86400:
		return errValidation("Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)")
	case in.Threshold == nil && in.ThresholdMetricID == "":
		return errMissing("Threshold")
	}
	return nil
}

func validAlarmPeriod(p int32) bool { return p == 10 || p == 30 || (p >= 60 && p%60 == 0) }

// evaluation is the outcome of evaluating an alarm.
type evaluation struct {
	state, reason, data string
}

type periodValue struct {
	start time.Time
	value float64
	count float64
	ok    bool // false: no data in the period
}

// evaluate decides an alarm's state from the last EvaluationPeriods periods
// before now: ALARM when at least DatapointsToAlarm of them breach, OK when
// fewer do, and for periods without data what TreatMissingData says. It
// returns false when the state is to be left as it is.
func (a *alarm) evaluate(m *metricStore, now time.Time, periodLen func(int32) time.Duration) (evaluation, bool) {
	d := a.def
	if len(d.Metrics) > 0 || d.Threshold == nil || d.Period == nil || d.EvaluationPeriods == nil {
		return evaluation{}, false
	}
	n := int(*d.EvaluationPeriods)
	need := n
	if d.DatapointsToAlarm != nil {
		need = int(*d.DatapointsToAlarm)
	}
	stat := d.Statistic
	if stat == "" {
		stat = d.ExtendedStatistic
	}
	period := periodLen(*d.Period)
	sr := m.get(d.Namespace, d.MetricName, d.Dimensions)

	// Most recent period first, as AWS lists recentDatapoints.
	values := make([]periodValue, n)
	for i := range values {
		end := now.Add(-time.Duration(i) * period)
		start := end.Add(-period)
		agg := sr.trailing(end, period)
		v, ok := agg.stat(stat)
		values[i] = periodValue{start: start, value: v, count: agg.count, ok: ok}
	}

	treat := d.TreatMissingData
	if treat == "" {
		treat = missingAsMissing
	}
	var breaching, present, missing int
	for _, pv := range values {
		switch {
		case pv.ok:
			present++
			if breaches(d.ComparisonOperator, pv.value, *d.Threshold) {
				breaching++
			}
		case treat == missingBreaching:
			present++
			breaching++
		case treat == missingNotBreaching:
			present++
		default:
			missing++
		}
	}
	data := reasonData(stat, *d.Period, *d.Threshold, now, values)
	switch {
	case breaching >= need:
		return evaluation{StateAlarm, thresholdReason(a.state, StateAlarm, d.ComparisonOperator, *d.Threshold, values, breaching, n, need), data}, true
	case present == 0 && treat == missingIgnore:
		return evaluation{}, false
	case present == 0:
		unit := "datapoints were"
		if n == 1 {
			unit = "datapoint was"
		}
		return evaluation{StateInsufficientData, fmt.Sprintf("Insufficient Data: %d %s unknown.", missing, unit), data}, true
	default:
		return evaluation{StateOK, thresholdReason(a.state, StateOK, d.ComparisonOperator, *d.Threshold, values, present-breaching, n, 1), data}, true
	}
}

func breaches(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

var operatorWords = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to",
	"GreaterThanThreshold":          "greater than",
	"LessThanThreshold":             "less than",
	"LessThanOrEqualToThreshold":    "less than or equal to",
}

// thresholdReason writes a StateReason the way CloudWatch does, e.g.
// "Threshold Crossed: 1 datapoint [150.0 (26/11/26 12:58:00)] was greater
// than the threshold (100.0)."
func thresholdReason(from, to, op string, threshold float64, values []periodValue, matching, n, minimum int) string {
	var points []string
	for _, pv := range values {
		if pv.ok {
			points = append(points, fmt.Sprintf("%s (%s)", javaDouble(pv.value), pv.start.UTC().Format("02/01/06 15:04:05")))
		}
	}
	words := operatorWords[op]
	if to == StateOK {
		words = "not " + words
	}
	if n == 1 && len(points) == 1 {
		return fmt.Sprintf("Threshold Crossed: 1 datapoint [%s] was %s the threshold (%s).", points[0], words, javaDouble(threshold))
	}
	verb, unit := "were", "datapoints"
	if matching == 1 {
		verb = "was"
	}
	minUnit := "datapoints"
	if minimum == 1 {
		minUnit = "datapoint"
	}
	return fmt.Sprintf("Threshold Crossed: %d out of the last %d %s [%s] %s %s the threshold (%s) (minimum %d %s for %s -> %s transition).",
		matching, n, unit, strings.Join(points, ", "), verb, words, javaDouble(threshold), minimum, minUnit, from, to)
}

// reasonData is the StateReasonData JSON document CloudWatch attaches.
func reasonData(stat string, period int32, threshold float64, now time.Time, values []periodValue) string {
	type evaluated struct {
		Timestamp   string   `json:"timestamp"`
		SampleCount *float64 `json:"sampleCount,omitempty"`
		Value       *float64 `json:"value,omitempty"`
	}
	doc := struct {
		Version             string      `json:"version"`
		QueryDate           string      `json:"queryDate"`
		StartDate           string      `json:"startDate"`
		Statistic           string      `json:"statistic"`
		Period              int32       `json:"period"`
		RecentDatapoints    []float64   `json:"recentDatapoints"`
		Threshold           float64     `json:"threshold"`
		EvaluatedDatapoints []evaluated `json:"evaluatedDatapoints"`
	}{
		Version: "1.0", QueryDate: isoMillis(now), Statistic: stat, Period: period,
		RecentDatapoints: []float64{}, Threshold: threshold,
	}
	for _, pv := range values {
		doc.StartDate = isoMillis(pv.start)
		e := evaluated{Timestamp: isoMillis(pv.start)}
		if pv.ok {
			doc.RecentDatapoints = append(doc.RecentDatapoints, pv.value)
			e.SampleCount, e.Value = &pv.count, &pv.value
		}
		doc.EvaluatedDatapoints = append(doc.EvaluatedDatapoints, e)
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// javaDouble formats a number as CloudWatch's messages do (Java's
// Double.toString for everyday magnitudes): 100.0, 0.5.
func javaDouble(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e7 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

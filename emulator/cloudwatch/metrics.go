package cloudwatch

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The metric store: datapoints per metric (namespace, name and dimensions),
// and the statistics CloudWatch computes over them. Nothing here knows about
// the wire.

// retention bounds how long datapoints are kept; the emulator runs for
// hours, not the 15 months AWS keeps.
const retention = 24 * time.Hour

// sample is one stored datapoint; a raw value has count 1 and sum = min = max.
type sample struct {
	at                   time.Time
	count, sum, min, max float64
	unit                 string
}

type series struct {
	namespace, name string
	dims            []Dimension // sorted by name
	samples         []sample    // in time order
}

type metricStore struct {
	series map[string]*series
}

func newMetricStore() *metricStore { return &metricStore{series: map[string]*series{}} }

func sortedDims(dims []Dimension) []Dimension {
	d := slices.Clone(dims)
	slices.SortFunc(d, func(a, b Dimension) int { return strings.Compare(a.Name, b.Name) })
	return d
}

// metricKey identifies a metric. Dimensions are part of the identity: a
// metric with one more dimension is another metric, as on AWS.
func metricKey(namespace, name string, dims []Dimension) string {
	var b strings.Builder
	b.WriteString(namespace + "\x00" + name)
	for _, d := range sortedDims(dims) {
		b.WriteString("\x00" + d.Name + "=" + d.Value)
	}
	return b.String()
}

func (m *metricStore) add(namespace, name string, dims []Dimension, s sample) {
	key := metricKey(namespace, name, dims)
	sr, ok := m.series[key]
	if !ok {
		sr = &series{namespace: namespace, name: name, dims: sortedDims(dims)}
		m.series[key] = sr
	}
	i := len(sr.samples)
	for i > 0 && sr.samples[i-1].at.After(s.at) {
		i--
	}
	sr.samples = slices.Insert(sr.samples, i, s)
	cut := 0
	for cut < len(sr.samples) && s.at.Sub(sr.samples[cut].at) > retention {
		cut++
	}
	sr.samples = sr.samples[cut:]
}

func (m *metricStore) get(namespace, name string, dims []Dimension) *series {
	return m.series[metricKey(namespace, name, dims)]
}

// window aggregates the samples in [from, to): a period as GetMetricData
// reports it, labelled with its start.
func (sr *series) window(from, to time.Time) aggregate {
	return sr.aggregate(func(t time.Time) bool { return !t.Before(from) && t.Before(to) })
}

// trailing aggregates the samples in (end-d, end]: a period that ends with
// the sample taken at end, as alarm evaluation looks back from now.
func (sr *series) trailing(end time.Time, d time.Duration) aggregate {
	start := end.Add(-d)
	return sr.aggregate(func(t time.Time) bool { return t.After(start) && !t.After(end) })
}

func (sr *series) aggregate(in func(time.Time) bool) aggregate {
	var a aggregate
	if sr == nil {
		return a
	}
	for _, s := range sr.samples {
		if in(s.at) {
			a.add(s)
		}
	}
	return a
}

type aggregate struct {
	count, sum, min, max float64
	values               []float64 // for percentiles: each sample's mean, once per count
}

func (a *aggregate) add(s sample) {
	if a.count == 0 {
		a.min, a.max = s.min, s.max
	}
	a.count += s.count
	a.sum += s.sum
	a.min = math.Min(a.min, s.min)
	a.max = math.Max(a.max, s.max)
	if s.count > 0 {
		// Bounded: a statistic set may claim millions of samples.
		for range int(math.Min(1000, math.Max(1, math.Round(s.count)))) {
			a.values = append(a.values, s.sum/s.count)
		}
	}
}

func (a aggregate) empty() bool { return a.count == 0 }

// stat computes a statistic: SampleCount, Average, Sum, Minimum, Maximum or
// a percentile pNN(.NN).
func (a aggregate) stat(name string) (float64, bool) {
	if a.empty() {
		return 0, false
	}
	switch name {
	case "SampleCount":
		return a.count, true
	case "Average":
		return a.sum / a.count, true
	case "Sum":
		return a.sum, true
	case "Minimum":
		return a.min, true
	case "Maximum":
		return a.max, true
	}
	if p, ok := percentile(name); ok {
		v := slices.Clone(a.values)
		slices.Sort(v)
		i := int(math.Ceil(p/100*float64(len(v)))) - 1
		return v[max(0, min(i, len(v)-1))], true
	}
	return 0, false
}

var simpleStatistics = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

func validStat(name string) bool {
	if slices.Contains(simpleStatistics, name) {
		return true
	}
	_, ok := percentile(name)
	return ok
}

func percentile(name string) (float64, bool) {
	rest, ok := strings.CutPrefix(name, "p")
	if !ok {
		return 0, false
	}
	p, err := strconv.ParseFloat(rest, 64)
	if err != nil || p < 0 || p > 100 {
		return 0, false
	}
	return p, true
}

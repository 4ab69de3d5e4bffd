package cloudwatch

import "time"

// The request and response shapes of the operations served, named and
// tagged as in the CloudWatch API. The same structs travel as CBOR (Go SDK)
// and as JSON 1.0 (AWS CLI).

// Dimension is a metric dimension.
type Dimension struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type metric struct {
	Namespace  string      `json:"Namespace,omitempty"`
	MetricName string      `json:"MetricName,omitempty"`
	Dimensions []Dimension `json:"Dimensions,omitempty"`
}

type metricStat struct {
	Metric metric `json:"Metric"`
	Period int32  `json:"Period"`
	Stat   string `json:"Stat"`
	Unit   string `json:"Unit,omitempty"`
}

type metricDataQuery struct {
	ID         string      `json:"Id"`
	MetricStat *metricStat `json:"MetricStat,omitempty"`
	Expression string      `json:"Expression,omitempty"`
	Label      string      `json:"Label,omitempty"`
	ReturnData *bool       `json:"ReturnData,omitempty"`
	Period     *int32      `json:"Period,omitempty"`
	AccountID  string      `json:"AccountId,omitempty"`
}

type putMetricAlarmInput struct {
	AlarmName                        string            `json:"AlarmName"`
	AlarmDescription                 string            `json:"AlarmDescription,omitempty"`
	ActionsEnabled                   *bool             `json:"ActionsEnabled,omitempty"`
	OKActions                        []string          `json:"OKActions,omitempty"`
	AlarmActions                     []string          `json:"AlarmActions,omitempty"`
	InsufficientDataActions          []string          `json:"InsufficientDataActions,omitempty"`
	MetricName                       string            `json:"MetricName,omitempty"`
	Namespace                        string            `json:"Namespace,omitempty"`
	Statistic                        string            `json:"Statistic,omitempty"`
	ExtendedStatistic                string            `json:"ExtendedStatistic,omitempty"`
	Dimensions                       []Dimension       `json:"Dimensions,omitempty"`
	Period                           *int32            `json:"Period,omitempty"`
	Unit                             string            `json:"Unit,omitempty"`
	EvaluationPeriods                *int32            `json:"EvaluationPeriods,omitempty"`
	DatapointsToAlarm                *int32            `json:"DatapointsToAlarm,omitempty"`
	Threshold                        *float64          `json:"Threshold,omitempty"`
	ComparisonOperator               string            `json:"ComparisonOperator,omitempty"`
	TreatMissingData                 string            `json:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile string            `json:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                          []metricDataQuery `json:"Metrics,omitempty"`
	Tags                             []Tag             `json:"Tags,omitempty"`
	ThresholdMetricID                string            `json:"ThresholdMetricId,omitempty"`
}

type metricAlarm struct {
	AlarmName                          string            `json:"AlarmName"`
	AlarmArn                           string            `json:"AlarmArn"`
	AlarmDescription                   string            `json:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp time.Time         `json:"AlarmConfigurationUpdatedTimestamp"`
	ActionsEnabled                     bool              `json:"ActionsEnabled"`
	OKActions                          []string          `json:"OKActions"`
	AlarmActions                       []string          `json:"AlarmActions"`
	InsufficientDataActions            []string          `json:"InsufficientDataActions"`
	StateValue                         string            `json:"StateValue"`
	StateReason                        string            `json:"StateReason"`
	StateReasonData                    string            `json:"StateReasonData,omitempty"`
	StateUpdatedTimestamp              time.Time         `json:"StateUpdatedTimestamp"`
	MetricName                         string            `json:"MetricName,omitempty"`
	Namespace                          string            `json:"Namespace,omitempty"`
	Statistic                          string            `json:"Statistic,omitempty"`
	ExtendedStatistic                  string            `json:"ExtendedStatistic,omitempty"`
	Dimensions                         []Dimension       `json:"Dimensions"`
	Period                             *int32            `json:"Period,omitempty"`
	Unit                               string            `json:"Unit,omitempty"`
	EvaluationPeriods                  int32             `json:"EvaluationPeriods"`
	DatapointsToAlarm                  *int32            `json:"DatapointsToAlarm,omitempty"`
	Threshold                          *float64          `json:"Threshold,omitempty"`
	ComparisonOperator                 string            `json:"ComparisonOperator"`
	TreatMissingData                   string            `json:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile   string            `json:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                            []metricDataQuery `json:"Metrics,omitempty"`
	ThresholdMetricID                  string            `json:"ThresholdMetricId,omitempty"`
	StateTransitionedTimestamp         time.Time         `json:"StateTransitionedTimestamp"`
}

type describeAlarmsInput struct {
	AlarmNames      []string `json:"AlarmNames,omitempty"`
	AlarmNamePrefix string   `json:"AlarmNamePrefix,omitempty"`
	AlarmTypes      []string `json:"AlarmTypes,omitempty"`
	StateValue      string   `json:"StateValue,omitempty"`
	ActionPrefix    string   `json:"ActionPrefix,omitempty"`
	MaxRecords      *int32   `json:"MaxRecords,omitempty"`
	NextToken       string   `json:"NextToken,omitempty"`
}

type describeAlarmsOutput struct {
	MetricAlarms    []metricAlarm `json:"MetricAlarms"`
	CompositeAlarms []struct{}    `json:"CompositeAlarms"`
	NextToken       string        `json:"NextToken,omitempty"`
}

type deleteAlarmsInput struct {
	AlarmNames []string `json:"AlarmNames"`
}

type setAlarmStateInput struct {
	AlarmName       string `json:"AlarmName"`
	StateValue      string `json:"StateValue"`
	StateReason     string `json:"StateReason"`
	StateReasonData string `json:"StateReasonData,omitempty"`
}

type getMetricDataInput struct {
	MetricDataQueries []metricDataQuery `json:"MetricDataQueries"`
	StartTime         *time.Time        `json:"StartTime,omitempty"`
	EndTime           *time.Time        `json:"EndTime,omitempty"`
	NextToken         string            `json:"NextToken,omitempty"`
	ScanBy            string            `json:"ScanBy,omitempty"`
	MaxDatapoints     *int32            `json:"MaxDatapoints,omitempty"`
}

type messageData struct {
	Code  string `json:"Code,omitempty"`
	Value string `json:"Value,omitempty"`
}

type metricDataResult struct {
	ID         string        `json:"Id"`
	Label      string        `json:"Label"`
	Timestamps []time.Time   `json:"Timestamps"`
	Values     []float64     `json:"Values"`
	StatusCode string        `json:"StatusCode"`
	Messages   []messageData `json:"Messages,omitempty"`
}

type getMetricDataOutput struct {
	MetricDataResults []metricDataResult `json:"MetricDataResults"`
	Messages          []messageData      `json:"Messages"`
}

type statisticSet struct {
	SampleCount float64 `json:"SampleCount"`
	Sum         float64 `json:"Sum"`
	Minimum     float64 `json:"Minimum"`
	Maximum     float64 `json:"Maximum"`
}

type metricDatum struct {
	MetricName      string        `json:"MetricName"`
	Dimensions      []Dimension   `json:"Dimensions,omitempty"`
	Timestamp       *time.Time    `json:"Timestamp,omitempty"`
	Value           *float64      `json:"Value,omitempty"`
	StatisticValues *statisticSet `json:"StatisticValues,omitempty"`
	Values          []float64     `json:"Values,omitempty"`
	Counts          []float64     `json:"Counts,omitempty"`
	Unit            string        `json:"Unit,omitempty"`
}

type putMetricDataInput struct {
	Namespace  string        `json:"Namespace"`
	MetricData []metricDatum `json:"MetricData"`
}

type empty struct{}

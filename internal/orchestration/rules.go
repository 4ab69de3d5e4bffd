package orchestration

import (
	"encoding/json"

	"github.com/ecprov/ecprov/internal/eventbus"
)

// Rule is one EventBridge rule with its one target.
type Rule struct {
	// Suffix names the rule: Name(prefix) is "<prefix>-<Suffix>".
	Suffix      string
	Description string
	// OnDefaultBus: the rule lives on the account's default bus, not on
	// the project's. CloudTrail's "AWS API Call via CloudTrail" events
	// arrive only there, and EventBridge takes a ScheduleExpression only
	// on the default bus ("Creating a scheduled rule (legacy) in Amazon
	// EventBridge"; the emulator refuses it elsewhere with AWS's message).
	OnDefaultBus bool
	Pattern      map[string]any // nil for a scheduled rule
	Schedule     string
	Target       Target
}

// Name is the deployed rule's name.
func (r Rule) Name(prefix string) string { return prefix + "-" + r.Suffix }

// PatternJSON is the rule's event pattern as EventBridge takes it.
func (r Rule) PatternJSON() string {
	if r.Pattern == nil {
		return ""
	}
	data, _ := json.Marshal(r.Pattern) // maps of strings and slices always marshal
	return string(data)
}

// Target is what a rule starts, with what input and how persistently.
type Target struct {
	// ID is the target's id within its rule (botocore TargetId:
	// [\.\-_A-Za-z0-9]+, 1-64).
	ID string
	// StateMachine is the StateMachines entry it starts.
	StateMachine string
	// InputPaths and InputTemplate form the target's input transformer; a
	// target without them is sent ConstantInput instead.
	InputPaths    map[string]string
	InputTemplate string
	ConstantInput string
	Retry         RetryPolicy
}

// RetryPolicy is a target's EventBridge RetryPolicy (botocore shape
// RetryPolicy: MaximumRetryAttempts 0-185, MaximumEventAgeInSeconds
// 60-86400).
type RetryPolicy struct {
	MaximumRetryAttempts     int
	MaximumEventAgeInSeconds int
}

// ReconcileSchedule is how often every managed group is reconciled, because
// event delivery is best effort.
const ReconcileSchedule = "rate(1 hour)"

// reconcileRetry keeps retrying a rule's start of reconcile for up to an
// hour: a failover notice that cannot start reconcile by then is
// superseded by the next scheduled run (ReconcileSchedule). On AWS what is
// still undelivered then lands in the rule dead-letter queue (infra/).
var reconcileRetry = RetryPolicy{MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600}

// Rules are the rules that start reconcile.
var Rules = []Rule{
	{
		Suffix:      "failover-notice",
		Description: "ElastiCache notices relayed from SNS by failoverrelay: reconcile the group",
		Pattern: map[string]any{
			"source":      []string{eventbus.NoticeSource},
			"detail-type": []string{eventbus.Notice},
			"detail": map[string]any{"event": []any{
				map[string]string{"prefix": "ElastiCache:Failover"},
				"ElastiCache:CacheClusterRecoveryComplete",
				"ElastiCache:ReplicationGroupScalingComplete",
				"ElastiCache:CacheNodeReplaceComplete",
			}},
		},
		Target: Target{
			ID: "reconcile", StateMachine: "reconcile", Retry: reconcileRetry,
			InputPaths:    map[string]string{"group": "$.detail.replicationGroupId", "event": "$.detail.event"},
			InputTemplate: `{"replicationGroupId": <group>, "trigger": <event>}`,
		},
	},
	{
		Suffix:       "testfailover-cloudtrail",
		Description:  "The TestFailover API call, as CloudTrail records it on the default bus: reconcile the group",
		OnDefaultBus: true,
		Pattern: map[string]any{
			"source":      []string{"aws.elasticache"},
			"detail-type": []string{"AWS API Call via CloudTrail"},
			"detail": map[string]any{
				"eventSource": []string{"elasticache.amazonaws.com"},
				"eventName":   []string{"TestFailover"},
			},
		},
		Target: Target{
			ID: "reconcile", StateMachine: "reconcile", Retry: reconcileRetry,
			InputPaths:    map[string]string{"group": "$.detail.requestParameters.replicationGroupId"},
			InputTemplate: `{"replicationGroupId": <group>, "trigger": "TestFailover"}`,
		},
	},
	{
		Suffix:       "reconcile-schedule",
		Description:  "Reconcile every managed group periodically; event delivery is best effort",
		OnDefaultBus: true,
		Schedule:     ReconcileSchedule,
		Target: Target{
			ID: "reconcile", StateMachine: "reconcile", Retry: reconcileRetry,
			ConstantInput: `{"all": true, "trigger": "schedule"}`,
		},
	},
}

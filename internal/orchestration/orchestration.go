// Package orchestration is the one definition of what ecprov deploys: the
// functions, the state machines with their substitutions, the event bus, the
// rules with their patterns and targets, and the notification topic. The CDK
// app (infra/) and the local emulator both read it, so the two cannot drift.
package orchestration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ecprov/ecprov/internal/awsclient"
	"github.com/ecprov/ecprov/internal/eventbus"
)

// Function is one Lambda function, built from functions/<Name>.
type Function struct {
	Name        string
	Description string
	MemoryMB    int
	Timeout     time.Duration
	// Placeholder is the ASL substitution that carries its ARN ("" if no
	// state machine calls it directly).
	Placeholder string
	// NeedsBus: the function puts events and gets ECPROV_EVENT_BUS.
	NeedsBus bool
}

// Functions are every function ecprov deploys.
var Functions = []Function{
	{Name: "createcluster", Description: "validate, network pre-flight, ensure parameter/subnet/replication groups", MemoryMB: 256, Timeout: 60 * time.Second, Placeholder: "CreateClusterFunctionArn"},
	{Name: "waitready", Description: "one look at the replication group and when to look again", MemoryMB: 128, Timeout: 30 * time.Second, Placeholder: "WaitReadyFunctionArn"},
	{Name: "publishsecret", Description: "publish the endpoint document to Secrets Manager", MemoryMB: 128, Timeout: 30 * time.Second, Placeholder: "PublishSecretFunctionArn"},
	{Name: "alarms", Description: "keep three CloudWatch alarms per member node", MemoryMB: 128, Timeout: 60 * time.Second, Placeholder: "AlarmsFunctionArn"},
	{Name: "profiles", Description: "store and resolve provisioned profiles for reconcile", MemoryMB: 128, Timeout: 30 * time.Second, Placeholder: "ProfilesFunctionArn"},
	{Name: "teardown", Description: "delete one kind of resource per call", MemoryMB: 128, Timeout: 60 * time.Second, Placeholder: "TeardownFunctionArn"},
	{Name: "events", Description: "put an ecprov event on the project bus", MemoryMB: 128, Timeout: 15 * time.Second, Placeholder: "EventsFunctionArn", NeedsBus: true},
	{Name: "failoverrelay", Description: "relay ElastiCache SNS notices to the project bus", MemoryMB: 128, Timeout: 15 * time.Second, NeedsBus: true},
}

// StateMachine is one ASL file in statemachine/.
type StateMachine struct {
	Name string // provision, reconcile, teardown
	File string
}

// StateMachines are the three state machines.
var StateMachines = []StateMachine{
	{Name: "provision", File: "provision.asl.json"},
	{Name: "reconcile", File: "reconcile.asl.json"},
	{Name: "teardown", File: "teardown.asl.json"},
}

// Names of the deployed resources, given the project prefix (default "ecprov").
func FunctionName(prefix, fn string) string     { return prefix + "-" + fn }
func StateMachineName(prefix, sm string) string { return prefix + "-" + sm }
func BusName(prefix string) string              { return prefix }
func TopicName(prefix string) string            { return prefix + "-elasticache-notices" }

// OutputKey is the stack output that holds a state machine's ARN, e.g.
// "ProvisionStateMachineArn"; the CDK app writes it, the CLI reads it.
func OutputKey(stateMachine string) string {
	return strings.ToUpper(stateMachine[:1]) + stateMachine[1:] + "StateMachineArn"
}

// Substitutions fills an ASL file's ${...} placeholders: one ARN per
// function that a state machine calls, and the bus name.
func Substitutions(functionARN func(fn string) string, bus string) map[string]string {
	subs := map[string]string{"EventBusName": bus}
	for _, f := range Functions {
		if f.Placeholder != "" {
			subs[f.Placeholder] = functionARN(f.Name)
		}
	}
	return subs
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Placeholders lists the ${...} names a definition uses.
func Placeholders(definition string) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(definition, -1) {
		seen[m[1]] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Render substitutes a definition as CDK's DefinitionSubstitutions do, and
// fails on a placeholder with no value.
func Render(definition string, subs map[string]string) (string, error) {
	for _, name := range Placeholders(definition) {
		if _, ok := subs[name]; !ok {
			return "", fmt.Errorf("placeholder ${%s} has no substitution", name)
		}
	}
	return placeholder.ReplaceAllStringFunc(definition, func(m string) string {
		return subs[m[2:len(m)-1]]
	}), nil
}

// ReadDefinition reads statemachine/<file> under root.
func ReadDefinition(root string, sm StateMachine) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "statemachine", sm.File))
	if err != nil {
		return "", fmt.Errorf("read state machine %s: %w", sm.Name, err)
	}
	return string(data), nil
}

// Rule is one EventBridge rule; its target is the reconcile state machine.
type Rule struct {
	Name        string
	Description string
	// OnDefaultBus: the rule lives on the account's default bus (CloudTrail
	// events arrive there), not on the project's bus.
	OnDefaultBus bool
	Pattern      map[string]any // nil for a scheduled rule
	Schedule     string
	// InputPaths and InputTemplate form the target's input transformer; a
	// scheduled rule uses ConstantInput instead.
	InputPaths    map[string]string
	InputTemplate string
	ConstantInput string
}

// ReconcileSchedule is how often every managed group is reconciled, because
// event delivery is best effort.
const ReconcileSchedule = "rate(1 hour)"

// Rules are the rules that start reconcile.
func Rules(prefix string) []Rule {
	return []Rule{
		{
			Name:        prefix + "-failover-notice",
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
			InputPaths:    map[string]string{"group": "$.detail.replicationGroupId", "event": "$.detail.event"},
			InputTemplate: `{"replicationGroupId": <group>, "trigger": <event>}`,
		},
		{
			Name:         prefix + "-testfailover-cloudtrail",
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
			InputPaths:    map[string]string{"group": "$.detail.requestParameters.replicationGroupId"},
			InputTemplate: `{"replicationGroupId": <group>, "trigger": "TestFailover"}`,
		},
		{
			Name:          prefix + "-reconcile-schedule",
			Description:   "Reconcile every managed group periodically; event delivery is best effort",
			Schedule:      ReconcileSchedule,
			ConstantInput: `{"all": true, "trigger": "schedule"}`,
		},
	}
}

// PatternJSON is the rule's event pattern as EventBridge takes it.
func (r Rule) PatternJSON() string {
	if r.Pattern == nil {
		return ""
	}
	data, _ := json.Marshal(r.Pattern) // maps of strings and slices always marshal
	return string(data)
}

// EventBusEnv is passed to the functions with NeedsBus.
const EventBusEnv = awsclient.EventBusEnv

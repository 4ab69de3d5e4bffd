// Package orchestration is the one definition of what ecprov deploys: the
// functions (orchestration.go) and what each may do (permissions.go), the
// state machines with their substitutions, the event bus, the rules with
// their patterns, targets and retry policies (rules.go), and the notice
// topic with its subscription and access policy (topic.go). The CDK app
// (infra/) and the local emulator (emulator/orchestration.go) only
// translate these values into CloudFormation resources and API calls, so
// the two cannot drift; each has a test that compares what it deployed
// with this package.
package orchestration

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ecprov/ecprov/internal/awsclient"
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

// FunctionByName finds one of Functions.
func FunctionByName(name string) (Function, bool) {
	i := slices.IndexFunc(Functions, func(f Function) bool { return f.Name == name })
	if i < 0 {
		return Function{}, false
	}
	return Functions[i], true
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

// Placeholders lists the ${...} names a definition uses, sorted.
func Placeholders(definition string) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(definition, -1) {
		seen[m[1]] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// Render substitutes ${Name} placeholders as CDK's DefinitionSubstitutions
// do, and fails on every placeholder with no value. It fills the state
// machine definitions here and in the emulator, and the ARN patterns and
// condition values of the policies (Env.Expand). Substituted values are
// not scanned again, so a value may itself contain "${" (CDK tokens do).
func Render(definition string, subs map[string]string) (string, error) {
	var missing []string
	for _, name := range Placeholders(definition) {
		if _, ok := subs[name]; !ok {
			missing = append(missing, "${"+name+"}")
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("placeholders with no substitution: %s", strings.Join(missing, ", "))
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

// EventBusEnv is passed to the functions with NeedsBus.
const EventBusEnv = awsclient.EventBusEnv

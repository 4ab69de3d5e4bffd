// Package contract holds the JSON shapes that cross from the state
// machines (statemachine/*.asl.json) to Go, and the view `ecprov status`
// prints:
//
//   - ProvisionOutputs: provision's Outputs Pass state, its execution output;
//   - TeardownOutputs: teardown's Outputs Pass state, its execution output;
//   - ReconcileSummary: reconcile's Summary Pass state, one per group in its
//     execution output and the detail of the "Reconciled" event; its Input
//     is reconcile's execution input (ReconcileInput), what the rules send;
//   - StatusView: what `ecprov status` prints.
//
// The CLI decodes into these types instead of looking keys up in maps, and
// contract_test.go fails when a Pass state's keys and a type's JSON tags
// disagree, so that renaming a key in the ASL fails a test instead of
// printing nothing.
package contract

import (
	"encoding/json"
	"time"

	"github.com/ecprov/ecprov/internal/replicationgroup"
)

// ProvisionOutputs is what a provision run returns.
type ProvisionOutputs struct {
	Environment        string                     `json:"environment"`
	ReplicationGroupID string                     `json:"replicationGroupId"`
	Action             string                     `json:"action"` // replicationgroup.ActionCreated, ...
	Changes            []replicationgroup.Change  `json:"changes"`
	PrimaryEndpoint    *replicationgroup.Endpoint `json:"primaryEndpoint"`
	ReaderEndpoint     *replicationgroup.Endpoint `json:"readerEndpoint"`
	Port               int32                      `json:"port"`
	CurrentPrimary     string                     `json:"currentPrimary"`
	SecurityGroupIDs   []string                   `json:"securityGroupIds"`
	SecretARN          string                     `json:"secretArn"`
	SecretVersionID    string                     `json:"secretVersionId"`
	SecretChanged      bool                       `json:"secretChanged"`
	AlarmNames         []string                   `json:"alarmNames"`
	AlarmsChanged      bool                       `json:"alarmsChanged"`
}

// TeardownOutputs is what a teardown run returns. The fields are in JSON
// key order: the CLI prints it as JSON, and its keys stay sorted as they
// were when it printed a map.
type TeardownOutputs struct {
	AlreadyGone        TeardownSteps `json:"alreadyGone"`
	Deleted            TeardownSteps `json:"deleted"`
	Environment        string        `json:"environment"`
	FinalSnapshot      string        `json:"finalSnapshot"`
	ReplicationGroupID string        `json:"replicationGroupId"`
}

// TeardownSteps lists what each teardown step deleted (or found gone).
type TeardownSteps struct {
	Alarms                   []string `json:"alarms"`
	ParameterAndSubnetGroups []string `json:"parameterAndSubnetGroups"`
	ReplicationGroup         []string `json:"replicationGroup"`
	Secret                   []string `json:"secret"`
}

// ReconcileSummary is what one group's reconcile did; a reconcile run
// returns one per group.
type ReconcileSummary struct {
	ReplicationGroupID    string                    `json:"replicationGroupId"`
	Environment           string                    `json:"environment"`
	Execution             string                    `json:"execution"`
	Input                 ReconcileInput            `json:"input"`
	CurrentPrimary        string                    `json:"currentPrimary"`
	SecretChanged         bool                      `json:"secretChanged"`
	SecretVersionID       string                    `json:"secretVersionId"`
	AlarmsCreated         []string                  `json:"alarmsCreated"`
	AlarmsUpdated         []string                  `json:"alarmsUpdated"`
	AlarmsDeleted         []string                  `json:"alarmsDeleted"`
	SettingsRepaired      []replicationgroup.Change `json:"settingsRepaired"`
	SettingsNotRepairable []replicationgroup.Change `json:"settingsNotRepairable"`
}

// ReconcileInput is reconcile's execution input: one group, every group,
// or a given profile, and what triggered it. The rules send it
// (orchestration.Rules); its keys are the ones reconcile's first Choice
// reads.
type ReconcileInput struct {
	ReplicationGroupID string          `json:"replicationGroupId,omitempty"`
	All                bool            `json:"all,omitempty"`
	Profile            json.RawMessage `json:"profile,omitempty"`
	Trigger            string          `json:"trigger,omitempty"`
}

// StatusView is what `ecprov status` prints, and prints as JSON with
// --output json. The fields are in JSON key order, so that the JSON keeps
// the sorted keys it had when the view was a map.
type StatusView struct {
	// Alarms are the group's alarms and their states; nil when they could
	// not be read.
	Alarms      map[string]string `json:"alarms,omitzero"`
	Environment string            `json:"environment"`
	// Group says why the group could not be read; Status and Topology are
	// set when it could.
	Group string `json:"group,omitempty"`
	// RecentExecutions are "<start> <status> <name>" lines by state machine.
	RecentExecutions   map[string][]string        `json:"recentExecutions"`
	ReplicationGroupID string                     `json:"replicationGroupId"`
	Secret             SecretView                 `json:"secret"`
	Status             string                     `json:"status,omitempty"`
	Topology           *replicationgroup.Topology `json:"topology,omitempty"`
}

// SecretView is the endpoint secret in the status; it is the JSON string
// "not found" when there is none.
type SecretView struct {
	Found                bool       `json:"-"`
	ARN                  string     `json:"arn"`
	CurrentVersion       string     `json:"currentVersion,omitempty"`
	ScheduledForDeletion *time.Time `json:"scheduledForDeletion,omitempty"`
	Versions             int        `json:"versions"`
}

// secretNotFound is SecretView's JSON when there is no secret.
const secretNotFound = `"not found"`

// secretFields is SecretView without its methods.
type secretFields SecretView

// MarshalJSON writes "not found" for a secret that was not found.
func (s SecretView) MarshalJSON() ([]byte, error) {
	if !s.Found {
		return []byte(secretNotFound), nil
	}
	return json.Marshal(secretFields(s))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *SecretView) UnmarshalJSON(data []byte) error {
	if string(data) == secretNotFound {
		*s = SecretView{}
		return nil
	}
	var f secretFields
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	*s = SecretView(f)
	s.Found = true
	return nil
}

package replicationgroup

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
)

// Change is one difference between desired and observed state.
type Change struct {
	Resource string `json:"resource"` // replication-group, parameter-group, subnet-group, tags
	Field    string `json:"field"`    // profile field it comes from
	From     string `json:"from"`
	To       string `json:"to"`
	// Reason says why an immutable change cannot be made in place.
	Reason string `json:"reason,omitempty"`
}

func (c Change) String() string {
	s := fmt.Sprintf("%s %s: %q -> %q", c.Resource, c.Field, c.From, c.To)
	if c.Reason != "" {
		s += " (" + c.Reason + ")"
	}
	return s
}

func joinChanges(cs []Change) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, "; ")
}

// Delta is what to change: the in-place modifications, and the differences
// that ElastiCache cannot apply to an existing group.
type Delta struct {
	Modify    []Change
	Immutable []Change
	input     elasticache.ModifyReplicationGroupInput
}

// ModifyInput is the single ModifyReplicationGroup call that applies every
// in-place change, or nil when there is none.
func (d Delta) ModifyInput(id string) *elasticache.ModifyReplicationGroupInput {
	if len(d.Modify) == 0 {
		return nil
	}
	in := d.input
	in.ReplicationGroupId = aws.String(id)
	in.ApplyImmediately = aws.Bool(true)
	return &in
}

// Diff compares the group as it should be with the group as it is, setting
// by setting (managedSettings).
func Diff(want State, have Observed) Delta {
	var d Delta
	for _, m := range managedSettings {
		m.diff(want, have, &d)
	}
	return d
}

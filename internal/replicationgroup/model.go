package replicationgroup

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecprov/ecprov/internal/profile"
)

// State holds one value per managed setting, keyed by the setting's profile
// field. Desired fills every setting; an observed State leaves out what
// Describe does not report (a member cluster not read yet), and what is
// left out is not compared.
type State map[string]any

// Observed is the group as Describe reports it: the values in effect, and
// the values of a modification already under way (PendingModifiedValues),
// which Diff does not ask for again.
type Observed struct {
	Current State
	Pending State
}

// Desired is what the profile asks for.
func Desired(p *profile.Profile) State {
	s := State{}
	for _, m := range managedSettings {
		m.desire(p, s)
	}
	return s
}

// Observe reads the settings of a group. Some live on the group, the rest
// (engine version, parameter group, maintenance window, security groups,
// notification topic) only on its member clusters; member may be nil early
// in a creation.
func Observe(g *types.ReplicationGroup, member *types.CacheCluster) Observed {
	o := Observed{Current: State{}, Pending: State{}}
	for _, m := range managedSettings {
		m.observe(g, member, o)
	}
	return o
}

// createInput is the CreateReplicationGroup request for the profile.
func createInput(p *profile.Profile) *elasticache.CreateReplicationGroupInput {
	in := &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String(p.ReplicationGroupID),
		// The engine is not a managed setting: ecprov runs Redis OSS only.
		Engine: aws.String("redis"),
		Tags:   tagsOf(p.Tags),
	}
	want := Desired(p)
	for _, m := range managedSettings {
		m.setOnCreate(in, want)
	}
	return in
}

// managed is a row of managedSettings, whatever the type of its value.
type managed interface {
	name() string
	desire(p *profile.Profile, into State)
	observe(g *types.ReplicationGroup, member *types.CacheCluster, into Observed)
	setOnCreate(in *elasticache.CreateReplicationGroupInput, want State)
	diff(want State, have Observed, d *Delta)
}

// setting is one managed setting whose value has type T.
type setting[T any] struct {
	// field is the profile field the setting comes from; changes name it.
	field string
	// desired is the value the profile asks for.
	desired func(p *profile.Profile) T
	// current reads the value in effect from the group, or from its first
	// member cluster m (nil early in a creation); ok is false when it
	// cannot be read, and the setting is then not compared.
	current func(g *types.ReplicationGroup, m *types.CacheCluster) (v T, ok bool)
	// pending reads the value of a modification under way; nil when
	// ElastiCache reports none for this setting.
	pending func(g *types.ReplicationGroup, m *types.CacheCluster) (v T, ok bool)
	// same compares the desired value with the observed one; nil compares
	// their text.
	same func(want, have T) bool
	// create sets the value on CreateReplicationGroup.
	create func(in *elasticache.CreateReplicationGroupInput, v T)
	// modify sets the value on ModifyReplicationGroup. It is nil when the
	// value cannot be changed in place, and fixed then says why.
	modify func(in *elasticache.ModifyReplicationGroupInput, v T)
	fixed  string
	// refuse, when set, names a change that modify cannot make although
	// the setting is mutable (an engine downgrade); "" allows it.
	refuse func(want, have T) string
}

func (s setting[T]) name() string { return s.field }

func (s setting[T]) desire(p *profile.Profile, into State) { into[s.field] = s.desired(p) }

func (s setting[T]) observe(g *types.ReplicationGroup, m *types.CacheCluster, into Observed) {
	if v, ok := s.current(g, m); ok {
		into.Current[s.field] = v
	}
	if s.pending == nil {
		return
	}
	if v, ok := s.pending(g, m); ok {
		into.Pending[s.field] = v
	}
}

func (s setting[T]) setOnCreate(in *elasticache.CreateReplicationGroupInput, want State) {
	s.create(in, want[s.field].(T))
}

// diff adds the setting's change, if any, to d. A value pending in a
// modification under way counts as the group's: asking for it again would
// only restart that modification.
func (s setting[T]) diff(want State, have Observed, d *Delta) {
	cur, known := have.Current[s.field]
	if !known {
		return
	}
	w, h := want[s.field].(T), cur.(T)
	from := format(h)
	if p, ok := have.Pending[s.field]; ok {
		if h = p.(T); format(h) != from {
			from += " (pending " + format(h) + ")"
		}
	}
	if s.equal(w, h) {
		return
	}
	ch := Change{Resource: "replication-group", Field: s.field, From: from, To: format(w)}
	if s.refuse != nil {
		ch.Reason = s.refuse(w, h)
	}
	if s.modify == nil {
		ch.Reason = s.fixed
	}
	if s.modify == nil || ch.Reason != "" {
		d.Immutable = append(d.Immutable, ch)
		return
	}
	d.Modify = append(d.Modify, ch)
	s.modify(&d.input, w)
}

func (s setting[T]) equal(want, have T) bool {
	if s.same != nil {
		return s.same(want, have)
	}
	return format(want) == format(have)
}

// format is a value as a Change shows it.
func format(v any) string {
	if list, ok := v.([]string); ok {
		return strings.Join(list, ",")
	}
	return fmt.Sprint(v)
}

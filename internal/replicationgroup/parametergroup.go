package replicationgroup

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/profile"
)

// maxParametersPerCall is ModifyCacheParameterGroup's limit.
const maxParametersPerCall = 20

// parameterGroup is the cache parameter group the profile asks for (R8).
type parameterGroup struct {
	name, family, description string
	parameters                map[string]string
}

func desiredParameterGroup(p *profile.Profile) parameterGroup {
	return parameterGroup{
		name:        p.ParameterGroupName,
		family:      p.ParameterGroupFamily,
		description: fmt.Sprintf("ecprov %s %s", p.Project, p.Environment),
		parameters:  p.Parameters,
	}
}

// observedParameterGroup is a parameter group as Describe reports it.
type observedParameterGroup struct {
	arn, family string
}

// diffParameters is the parameters to set: those whose value differs from
// the profile's, sorted by name.
func diffParameters(want, have map[string]string) []Change {
	var changes []Change
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if have[name] != want[name] {
			changes = append(changes, Change{Resource: "parameter-group", Field: "parameters." + name, From: have[name], To: want[name]})
		}
	}
	return changes
}

// convergeParameterGroup creates the parameter group when missing, sets the
// profile's values on the parameters that differ, and adds missing tags. It
// reports whether it created the group.
func (h *Handler) convergeParameterGroup(ctx context.Context, p *profile.Profile) ([]Change, bool, error) {
	want := desiredParameterGroup(p)
	have, err := h.findParameterGroup(ctx, want.name)
	if err != nil {
		return nil, false, err
	}
	var changes []Change
	created := false
	switch {
	case have == nil:
		if have, created, err = h.createParameterGroup(ctx, want, p.Tags); err != nil {
			return nil, false, err
		}
		if created {
			changes = append(changes, Change{Resource: "parameter-group", Field: "parameterGroupName", To: want.name})
		}
	case have.family != want.family:
		return nil, false, failure.New(failure.ImmutableSettingChanged, "parameter group %s has family %s, the profile wants %s; a family cannot change: set parameterGroupName to a new name", want.name, have.family, want.family)
	}

	values, err := h.observeParameters(ctx, want.name, created)
	if err != nil {
		return nil, false, err
	}
	set := diffParameters(want.parameters, values)
	if err := h.setParameters(ctx, want.name, set); err != nil {
		return nil, false, err
	}
	changes = append(changes, set...)
	if !created { // a new group got its tags with the create
		tagChanges, err := h.convergeTags(ctx, have.arn, "parameter-group", p.Tags)
		if err != nil {
			return nil, false, err
		}
		changes = append(changes, tagChanges...)
	}
	return changes, created, nil
}

// findParameterGroup reads a parameter group; nil when it does not exist.
func (h *Handler) findParameterGroup(ctx context.Context, name string) (*observedParameterGroup, error) {
	out, err := h.ElastiCache.DescribeCacheParameterGroups(ctx, &elasticache.DescribeCacheParameterGroupsInput{CacheParameterGroupName: aws.String(name)})
	switch {
	case failure.ErrorCode(err) == "CacheParameterGroupNotFound":
		return nil, nil
	case err != nil:
		return nil, failure.AWS(err, "describe parameter group "+name)
	case len(out.CacheParameterGroups) == 0:
		return nil, nil
	}
	g := out.CacheParameterGroups[0]
	return &observedParameterGroup{arn: aws.ToString(g.ARN), family: aws.ToString(g.CacheParameterGroupFamily)}, nil
}

// createParameterGroup creates the group. Another execution may create it
// first: that is not an error, but the group then counts as not created
// here and its ARN stays unknown until the next run.
func (h *Handler) createParameterGroup(ctx context.Context, want parameterGroup, tags map[string]string) (*observedParameterGroup, bool, error) {
	res, err := h.ElastiCache.CreateCacheParameterGroup(ctx, &elasticache.CreateCacheParameterGroupInput{
		CacheParameterGroupName:   aws.String(want.name),
		CacheParameterGroupFamily: aws.String(want.family),
		Description:               aws.String(want.description),
		Tags:                      tagsOf(tags),
	})
	switch {
	case failure.ErrorCode(err) == "CacheParameterGroupAlreadyExists":
		return &observedParameterGroup{family: want.family}, false, nil
	case err != nil:
		return nil, false, failure.AWS(err, "create parameter group "+want.name)
	}
	return &observedParameterGroup{arn: aws.ToString(res.CacheParameterGroup.ARN), family: want.family}, true, nil
}

// observeParameters reads every parameter value of a group.
func (h *Handler) observeParameters(ctx context.Context, group string, fresh bool) (map[string]string, error) {
	have := map[string]string{}
	var marker *string
	for {
		out, err := h.ElastiCache.DescribeCacheParameters(ctx, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String(group), Marker: marker})
		if err != nil {
			if fresh && failure.ErrorCode(err) == "CacheParameterGroupNotFound" {
				return have, nil // just created and not yet readable: everything differs
			}
			return nil, failure.AWS(err, "describe parameters of "+group)
		}
		for _, prm := range out.Parameters {
			have[aws.ToString(prm.ParameterName)] = aws.ToString(prm.ParameterValue)
		}
		if aws.ToString(out.Marker) == "" {
			return have, nil
		}
		marker = out.Marker
	}
}

// setParameters applies diffParameters' changes, at most
// maxParametersPerCall a call.
func (h *Handler) setParameters(ctx context.Context, group string, set []Change) error {
	for batch := range slices.Chunk(set, maxParametersPerCall) {
		in := &elasticache.ModifyCacheParameterGroupInput{CacheParameterGroupName: aws.String(group)}
		for _, ch := range batch {
			in.ParameterNameValues = append(in.ParameterNameValues, types.ParameterNameValue{
				ParameterName:  aws.String(strings.TrimPrefix(ch.Field, "parameters.")),
				ParameterValue: aws.String(ch.To),
			})
		}
		if _, err := h.ElastiCache.ModifyCacheParameterGroup(ctx, in); err != nil {
			return failure.AWS(err, "set parameters of "+group)
		}
	}
	return nil
}

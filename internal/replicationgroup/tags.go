package replicationgroup

import (
	"context"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecprov/ecprov/internal/failure"
)

// tagDelta is what to add so that a resource carries the profile's tags
// (R12): the tags it lacks or has with another value, and the changes to
// report. Tags the resource has beyond the profile's are kept: other tools
// may own them.
func tagDelta(resource string, want, have map[string]string) (map[string]string, []Change) {
	add := map[string]string{}
	var changes []Change
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := have[k]; !ok || v != want[k] {
			add[k] = want[k]
			changes = append(changes, Change{Resource: resource, Field: "tags." + k, From: have[k], To: want[k]})
		}
	}
	return add, changes
}

// convergeTags reads a resource's tags and adds what tagDelta says. A
// resource whose ARN is not known (lost a creation race) is left for the
// next run.
func (h *Handler) convergeTags(ctx context.Context, arn, resource string, want map[string]string) ([]Change, error) {
	if arn == "" {
		return nil, nil
	}
	have, err := h.observeTags(ctx, arn)
	if err != nil {
		return nil, err
	}
	add, changes := tagDelta(resource, want, have)
	if len(add) == 0 {
		return nil, nil
	}
	if _, err := h.ElastiCache.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: tagsOf(add)}); err != nil {
		return nil, failure.AWS(err, "tag "+arn)
	}
	return changes, nil
}

func (h *Handler) observeTags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := h.ElastiCache.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		return nil, failure.AWS(err, "list tags of "+arn)
	}
	have := map[string]string{}
	for _, t := range out.TagList {
		have[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return have, nil
}

func tagsOf(m map[string]string) []types.Tag {
	out := make([]types.Tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

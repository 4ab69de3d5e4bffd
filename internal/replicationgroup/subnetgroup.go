package replicationgroup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/profile"
)

// subnetGroup is the cache subnet group the profile asks for (R2).
type subnetGroup struct {
	name, description string
	subnetIDs         []string // sorted
}

func desiredSubnetGroup(p *profile.Profile) subnetGroup {
	return subnetGroup{
		name:        p.SubnetGroupName,
		description: fmt.Sprintf("ecprov %s %s private subnets", p.Project, p.Environment),
		subnetIDs:   slices.Sorted(slices.Values(p.Network.SubnetIDs)),
	}
}

// observedSubnetGroup is a subnet group as Describe reports it.
type observedSubnetGroup struct {
	arn       string
	subnetIDs []string // sorted
}

// diffSubnets is the change that puts the profile's subnets back, or nil.
func diffSubnets(want subnetGroup, have observedSubnetGroup) *Change {
	if slices.Equal(want.subnetIDs, have.subnetIDs) {
		return nil
	}
	return &Change{Resource: "subnet-group", Field: "network.subnetIds", From: strings.Join(have.subnetIDs, ","), To: strings.Join(want.subnetIDs, ",")}
}

// convergeSubnetGroup creates the subnet group when missing, puts the
// profile's subnets back when they differ, and adds missing tags.
func (h *Handler) convergeSubnetGroup(ctx context.Context, p *profile.Profile) ([]Change, error) {
	want := desiredSubnetGroup(p)
	have, err := h.findSubnetGroup(ctx, want.name)
	if err != nil {
		return nil, err
	}
	if have == nil {
		if err := h.createSubnetGroup(ctx, want, p.Tags); err != nil {
			return nil, err
		}
		return []Change{{Resource: "subnet-group", Field: "subnetGroupName", To: want.name}}, nil
	}
	var changes []Change
	if ch := diffSubnets(want, *have); ch != nil {
		if _, err := h.ElastiCache.ModifyCacheSubnetGroup(ctx, &elasticache.ModifyCacheSubnetGroupInput{CacheSubnetGroupName: aws.String(want.name), SubnetIds: want.subnetIDs}); err != nil {
			return nil, failure.AWS(err, "modify subnet group "+want.name)
		}
		changes = append(changes, *ch)
	}
	tagChanges, err := h.convergeTags(ctx, have.arn, "subnet-group", p.Tags)
	if err != nil {
		return nil, err
	}
	return append(changes, tagChanges...), nil
}

// findSubnetGroup reads a subnet group; nil when it does not exist.
func (h *Handler) findSubnetGroup(ctx context.Context, name string) (*observedSubnetGroup, error) {
	out, err := h.ElastiCache.DescribeCacheSubnetGroups(ctx, &elasticache.DescribeCacheSubnetGroupsInput{CacheSubnetGroupName: aws.String(name)})
	switch {
	case failure.ErrorCode(err) == "CacheSubnetGroupNotFoundFault":
		return nil, nil
	case err != nil:
		return nil, failure.AWS(err, "describe subnet group "+name)
	case len(out.CacheSubnetGroups) == 0:
		return nil, failure.New(failure.NotFound, "subnet group %s: describe returned nothing", name)
	}
	g := out.CacheSubnetGroups[0]
	have := observedSubnetGroup{arn: aws.ToString(g.ARN)}
	for _, s := range g.Subnets {
		have.subnetIDs = append(have.subnetIDs, aws.ToString(s.SubnetIdentifier))
	}
	slices.Sort(have.subnetIDs)
	return &have, nil
}

// createSubnetGroup creates the group; one that another execution created
// first is as good.
func (h *Handler) createSubnetGroup(ctx context.Context, want subnetGroup, tags map[string]string) error {
	_, err := h.ElastiCache.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName:        aws.String(want.name),
		CacheSubnetGroupDescription: aws.String(want.description),
		SubnetIds:                   want.subnetIDs,
		Tags:                        tagsOf(tags),
	})
	if err != nil && failure.ErrorCode(err) != "CacheSubnetGroupAlreadyExists" {
		return failure.AWS(err, "create subnet group "+want.name)
	}
	return nil
}

package replicationgroup

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/profile"
)

// maxParametersPerCall is ModifyCacheParameterGroup's limit.
const maxParametersPerCall = 20

// ensureParameterGroup creates the parameter group when missing and sets
// the profile's values on the parameters that drifted (R8).
func (c *Creator) ensureParameterGroup(ctx context.Context, p *profile.Profile) ([]Change, bool, error) {
	name := p.ParameterGroupName
	var changes []Change
	created := false
	out, err := c.ElastiCache.DescribeCacheParameterGroups(ctx, &elasticache.DescribeCacheParameterGroupsInput{CacheParameterGroupName: aws.String(name)})
	var arn string
	switch {
	case failure.ErrorCode(err) == "CacheParameterGroupNotFound":
		res, err := c.ElastiCache.CreateCacheParameterGroup(ctx, &elasticache.CreateCacheParameterGroupInput{
			CacheParameterGroupName:   aws.String(name),
			CacheParameterGroupFamily: aws.String(p.ParameterGroupFamily),
			Description:               aws.String(fmt.Sprintf("ecprov %s %s", p.Project, p.Environment)),
			Tags:                      tagsOf(p.Tags),
		})
		if err != nil && failure.ErrorCode(err) != "CacheParameterGroupAlreadyExists" {
			return nil, false, failure.AWS(err, "create parameter group "+name)
		}
		created = err == nil
		if created {
			changes = append(changes, Change{Resource: "parameter-group", Field: "parameterGroupName", To: name})
			arn = aws.ToString(res.CacheParameterGroup.ARN)
		}
	case err != nil:
		return nil, false, failure.AWS(err, "describe parameter group "+name)
	case len(out.CacheParameterGroups) > 0:
		g := out.CacheParameterGroups[0]
		arn = aws.ToString(g.ARN)
		if family := aws.ToString(g.CacheParameterGroupFamily); family != p.ParameterGroupFamily {
			return nil, false, failure.New(failure.ImmutableSettingChanged, "parameter group %s has family %s, the profile wants %s; a family cannot change: set parameterGroupName to a new name", name, family, p.ParameterGroupFamily)
		}
	}

	drifted, err := c.driftedParameters(ctx, name, p.Parameters, created)
	if err != nil {
		return nil, false, err
	}
	for start := 0; start < len(drifted); start += maxParametersPerCall {
		batch := drifted[start:min(start+maxParametersPerCall, len(drifted))]
		in := &elasticache.ModifyCacheParameterGroupInput{CacheParameterGroupName: aws.String(name)}
		for _, ch := range batch {
			in.ParameterNameValues = append(in.ParameterNameValues, types.ParameterNameValue{
				ParameterName:  aws.String(strings.TrimPrefix(ch.Field, "parameters.")),
				ParameterValue: aws.String(ch.To),
			})
		}
		if _, err := c.ElastiCache.ModifyCacheParameterGroup(ctx, in); err != nil {
			return nil, false, failure.AWS(err, "set parameters of "+name)
		}
	}
	changes = append(changes, drifted...)
	if !created {
		tagChanges, err := c.ensureTags(ctx, arn, "parameter-group", p.Tags)
		if err != nil {
			return nil, false, err
		}
		changes = append(changes, tagChanges...)
	}
	return changes, created, nil
}

// driftedParameters reads the group's values and returns the ones that
// differ from want, sorted by name.
func (c *Creator) driftedParameters(ctx context.Context, group string, want map[string]string, fresh bool) ([]Change, error) {
	have := map[string]string{}
	var marker *string
	for {
		out, err := c.ElastiCache.DescribeCacheParameters(ctx, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String(group), Marker: marker})
		if err != nil {
			if fresh && failure.ErrorCode(err) == "CacheParameterGroupNotFound" {
				break // just created and not yet readable: everything differs
			}
			return nil, failure.AWS(err, "describe parameters of "+group)
		}
		for _, prm := range out.Parameters {
			have[aws.ToString(prm.ParameterName)] = aws.ToString(prm.ParameterValue)
		}
		if aws.ToString(out.Marker) == "" {
			break
		}
		marker = out.Marker
	}
	var changes []Change
	for _, name := range sortedKeys(want) {
		if have[name] != want[name] {
			changes = append(changes, Change{Resource: "parameter-group", Field: "parameters." + name, From: have[name], To: want[name]})
		}
	}
	return changes, nil
}

// ensureSubnetGroup creates the subnet group when missing and puts the
// profile's subnets back when they differ.
func (c *Creator) ensureSubnetGroup(ctx context.Context, p *profile.Profile) ([]Change, error) {
	name := p.SubnetGroupName
	want := slices.Clone(p.Network.SubnetIDs)
	sort.Strings(want)
	out, err := c.ElastiCache.DescribeCacheSubnetGroups(ctx, &elasticache.DescribeCacheSubnetGroupsInput{CacheSubnetGroupName: aws.String(name)})
	switch {
	case failure.ErrorCode(err) == "CacheSubnetGroupNotFoundFault":
		_, err := c.ElastiCache.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
			CacheSubnetGroupName:        aws.String(name),
			CacheSubnetGroupDescription: aws.String(fmt.Sprintf("ecprov %s %s private subnets", p.Project, p.Environment)),
			SubnetIds:                   want,
			Tags:                        tagsOf(p.Tags),
		})
		if err != nil && failure.ErrorCode(err) != "CacheSubnetGroupAlreadyExists" {
			return nil, failure.AWS(err, "create subnet group "+name)
		}
		return []Change{{Resource: "subnet-group", Field: "subnetGroupName", To: name}}, nil
	case err != nil:
		return nil, failure.AWS(err, "describe subnet group "+name)
	case len(out.CacheSubnetGroups) == 0:
		return nil, failure.New(failure.NotFound, "subnet group %s: describe returned nothing", name)
	}
	g := out.CacheSubnetGroups[0]
	var have []string
	for _, s := range g.Subnets {
		have = append(have, aws.ToString(s.SubnetIdentifier))
	}
	sort.Strings(have)
	var changes []Change
	if !slices.Equal(have, want) {
		if _, err := c.ElastiCache.ModifyCacheSubnetGroup(ctx, &elasticache.ModifyCacheSubnetGroupInput{CacheSubnetGroupName: aws.String(name), SubnetIds: want}); err != nil {
			return nil, failure.AWS(err, "modify subnet group "+name)
		}
		changes = append(changes, Change{Resource: "subnet-group", Field: "network.subnetIds", From: strings.Join(have, ","), To: strings.Join(want, ",")})
	}
	tagChanges, err := c.ensureTags(ctx, aws.ToString(g.ARN), "subnet-group", p.Tags)
	if err != nil {
		return nil, err
	}
	return append(changes, tagChanges...), nil
}

package elasticache

import (
	"context"
	"net/http"

	"github.com/ecprov/ecprov/emulator/protocol/query"
)

func (s *Service) wireSubnetGroup(g *subnetGroup) wireCacheSubnetGroup {
	out := wireCacheSubnetGroup{
		ARN: s.arn(arnSubnetGroup, g.name), CacheSubnetGroupDescription: g.description, CacheSubnetGroupName: g.name,
		VpcID: g.vpcID, SupportedNetworkTypes: []string{"ipv4"},
	}
	for _, sn := range g.subnets {
		out.Subnets = append(out.Subnets, wireSubnet{AvailabilityZone: sn.az, SubnetIdentifier: sn.id, SupportedNetworkTypes: []string{"ipv4"}})
	}
	return out
}

func (s *Service) findSubnetGroup(name string) (*subnetGroup, *apiError) {
	g, ok := s.subnetGroups[lower(name)]
	if !ok {
		return nil, subnetGroupNotFound(name)
	}
	return g, nil
}

// resolveSubnets looks the subnet ids up in the network and checks they all
// sit in one VPC.
func (s *Service) resolveSubnets(ids []string) ([]subnet, string, *apiError) {
	if len(ids) == 0 {
		return nil, "", missingParameter("SubnetIds")
	}
	var out []subnet
	vpc := ""
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		sn, ok := s.network.Subnet(id)
		if !ok {
			return nil, "", newError(http.StatusBadRequest, codeInvalidSubnet, "The subnet ID %s does not exist; DescribeSubnets lists the subnets of your VPC.", id)
		}
		if vpc != "" && sn.VpcID != vpc {
			return nil, "", newError(http.StatusBadRequest, codeInvalidSubnet,
				"Subnet %s is in %s but the other subnets are in %s; all subnets of a cache subnet group must be in the same VPC.", id, sn.VpcID, vpc)
		}
		vpc = sn.VpcID
		out = append(out, subnet{id: sn.ID, az: sn.AvailabilityZone})
	}
	return out, vpc, nil
}

func (s *Service) createCacheSubnetGroup(ctx context.Context, p query.Params) (any, error) {
	name, desc := p.String("CacheSubnetGroupName"), p.String("CacheSubnetGroupDescription")
	if err := validateIdentifier("CacheSubnetGroupName", name, 255); err != nil {
		return nil, err
	}
	if desc == "" {
		return nil, missingParameter("CacheSubnetGroupDescription")
	}
	if lower(name) == "default" {
		return nil, invalidValue("CacheSubnetGroupName \"default\" is reserved; choose another name.")
	}
	tags, err := readTags(p)
	if err != nil {
		return nil, err
	}
	subnets, vpc, aerr := s.resolveSubnets(p.List("SubnetIds"))
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := lower(name)
	if _, ok := s.subnetGroups[key]; ok {
		return nil, newError(http.StatusBadRequest, codeCacheSubnetGroupAlreadyExists, "Cache subnet group %s already exists.", key)
	}
	g := &subnetGroup{name: key, description: desc, vpcID: vpc, subnets: subnets}
	s.subnetGroups[key] = g
	s.setTags(s.arn(arnSubnetGroup, key), tags)
	return cacheSubnetGroupResult{CacheSubnetGroup: s.wireSubnetGroup(g)}, nil
}

func (s *Service) describeCacheSubnetGroups(ctx context.Context, p query.Params) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var groups []*subnetGroup
	if name := p.String("CacheSubnetGroupName"); name != "" {
		g, err := s.findSubnetGroup(name)
		if err != nil {
			return nil, err
		}
		groups = []*subnetGroup{g}
	} else {
		for _, k := range sortedKeys(s.subnetGroups) {
			groups = append(groups, s.subnetGroups[k])
		}
	}
	from, to, next, err := page(p, len(groups))
	if err != nil {
		return nil, err
	}
	out := describeCacheSubnetGroupsResult{Marker: next}
	for _, g := range groups[from:to] {
		out.CacheSubnetGroups = append(out.CacheSubnetGroups, s.wireSubnetGroup(g))
	}
	return out, nil
}

func (s *Service) modifyCacheSubnetGroup(ctx context.Context, p query.Params) (any, error) {
	name := p.String("CacheSubnetGroupName")
	if name == "" {
		return nil, missingParameter("CacheSubnetGroupName")
	}
	var subnets []subnet
	var vpc string
	ids := p.List("SubnetIds")
	if ids != nil {
		var aerr *apiError
		if subnets, vpc, aerr = s.resolveSubnets(ids); aerr != nil {
			return nil, aerr
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.findSubnetGroup(name)
	if aerr != nil {
		return nil, aerr
	}
	if ids != nil {
		if vpc != g.vpcID && s.subnetGroupInUse(g.name) != "" {
			return nil, newError(http.StatusBadRequest, codeInvalidSubnet,
				"Subnets must stay in %s while replication group %s uses this subnet group.", g.vpcID, s.subnetGroupInUse(g.name))
		}
		if rg := s.subnetGroupInUse(g.name); rg != "" {
			keep := map[string]bool{}
			for _, sn := range subnets {
				keep[sn.az] = true
			}
			for _, n := range s.groups[rg].nodes {
				if !keep[n.az] {
					return nil, newError(http.StatusBadRequest, codeSubnetInUse,
						"The subnet in %s is in use by cache cluster %s; keep a subnet in that zone.", n.az, n.clusterID)
				}
			}
		}
		g.subnets, g.vpcID = subnets, vpc
	}
	if p.Has("CacheSubnetGroupDescription") {
		g.description = p.String("CacheSubnetGroupDescription")
	}
	return cacheSubnetGroupResult{CacheSubnetGroup: s.wireSubnetGroup(g)}, nil
}

// subnetGroupInUse returns a replication group using the subnet group.
// Callers hold s.mu.
func (s *Service) subnetGroupInUse(name string) string {
	for _, id := range sortedKeys(s.groups) {
		if s.groups[id].subnetGroup == name {
			return id
		}
	}
	return ""
}

func (s *Service) deleteCacheSubnetGroup(ctx context.Context, p query.Params) (any, error) {
	name := p.String("CacheSubnetGroupName")
	if name == "" {
		return nil, missingParameter("CacheSubnetGroupName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.findSubnetGroup(name)
	if aerr != nil {
		return nil, aerr
	}
	if rg := s.subnetGroupInUse(g.name); rg != "" {
		return nil, newError(http.StatusBadRequest, codeCacheSubnetGroupInUse,
			"Cache subnet group %s is currently in use by replication group %s; delete the replication group first.", g.name, rg)
	}
	delete(s.subnetGroups, g.name)
	delete(s.tags, s.arn(arnSubnetGroup, g.name))
	return nil, nil
}

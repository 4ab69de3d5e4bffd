package elasticache

import (
	"context"
	"net/http"
	"strings"

	"github.com/ecprov/ecprov/emulator/protocol/query"
	"github.com/ecprov/ecprov/emulator/redisproc"
)

func lower(s string) string { return strings.ToLower(s) }

func (s *Service) wireParamGroup(g *paramGroup) wireCacheParameterGroup {
	return wireCacheParameterGroup{
		ARN: s.arn(arnParameterGroup, g.name), CacheParameterGroupFamily: g.family,
		CacheParameterGroupName: g.name, Description: g.description,
	}
}

// findParamGroup is one read with a typed not-found error. Callers hold s.mu.
func (s *Service) findParamGroup(name string) (*paramGroup, *apiError) {
	g, ok := s.paramGroups[lower(name)]
	if !ok {
		return nil, paramGroupNotFound(name)
	}
	return g, nil
}

func (s *Service) createCacheParameterGroup(ctx context.Context, p query.Params) (any, error) {
	name, family, desc := p.String("CacheParameterGroupName"), p.String("CacheParameterGroupFamily"), p.String("Description")
	if err := validateIdentifier("CacheParameterGroupName", name, 255); err != nil {
		return nil, err
	}
	if family == "" {
		return nil, missingParameter("CacheParameterGroupFamily")
	}
	if desc == "" {
		return nil, missingParameter("Description")
	}
	if family != familyRedis7 {
		return nil, invalidValue("CacheParameterGroupFamily %q is not supported here: the emulator runs redis-server 7.0, whose family is %q.", family, familyRedis7)
	}
	if strings.HasPrefix(lower(name), "default.") {
		return nil, invalidValue("CacheParameterGroupName %q is reserved for default parameter groups; choose another name.", name)
	}
	tags, err := readTags(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := lower(name)
	if _, ok := s.paramGroups[key]; ok {
		return nil, newError(http.StatusBadRequest, codeCacheParameterGroupAlreadyExists, "Parameter group %s already exists.", key)
	}
	g := &paramGroup{name: key, family: family, description: desc, user: map[string]string{}}
	s.paramGroups[key] = g
	s.setTags(s.arn(arnParameterGroup, key), tags)
	return cacheParameterGroupResult{CacheParameterGroup: s.wireParamGroup(g)}, nil
}

func (s *Service) describeCacheParameterGroups(ctx context.Context, p query.Params) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var groups []*paramGroup
	if name := p.String("CacheParameterGroupName"); name != "" {
		g, err := s.findParamGroup(name)
		if err != nil {
			return nil, err
		}
		groups = []*paramGroup{g}
	} else {
		for _, k := range sortedKeys(s.paramGroups) {
			groups = append(groups, s.paramGroups[k])
		}
	}
	from, to, next, err := page(p, len(groups))
	if err != nil {
		return nil, err
	}
	out := describeCacheParameterGroupsResult{Marker: next}
	for _, g := range groups[from:to] {
		out.CacheParameterGroups = append(out.CacheParameterGroups, s.wireParamGroup(g))
	}
	return out, nil
}

func (s *Service) describeCacheParameters(ctx context.Context, p query.Params) (any, error) {
	source := p.String("Source")
	switch source {
	case "", "user", "system", "engine-default":
	default:
		return nil, invalidValue("Invalid Source %q: use user, system or engine-default.", source)
	}
	s.mu.Lock()
	g, aerr := s.findParamGroup(p.String("CacheParameterGroupName"))
	if aerr != nil {
		s.mu.Unlock()
		return nil, aerr
	}
	user := make(map[string]string, len(g.user))
	for k, v := range g.user {
		user[k] = v
	}
	s.mu.Unlock()

	var params []wireParameter
	for _, d := range redis7Params {
		value, src := d.value, "system"
		if v, ok := user[d.name]; ok {
			value, src = v, "user"
		}
		if source != "" && source != src && !(source == "engine-default" && src == "system") {
			continue
		}
		params = append(params, wireParameter{
			AllowedValues: d.allowed, ChangeType: d.changeType, DataType: d.dataType, Description: d.description,
			IsModifiable: d.modifiable, MinimumEngineVersion: d.minEngine, ParameterName: d.name, ParameterValue: value, Source: src,
		})
	}
	from, to, next, err := page(p, len(params))
	if err != nil {
		return nil, err
	}
	out := describeCacheParametersResult{Marker: next, Parameters: params[from:to]}
	if source == "" || source == "system" || source == "engine-default" {
		maxmem := wireNodeTypeSpecificParameter{
			ParameterName: "maxmemory", DataType: "integer", ChangeType: changeRequiresReboot, Source: "system",
			Description: "The maximum configurable amount of memory to use to store items, in bytes.", MinimumEngineVersion: "7.0.0",
		}
		for _, t := range knownNodeTypes() {
			maxmem.CacheNodeTypeSpecificValues = append(maxmem.CacheNodeTypeSpecificValues,
				wireNodeTypeSpecificValue{CacheNodeType: t, Value: itoa64(nodeTypeMemory[t])})
		}
		out.CacheNodeTypeSpecificParameters = []wireNodeTypeSpecificParameter{maxmem}
	}
	return out, nil
}

// readParameterNameValues reads ParameterNameValues and validates each name
// and value against the redis7 family.
func readParameterNameValues(p query.Params, requireValue bool) (map[string]string, []string, error) {
	values := map[string]string{}
	var names []string
	for _, nv := range p.Structs("ParameterNameValues") {
		name := nv.String("ParameterName")
		if name == "" {
			return nil, nil, invalidValue("Each ParameterNameValues entry needs a ParameterName.")
		}
		d, ok := lookupParam(name)
		if !ok {
			return nil, nil, invalidValue("Unknown parameter %q for family %s; DescribeCacheParameters lists the valid names (for example \"maxmemory-policy\").", name, familyRedis7)
		}
		if requireValue {
			if !nv.Has("ParameterValue") {
				return nil, nil, invalidValue("Parameter %s needs a ParameterValue.", name)
			}
			if err := d.validate(nv.String("ParameterValue")); err != nil {
				return nil, nil, err
			}
		} else if !d.modifiable {
			return nil, nil, invalidValue("Parameter %s is not modifiable.", name)
		}
		values[name] = nv.String("ParameterValue")
		names = append(names, name)
	}
	return values, names, nil
}

func (s *Service) modifyCacheParameterGroup(ctx context.Context, p query.Params) (any, error) {
	name := p.String("CacheParameterGroupName")
	if name == "" {
		return nil, missingParameter("CacheParameterGroupName")
	}
	values, names, err := readParameterNameValues(p, true)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, missingParameter("ParameterNameValues")
	}
	s.mu.Lock()
	g, aerr := s.findParamGroup(name)
	if aerr != nil {
		s.mu.Unlock()
		return nil, aerr
	}
	if g.system {
		s.mu.Unlock()
		return nil, invalidValue("Cannot modify a default parameter group (%s); create your own with CreateCacheParameterGroup and use it instead.", g.name)
	}
	before := g.values()
	for k, v := range values {
		g.user[k] = v
	}
	apply := s.applyParamGroupChange(g, before)
	s.mu.Unlock()
	apply(ctx)
	return cacheParameterGroupNameResult{CacheParameterGroupName: g.name}, nil
}

func (s *Service) resetCacheParameterGroup(ctx context.Context, p query.Params) (any, error) {
	name := p.String("CacheParameterGroupName")
	if name == "" {
		return nil, missingParameter("CacheParameterGroupName")
	}
	all, err := p.Bool("ResetAllParameters")
	if err != nil {
		return nil, err
	}
	_, names, err := readParameterNameValues(p, false)
	if err != nil {
		return nil, err
	}
	resetAll := all != nil && *all
	if resetAll && len(names) > 0 {
		return nil, invalidCombination("Pass either ResetAllParameters=true or a list of ParameterNameValues, not both.")
	}
	if !resetAll && len(names) == 0 {
		return nil, invalidCombination("Pass ResetAllParameters=true or the ParameterNameValues to reset.")
	}
	s.mu.Lock()
	g, aerr := s.findParamGroup(name)
	if aerr != nil {
		s.mu.Unlock()
		return nil, aerr
	}
	if g.system {
		s.mu.Unlock()
		return nil, invalidValue("Cannot modify a default parameter group (%s).", g.name)
	}
	before := g.values()
	if resetAll {
		g.user = map[string]string{}
	} else {
		for _, n := range names {
			delete(g.user, n)
		}
	}
	apply := s.applyParamGroupChange(g, before)
	s.mu.Unlock()
	apply(ctx)
	return cacheParameterGroupNameResult{CacheParameterGroupName: g.name}, nil
}

func (s *Service) deleteCacheParameterGroup(ctx context.Context, p query.Params) (any, error) {
	name := p.String("CacheParameterGroupName")
	if name == "" {
		return nil, missingParameter("CacheParameterGroupName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.findParamGroup(name)
	if aerr != nil {
		return nil, aerr
	}
	if g.system {
		return nil, newError(http.StatusBadRequest, codeInvalidCacheParameterGroupState, "Default CacheParameterGroup cannot be deleted: %s", g.name)
	}
	for _, rg := range s.groups {
		if rg.paramGroup == g.name {
			return nil, newError(http.StatusBadRequest, codeInvalidCacheParameterGroupState,
				"One or more cache clusters are still members of parameter group %s (replication group %s); point them at another group first.", g.name, rg.id)
		}
	}
	delete(s.paramGroups, g.name)
	delete(s.tags, s.arn(arnParameterGroup, g.name))
	return nil, nil
}

// applyParamGroupChange records the change on every group using g and
// returns the work that pushes changed immediate parameters to their running
// nodes (CONFIG SET); requires-reboot changes are marked pending. Callers
// hold s.mu and run the returned func after releasing it, so the response
// goes out once the servers have the new values.
func (s *Service) applyParamGroupChange(g *paramGroup, before map[string]string) func(ctx context.Context) {
	after := g.values()
	reboot := false
	set := map[string]string{}
	immediate := directives(after, changeImmediate)
	for _, d := range redis7Params {
		if before[d.name] == after[d.name] {
			continue
		}
		switch {
		case d.changeType == changeRequiresReboot:
			reboot = true
		case d.directive != "":
			set[d.directive] = immediate[d.directive]
		case strings.HasPrefix(d.name, "client-output-buffer-limit-"):
			set["client-output-buffer-limit"] = immediate["client-output-buffer-limit"]
		}
	}
	if len(set) == 0 && !reboot {
		return func(context.Context) {}
	}
	var targets []*node
	for _, rg := range s.groups {
		if rg.paramGroup != g.name || rg.status == statusDeleting {
			continue
		}
		for _, n := range rg.nodes {
			n.pendingReboot = n.pendingReboot || reboot
			s.recordEvent(sourceCacheCluster, n.clusterID, "Updated parameter group for the cache cluster")
			s.publish(rg, "ElastiCache:CacheClusterParametersChanged", n.clusterID)
			targets = append(targets, n)
		}
	}
	procs := make([]*redisproc.Process, 0, len(targets))
	for _, n := range targets {
		if n.alive() {
			procs = append(procs, n.proc)
		}
	}
	return func(ctx context.Context) {
		for _, proc := range procs {
			for _, k := range sortedKeys(set) {
				if err := proc.ConfigSet(ctx, k, set[k]); err != nil {
					s.log.Warn("apply parameter", "cache_cluster", proc.Name(), "err", err)
				}
			}
		}
	}
}

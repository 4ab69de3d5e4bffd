package elasticache

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ecprov/ecprov/emulator/protocol/query"
)

// Defaults ElastiCache would pick (it picks at random; fixed here so runs repeat).
const (
	defaultEngineVersion     = "7.0"
	defaultSnapshotWindow    = "05:00-06:00"
	defaultMaintenanceWindow = "sun:23:00-mon:00:30"
	defaultPort              = 6379
	maxCacheClusters         = 6
)

var topicARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$`)

// findGroup is one read with a typed not-found error. Callers hold s.mu.
func (s *Service) findGroup(id string) (*replicationGroup, *apiError) {
	g, ok := s.groups[lower(id)]
	if !ok {
		return nil, replicationGroupNotFound(id)
	}
	return g, nil
}

// endpointsVisible: AWS reports endpoints once a group has been created.
func (g *replicationGroup) endpointsVisible() bool {
	return g.status != statusCreating && g.status != statusCreateFailed && g.primaryProxy != nil
}

func (s *Service) wireGroup(g *replicationGroup) wireReplicationGroup {
	onOff := func(b bool) string {
		if b {
			return "enabled"
		}
		return "disabled"
	}
	out := wireReplicationGroup{
		ARN:                        s.arn(arnReplicationGroup, g.id),
		AtRestEncryptionEnabled:    g.atRest,
		AutoMinorVersionUpgrade:    g.autoMinorUpgrade,
		AutomaticFailover:          onOff(g.automaticFailover),
		CacheNodeType:              g.nodeType,
		ClusterMode:                "disabled",
		DataTiering:                "disabled",
		Description:                g.description,
		Engine:                     engineRedis,
		IPDiscovery:                "ipv4",
		KmsKeyID:                   g.kmsKeyID,
		MemberClusters:             g.memberIDs(),
		MultiAZ:                    onOff(g.multiAZ),
		NetworkType:                "ipv4",
		ReplicationGroupCreateTime: query.Timestamp(g.created),
		ReplicationGroupID:         g.id,
		SnapshotRetentionLimit:     g.snapshotRetention,
		SnapshotWindow:             g.snapshotWindow,
		Status:                     g.status,
		TransitEncryptionEnabled:   g.transit,
	}
	if g.transit {
		out.TransitEncryptionMode = g.transitMode
	}
	if g.snapshotRetention > 0 && len(g.nodes) > 1 {
		if r := g.replicas(); len(r) > 0 {
			out.SnapshottingClusterID = r[0].clusterID
		}
	}
	ng := wireNodeGroup{NodeGroupID: nodeGroupID, Status: g.status}
	visible := g.endpointsVisible()
	if visible {
		ng.PrimaryEndpoint = &wireEndpoint{Address: "127.0.0.1", Port: g.primaryProxy.port()}
		ng.ReaderEndpoint = &wireEndpoint{Address: "127.0.0.1", Port: g.readerProxy.port()}
	}
	for _, n := range g.nodes {
		m := wireNodeGroupMember{CacheClusterID: n.clusterID, CacheNodeID: cacheNodeID, PreferredAvailabilityZone: n.az}
		if visible {
			m.CurrentRole = n.role
			m.ReadEndpoint = &wireEndpoint{Address: "127.0.0.1", Port: n.port}
		}
		ng.NodeGroupMembers = append(ng.NodeGroupMembers, m)
	}
	out.NodeGroups = []wireNodeGroup{ng}
	return out
}

func (s *Service) wireCluster(g *replicationGroup, n *node, showNodes bool) wireCacheCluster {
	paramStatus := "in-sync"
	var toReboot []string
	if n.pendingReboot {
		paramStatus, toReboot = "pending-reboot", []string{cacheNodeID}
	}
	c := wireCacheCluster{
		ARN:                        s.arn(arnCluster, n.clusterID),
		AtRestEncryptionEnabled:    g.atRest,
		AutoMinorVersionUpgrade:    g.autoMinorUpgrade,
		CacheClusterCreateTime:     query.Timestamp(n.created),
		CacheClusterID:             n.clusterID,
		CacheClusterStatus:         n.status,
		CacheNodeType:              g.nodeType,
		CacheParameterGroup:        wireCacheParameterGroupStatus{CacheParameterGroupName: g.paramGroup, ParameterApplyStatus: paramStatus, CacheNodeIDsToReboot: toReboot},
		CacheSubnetGroupName:       g.subnetGroup,
		ClientDownloadLandingPage:  "https://console.aws.amazon.com/elasticache/home#client-download:",
		Engine:                     engineRedis,
		EngineVersion:              engineVersionFull(g.engineVersion),
		IPDiscovery:                "ipv4",
		NetworkType:                "ipv4",
		NumCacheNodes:              1,
		PendingModifiedValues:      wireClusterPendingModifiedValues{CacheNodeType: n.pendingNodeType},
		PreferredAvailabilityZone:  n.az,
		PreferredMaintenanceWindow: g.maintenanceWindow,
		ReplicationGroupID:         g.id,
		SnapshotRetentionLimit:     g.snapshotRetention,
		SnapshotWindow:             g.snapshotWindow,
		TransitEncryptionEnabled:   g.transit,
	}
	if g.transit {
		c.TransitEncryptionMode = g.transitMode
	}
	if g.topicARN != "" {
		c.NotificationConfiguration = &wireNotificationConfiguration{TopicArn: g.topicARN, TopicStatus: g.topicStatus}
	}
	for _, sg := range g.securityGroupIDs {
		c.SecurityGroups = append(c.SecurityGroups, wireSecurityGroupMembership{SecurityGroupID: sg, Status: "active"})
	}
	if showNodes {
		cn := wireCacheNode{
			CacheNodeCreateTime: query.Timestamp(n.created), CacheNodeID: cacheNodeID,
			CacheNodeStatus: nodeStatus(n.status), CustomerAvailabilityZone: n.az, ParameterGroupStatus: paramStatus,
		}
		if n.port != 0 {
			cn.Endpoint = &wireEndpoint{Address: "127.0.0.1", Port: n.port}
		}
		c.CacheNodes = []wireCacheNode{cn}
	}
	return c
}

// nodeStatus maps a cache cluster status to its node's status.
func nodeStatus(clusterStatus string) string {
	if clusterStatus == statusRebooting {
		return "rebooting"
	}
	return clusterStatus
}

// createRequest is a validated CreateReplicationGroup.
type createRequest struct {
	g            *replicationGroup
	num          int
	zones        []string
	tags         []tag
	snapshotName string
}

func (s *Service) readCreateRequest(p query.Params) (*createRequest, error) {
	id := p.String("ReplicationGroupId")
	if err := validateIdentifier("ReplicationGroupId", id, 40); err != nil {
		return nil, err
	}
	desc := p.String("ReplicationGroupDescription")
	if desc == "" {
		desc = p.String("Description")
	}
	if desc == "" {
		return nil, missingParameter("ReplicationGroupDescription")
	}
	if e := p.String("Engine"); e != "" && lower(e) != engineRedis {
		return nil, invalidValue("Engine %q is not supported here; the emulator runs redis.", e)
	}
	version := p.String("EngineVersion")
	if version == "" {
		version = defaultEngineVersion
	}
	if !strings.HasPrefix(version, "7.") && version != "7" {
		return nil, invalidValue("EngineVersion %q is not available: the emulator runs Redis 7.0 (use \"7.0\", parameter group family redis7).", version)
	}
	nodeType := p.String("CacheNodeType")
	if nodeType == "" {
		return nil, missingParameter("CacheNodeType")
	}
	if _, ok := nodeTypeMemory[nodeType]; !ok {
		return nil, invalidValue("Invalid CacheNodeType %q; supported node types are %s.", nodeType, strings.Join(knownNodeTypes(), ", "))
	}
	if n, err := p.Int("NumNodeGroups"); err != nil {
		return nil, err
	} else if n != nil && *n != 1 {
		return nil, invalidValue("NumNodeGroups %d needs cluster mode, which the emulator does not run; use NumCacheClusters with one node group.", *n)
	}
	if cm := p.String("ClusterMode"); cm != "" && cm != "disabled" {
		return nil, invalidValue("ClusterMode %q is not supported by the emulator; use \"disabled\".", cm)
	}
	for _, name := range []string{"PrimaryClusterId", "AuthToken", "GlobalReplicationGroupId", "UserGroupIds", "SnapshotArns", "NodeGroupConfiguration"} {
		if p.Sent(name) {
			return nil, invalidValue("%s is not supported by the ecprov emulator.", name)
		}
	}
	num := 1
	if n, err := p.Int("NumCacheClusters"); err != nil {
		return nil, err
	} else if n != nil {
		num = *n
	} else if r, err := p.Int("ReplicasPerNodeGroup"); err != nil {
		return nil, err
	} else if r != nil {
		num = *r + 1
	}
	if num < 1 || num > maxCacheClusters {
		return nil, invalidValue("NumCacheClusters %d is out of range; a replication group has 1 to %d cache clusters.", num, maxCacheClusters)
	}
	failover, err := p.Bool("AutomaticFailoverEnabled")
	if err != nil {
		return nil, err
	}
	multiAZ, err := p.Bool("MultiAZEnabled")
	if err != nil {
		return nil, err
	}
	af, maz := failover != nil && *failover, multiAZ != nil && *multiAZ
	if af && num < 2 {
		return nil, invalidCombination("When using automatic failover, there must be at least 2 cache clusters in the replication group.")
	}
	if maz && !af {
		return nil, invalidCombination("Multi-AZ requires automatic failover; set AutomaticFailoverEnabled=true as well.")
	}
	atRest, err := p.Bool("AtRestEncryptionEnabled")
	if err != nil {
		return nil, err
	}
	transit, err := p.Bool("TransitEncryptionEnabled")
	if err != nil {
		return nil, err
	}
	kms := p.String("KmsKeyId")
	if kms != "" && (atRest == nil || !*atRest) {
		return nil, invalidCombination("KmsKeyId needs AtRestEncryptionEnabled=true.")
	}
	subnetGroupName := lower(p.String("CacheSubnetGroupName"))
	if transit != nil && *transit && subnetGroupName == "" {
		return nil, invalidCombination("Encryption in transit needs a VPC: pass CacheSubnetGroupName along with TransitEncryptionEnabled=true.")
	}
	mode := p.String("TransitEncryptionMode")
	switch {
	case mode != "" && mode != "preferred" && mode != "required":
		return nil, invalidValue("Invalid TransitEncryptionMode %q; use \"preferred\" or \"required\".", mode)
	case mode != "" && (transit == nil || !*transit):
		return nil, invalidCombination("TransitEncryptionMode %q needs TransitEncryptionEnabled=true.", mode)
	case mode == "" && transit != nil && *transit:
		mode = "required"
	}
	retention := 0
	if r, err := p.Int("SnapshotRetentionLimit"); err != nil {
		return nil, err
	} else if r != nil {
		retention = *r
	}
	if err := checkRetention(retention); err != nil {
		return nil, err
	}
	sw, mw, werr := chooseWindows(p.String("SnapshotWindow"), lower(p.String("PreferredMaintenanceWindow")))
	if werr != nil {
		return nil, werr
	}
	topic := p.String("NotificationTopicArn")
	if topic != "" && !topicARNPattern.MatchString(topic) {
		return nil, invalidValue("Invalid NotificationTopicArn %q; it must be an SNS topic ARN such as arn:aws:sns:%s:%s:my-topic.", topic, s.opts.Region, s.opts.AccountID)
	}
	port := defaultPort
	if v, err := p.Int("Port"); err != nil {
		return nil, err
	} else if v != nil {
		port = *v
	}
	if err := checkPort(port); err != nil {
		return nil, err
	}
	autoMinor := true
	if v, err := p.Bool("AutoMinorVersionUpgrade"); err != nil {
		return nil, err
	} else if v != nil {
		autoMinor = *v
	}
	tags, err := readTags(p)
	if err != nil {
		return nil, err
	}
	sgs := p.List("SecurityGroupIds")
	for _, sg := range sgs {
		if _, ok := s.network.SecurityGroup(sg); !ok {
			return nil, invalidValue("Some security group Id not recognized by EC2: %s; DescribeSecurityGroups lists the groups of your VPC.", sg)
		}
	}
	zones := p.List("PreferredCacheClusterAZs")
	if zones != nil && len(zones) != num {
		return nil, invalidValue("PreferredCacheClusterAZs lists %d zones but NumCacheClusters is %d; give one zone per cache cluster.", len(zones), num)
	}
	g := &replicationGroup{
		id: lower(id), description: desc, status: statusCreating, nodeType: nodeType, engineVersion: version,
		paramGroup: lower(p.String("CacheParameterGroupName")), subnetGroup: subnetGroupName, securityGroupIDs: sgs,
		automaticFailover: af, multiAZ: maz, atRest: atRest != nil && *atRest, kmsKeyID: kms,
		transit: transit != nil && *transit, transitMode: mode, snapshotRetention: retention,
		snapshotWindow: sw, maintenanceWindow: mw, topicARN: topic, autoMinorUpgrade: autoMinor, port: port,
	}
	if topic != "" {
		g.topicStatus = "active"
	}
	if g.paramGroup == "" {
		g.paramGroup = defaultParamGroup
	}
	return &createRequest{g: g, num: num, zones: zones, tags: tags, snapshotName: p.String("SnapshotName")}, nil
}

func (s *Service) createReplicationGroup(ctx context.Context, p query.Params) (any, error) {
	req, err := s.readCreateRequest(p)
	if err != nil {
		return nil, err
	}
	g := req.g
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[g.id]; ok {
		return nil, newError(http.StatusBadRequest, codeReplicationGroupAlreadyExists, "Replication group %s already exists.", g.id)
	}
	pg, aerr := s.findParamGroup(g.paramGroup)
	if aerr != nil {
		return nil, aerr
	}
	if want := familyForEngine(g.engineVersion); pg.family != want {
		return nil, invalidCombination("Parameter group %s has family %s, but engine version %s needs family %s.", pg.name, pg.family, g.engineVersion, want)
	}
	var zones []string
	if g.subnetGroup != "" {
		sg, aerr := s.findSubnetGroup(g.subnetGroup)
		if aerr != nil {
			return nil, aerr
		}
		zones = sg.zones()
		for _, id := range g.securityGroupIDs {
			if sec, _ := s.network.SecurityGroup(id); sec.VpcID != sg.vpcID {
				return nil, newError(http.StatusBadRequest, codeInvalidVPCNetworkState,
					"Security group %s is in %s but cache subnet group %s is in %s; use security groups of the same VPC.", id, sec.VpcID, sg.name, sg.vpcID)
			}
		}
	} else {
		zones = []string{s.opts.Region + "a", s.opts.Region + "b", s.opts.Region + "c"}
	}
	if req.zones != nil {
		for _, z := range req.zones {
			if !containsString(zones, z) {
				return nil, invalidValue("Availability zone %s in PreferredCacheClusterAZs is not among the zones of the subnet group (%s).", z, strings.Join(zones, ", "))
			}
		}
		zones = req.zones
	}
	var seed *snapshot
	if req.snapshotName != "" {
		snap, ok := s.snapshots[req.snapshotName]
		if !ok {
			return nil, snapshotNotFound(req.snapshotName)
		}
		if snap.status != statusAvailable {
			return nil, newError(http.StatusBadRequest, codeInvalidSnapshotState, "Snapshot %s is %s; wait until it is available.", snap.name, snap.status)
		}
		seed = snap
	}
	now := time.Now().UTC()
	g.created = now
	for i := range req.num {
		n := &node{
			clusterID: fmt.Sprintf("%s-%03d", g.id, i+1),
			az:        zones[i%len(zones)],
			role:      roleReplica,
			status:    statusCreating,
			created:   now,
			dir:       filepath.Join(s.opts.DataDir, "nodes", fmt.Sprintf("%s-%03d", g.id, i+1)),
		}
		if i == 0 {
			n.role = rolePrimary
		}
		g.nodes = append(g.nodes, n)
	}
	if s.failNextCreate || s.failCreate[g.id] {
		g.failCreate = true
		s.failNextCreate = false
		delete(s.failCreate, g.id)
	}
	s.groups[g.id] = g
	if err := s.setTags(s.arn(arnReplicationGroup, g.id), req.tags); err != nil {
		delete(s.groups, g.id)
		return nil, err
	}
	for _, n := range g.nodes {
		_ = s.setTags(s.arn(arnCluster, n.clusterID), req.tags)
	}
	seedFile := ""
	if seed != nil {
		seedFile = seed.file
	}
	id := g.id
	s.goBackground(func(ctx context.Context) { s.provision(ctx, id, seedFile) })
	return replicationGroupResult{ReplicationGroup: s.wireGroup(g)}, nil
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Service) describeReplicationGroups(ctx context.Context, p query.Params) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var groups []*replicationGroup
	if id := p.String("ReplicationGroupId"); id != "" {
		g, err := s.findGroup(id)
		if err != nil {
			return nil, err
		}
		groups = []*replicationGroup{g}
	} else {
		for _, k := range sortedKeys(s.groups) {
			groups = append(groups, s.groups[k])
		}
	}
	from, to, next, err := page(p, len(groups))
	if err != nil {
		return nil, err
	}
	out := describeReplicationGroupsResult{Marker: next}
	for _, g := range groups[from:to] {
		out.ReplicationGroups = append(out.ReplicationGroups, s.wireGroup(g))
	}
	return out, nil
}

func (s *Service) describeCacheClusters(ctx context.Context, p query.Params) (any, error) {
	show, err := p.Bool("ShowCacheNodeInfo")
	if err != nil {
		return nil, err
	}
	notInRG, err := p.Bool("ShowCacheClustersNotInReplicationGroups")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type pair struct {
		g *replicationGroup
		n *node
	}
	var all []pair
	for _, id := range sortedKeys(s.groups) {
		g := s.groups[id]
		for _, n := range g.nodes {
			all = append(all, pair{g, n})
		}
	}
	if want := p.String("CacheClusterId"); want != "" {
		var found []pair
		for _, c := range all {
			if c.n.clusterID == lower(want) {
				found = append(found, c)
			}
		}
		if len(found) == 0 {
			return nil, cacheClusterNotFound(want)
		}
		all = found
	}
	if notInRG != nil && *notInRG {
		all = nil // every cluster here belongs to a replication group
	}
	from, to, next, err := page(p, len(all))
	if err != nil {
		return nil, err
	}
	out := describeCacheClustersResult{Marker: next}
	for _, c := range all[from:to] {
		out.CacheClusters = append(out.CacheClusters, s.wireCluster(c.g, c.n, show != nil && *show))
	}
	return out, nil
}

func (s *Service) modifyReplicationGroup(ctx context.Context, p query.Params) (any, error) {
	id := p.String("ReplicationGroupId")
	if id == "" {
		return nil, missingParameter("ReplicationGroupId")
	}
	for _, name := range []string{"PrimaryClusterId", "AuthToken", "UserGroupIdsToAdd", "UserGroupIdsToRemove", "NodeGroupId", "ClusterMode"} {
		if p.Sent(name) {
			return nil, invalidValue("%s is not supported by the ecprov emulator.", name)
		}
	}
	applyNow, err := p.Bool("ApplyImmediately")
	if err != nil {
		return nil, err
	}
	failover, err := p.Bool("AutomaticFailoverEnabled")
	if err != nil {
		return nil, err
	}
	multiAZ, err := p.Bool("MultiAZEnabled")
	if err != nil {
		return nil, err
	}
	retention, err := p.Int("SnapshotRetentionLimit")
	if err != nil {
		return nil, err
	}
	transit, err := p.Bool("TransitEncryptionEnabled")
	if err != nil {
		return nil, err
	}
	autoMinor, err := p.Bool("AutoMinorVersionUpgrade")
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.findGroup(id)
	if aerr != nil {
		return nil, aerr
	}
	if g.status != statusAvailable || g.busy {
		return nil, invalidRGState("Replication group %s is %s; it must be available to be modified.", g.id, statusWord(g))
	}
	if transit != nil && *transit != g.transit {
		return nil, invalidValue("Changing TransitEncryptionEnabled of an existing group is not supported by the emulator (replication group %s has it %v).", g.id, g.transit)
	}
	if m := p.String("TransitEncryptionMode"); m != "" && m != g.transitMode {
		return nil, invalidValue("Changing TransitEncryptionMode of an existing group is not supported by the emulator (replication group %s uses %q).", g.id, g.transitMode)
	}
	// Work on a copy; commit only when every check passed.
	next := *g
	if failover != nil {
		next.automaticFailover = *failover
	}
	if multiAZ != nil {
		next.multiAZ = *multiAZ
	}
	if next.automaticFailover && len(g.nodes) < 2 {
		return nil, invalidCombination("When using automatic failover, there must be at least 2 cache clusters in the replication group.")
	}
	if next.multiAZ && !next.automaticFailover {
		return nil, invalidCombination("Multi-AZ requires automatic failover; set AutomaticFailoverEnabled=true as well.")
	}
	if retention != nil {
		if err := checkRetention(*retention); err != nil {
			return nil, err
		}
		next.snapshotRetention = *retention
	}
	if v := p.String("SnapshotWindow"); v != "" {
		next.snapshotWindow = v
	}
	if v := p.String("PreferredMaintenanceWindow"); v != "" {
		next.maintenanceWindow = lower(v)
	}
	if err := checkWindows(next.snapshotWindow, next.maintenanceWindow); err != nil {
		return nil, err
	}
	if v := p.String("EngineVersion"); v != "" {
		if familyForEngine(v) != familyRedis7 {
			return nil, invalidValue("EngineVersion %q is not available: the emulator runs Redis 7.0.", v)
		}
		next.engineVersion = v
	}
	if v := p.String("CacheParameterGroupName"); v != "" {
		pg, aerr := s.findParamGroup(v)
		if aerr != nil {
			return nil, aerr
		}
		if want := familyForEngine(next.engineVersion); pg.family != want {
			return nil, invalidCombination("Parameter group %s has family %s, but engine version %s needs family %s.", pg.name, pg.family, next.engineVersion, want)
		}
		next.paramGroup = pg.name
	}
	newNodeType := ""
	if v := p.String("CacheNodeType"); v != "" && v != g.nodeType {
		if _, ok := nodeTypeMemory[v]; !ok {
			return nil, invalidValue("Invalid CacheNodeType %q; supported node types are %s.", v, strings.Join(knownNodeTypes(), ", "))
		}
		newNodeType = v
	}
	if p.Has("NotificationTopicArn") {
		topic := p.String("NotificationTopicArn")
		if topic != "" && !topicARNPattern.MatchString(topic) {
			return nil, invalidValue("Invalid NotificationTopicArn %q; it must be an SNS topic ARN such as arn:aws:sns:%s:%s:my-topic.", topic, s.opts.Region, s.opts.AccountID)
		}
		next.topicARN = topic
		next.topicStatus = ""
		if topic != "" {
			next.topicStatus = "active"
		}
	}
	if v := p.String("NotificationTopicStatus"); v != "" {
		if v != "active" && v != "inactive" {
			return nil, invalidValue("Invalid NotificationTopicStatus %q; use active or inactive.", v)
		}
		if next.topicARN == "" {
			return nil, invalidCombination("NotificationTopicStatus needs a NotificationTopicArn on the group.")
		}
		next.topicStatus = v
	}
	if v := p.List("SecurityGroupIds"); v != nil {
		for _, sg := range v {
			if _, ok := s.network.SecurityGroup(sg); !ok {
				return nil, invalidValue("Some security group Id not recognized by EC2: %s.", sg)
			}
		}
		next.securityGroupIDs = v
	}
	if p.Has("ReplicationGroupDescription") {
		next.description = p.String("ReplicationGroupDescription")
	}
	if autoMinor != nil {
		next.autoMinorUpgrade = *autoMinor
	}

	// Commit the model.
	oldParamGroup := g.paramGroup
	g.automaticFailover, g.multiAZ = next.automaticFailover, next.multiAZ
	g.snapshotRetention, g.snapshotWindow, g.maintenanceWindow = next.snapshotRetention, next.snapshotWindow, next.maintenanceWindow
	g.engineVersion, g.paramGroup = next.engineVersion, next.paramGroup
	g.topicARN, g.topicStatus = next.topicARN, next.topicStatus
	g.securityGroupIDs, g.description, g.autoMinorUpgrade = next.securityGroupIDs, next.description, next.autoMinorUpgrade
	resize := ""
	if newNodeType != "" {
		if applyNow != nil && *applyNow {
			resize = newNodeType
		} else {
			for _, n := range g.nodes {
				n.pendingNodeType = newNodeType
			}
		}
	} else if applyNow != nil && *applyNow {
		// ApplyImmediately also applies what was pending.
		for _, n := range g.nodes {
			if n.pendingNodeType != "" {
				resize = n.pendingNodeType
			}
		}
	}
	g.status = statusModifying
	for _, n := range g.nodes {
		if n.status == statusAvailable {
			n.status = statusModifying
		}
	}
	out := s.wireGroup(g)
	s.goBackground(func(ctx context.Context) { s.applyModification(ctx, g.id, oldParamGroup, resize) })
	return replicationGroupResult{ReplicationGroup: out}, nil
}

// statusWord describes a group's state for error messages.
func statusWord(g *replicationGroup) string {
	if g.busy && g.status == statusAvailable {
		return "recovering from a failover"
	}
	return g.status
}

func (s *Service) deleteReplicationGroup(ctx context.Context, p query.Params) (any, error) {
	id := p.String("ReplicationGroupId")
	if id == "" {
		return nil, missingParameter("ReplicationGroupId")
	}
	if v, err := p.Bool("RetainPrimaryCluster"); err != nil {
		return nil, err
	} else if v != nil && *v {
		return nil, invalidValue("RetainPrimaryCluster is not supported by the ecprov emulator.")
	}
	final := p.String("FinalSnapshotIdentifier")
	if final != "" {
		if err := validateIdentifier("FinalSnapshotIdentifier", final, 255); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.findGroup(id)
	if aerr != nil {
		return nil, aerr
	}
	if g.status == statusDeleting {
		return nil, invalidRGState("Replication group %s is already being deleted.", g.id)
	}
	if (g.status != statusAvailable && g.status != statusCreateFailed) || g.busy {
		return nil, invalidRGState("Cache cluster %s is not in a valid state to be deleted (replication group %s is %s).", g.nodes[0].clusterID, g.id, statusWord(g))
	}
	if final != "" {
		if g.status != statusAvailable {
			return nil, invalidRGState("Replication group %s is %s; a final snapshot needs an available group (delete without FinalSnapshotIdentifier).", g.id, g.status)
		}
		if _, ok := s.snapshots[final]; ok {
			return nil, newError(http.StatusBadRequest, codeSnapshotAlreadyExists, "Snapshot %s already exists; pick another FinalSnapshotIdentifier.", final)
		}
	}
	g.status = statusDeleting
	for _, n := range g.nodes {
		n.status = statusDeleting
	}
	var snap *snapshot
	var src *node
	if final != "" {
		src = snapshotSource(g)
		snap = s.newSnapshot(final, "manual", g, src)
	}
	out := s.wireGroup(g)
	s.goBackground(func(ctx context.Context) { s.teardown(ctx, g.id, snap, src) })
	return replicationGroupResult{ReplicationGroup: out}, nil
}

func (s *Service) testFailover(ctx context.Context, p query.Params) (any, error) {
	id, ng := p.String("ReplicationGroupId"), p.String("NodeGroupId")
	if id == "" {
		return nil, missingParameter("ReplicationGroupId")
	}
	if ng == "" {
		return nil, missingParameter("NodeGroupId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.findGroup(id)
	if aerr != nil {
		return nil, aerr
	}
	if ng != nodeGroupID {
		return nil, newError(http.StatusNotFound, codeNodeGroupNotFound, "Node group %s not found in replication group %s; a cluster-mode-disabled group has node group %s.", ng, g.id, nodeGroupID)
	}
	if g.status != statusAvailable {
		return nil, invalidRGState("Replication group %s is %s; TestFailover needs it available.", g.id, g.status)
	}
	if g.busy {
		return nil, newError(http.StatusBadRequest, codeTestFailoverNotAvailable,
			"A failover or node recovery is already running on node group %s of %s; wait for \"Finished recovery for cache nodes\" in DescribeEvents.", ng, g.id)
	}
	if !g.automaticFailover {
		return nil, invalidCombination("TestFailover needs automatic failover on replication group %s; enable it with ModifyReplicationGroup AutomaticFailoverEnabled=true.", g.id)
	}
	if len(g.replicas()) == 0 {
		return nil, invalidCombination("Replication group %s has no replica to fail over to.", g.id)
	}
	old := g.primary()
	if old == nil {
		return nil, invalidRGState("Replication group %s has no primary at the moment.", g.id)
	}
	g.busy = true
	s.recordEvent(sourceReplicationGroup, g.id, "Test Failover API called for node group %s", nodeGroupID)
	out := s.wireGroup(g)
	oldID := old.clusterID
	s.goBackground(func(ctx context.Context) {
		s.failover(ctx, g.id, oldID)
		s.setBusy(g.id, false)
	})
	return replicationGroupResult{ReplicationGroup: out}, nil
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

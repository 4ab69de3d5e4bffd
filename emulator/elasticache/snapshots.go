package elasticache

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ecprov/ecprov/emulator/protocol/query"
	"github.com/ecprov/ecprov/emulator/redisproc"
)

const bgsaveTimeout = 30 * time.Second

// snapshotSource picks the node a backup reads from: a healthy replica when
// there is one (as ElastiCache does, to spare the primary), else the primary.
// Callers hold s.mu.
func snapshotSource(g *replicationGroup) *node {
	for _, r := range g.replicas() {
		if r.alive() && r.status == statusAvailable {
			return r
		}
	}
	if p := g.primary(); p != nil && p.alive() {
		return p
	}
	return nil
}

// newSnapshot registers a snapshot in "creating". Callers hold s.mu.
func (s *Service) newSnapshot(name, source string, g *replicationGroup, n *node) *snapshot {
	snap := &snapshot{
		name: name, source: source, status: statusCreating, created: time.Now().UTC(),
		rgID: g.id, file: filepath.Join(s.opts.DataDir, "snapshots", name+".rdb"), rg: *g,
	}
	// Keep the members as they were at backup time (roles move on failover).
	snap.rg.nodes = nil
	for _, m := range g.nodes {
		c := *m
		c.proc = nil
		snap.rg.nodes = append(snap.rg.nodes, &c)
	}
	if n != nil {
		snap.clusterID = n.clusterID
	}
	s.snapshots[name] = snap
	return snap
}

func (s *Service) wireSnapshot(snap *snapshot, showNodeGroupConfig bool) wireSnapshot {
	g := &snap.rg
	failover := "disabled"
	if g.automaticFailover {
		failover = "enabled"
	}
	out := wireSnapshot{
		ARN: s.arn(arnSnapshot, snap.name), AutoMinorVersionUpgrade: g.autoMinorUpgrade, AutomaticFailover: failover,
		CacheClusterCreateTime: query.Timestamp(g.created), CacheNodeType: g.nodeType,
		CacheParameterGroupName: g.paramGroup, CacheSubnetGroupName: g.subnetGroup, DataTiering: "disabled",
		Engine: engineRedis, EngineVersion: engineVersionFull(g.engineVersion), KmsKeyID: g.kmsKeyID,
		NumNodeGroups: 1, Port: g.port, PreferredMaintenanceWindow: g.maintenanceWindow,
		ReplicationGroupDescription: g.description, ReplicationGroupID: g.id, SnapshotName: snap.name,
		SnapshotRetentionLimit: g.snapshotRetention, SnapshotSource: snap.source, SnapshotStatus: snap.status,
		SnapshotWindow: g.snapshotWindow, TopicArn: g.topicARN,
	}
	if sg, ok := s.subnetGroups[g.subnetGroup]; ok {
		out.VpcID = sg.vpcID
	}
	ns := wireNodeSnapshot{
		CacheClusterID: snap.clusterID, CacheNodeCreateTime: query.Timestamp(g.created), CacheNodeID: cacheNodeID,
		CacheSize: fmt.Sprintf("%d MB", (snap.size+(1<<20)-1)>>20), NodeGroupID: nodeGroupID,
	}
	if snap.status == statusAvailable {
		ns.SnapshotCreateTime = query.Timestamp(snap.created)
	}
	if showNodeGroupConfig {
		cfg := &wireNodeGroupConfiguration{NodeGroupID: nodeGroupID}
		for _, n := range g.nodes {
			if n.role == rolePrimary {
				cfg.PrimaryAvailabilityZone = n.az
			} else {
				cfg.ReplicaAvailabilityZones = append(cfg.ReplicaAvailabilityZones, n.az)
				cfg.ReplicaCount++
			}
		}
		ns.NodeGroupConfiguration = cfg
	}
	out.NodeSnapshots = []wireNodeSnapshot{ns}
	return out
}

// takeSnapshot runs BGSAVE on proc, waits for it, and copies the RDB file to
// DATA_DIR/snapshots/<name>.rdb.
func (s *Service) takeSnapshot(ctx context.Context, snap *snapshot, proc *redisproc.Process) {
	err := s.bgsave(ctx, proc, snap.file)
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[snap.rgID]
	if err != nil {
		snap.status = "failed"
		s.log.Warn("snapshot failed", "snapshot", snap.name, "err", err)
		s.recordEvent(sourceReplicationGroup, snap.rgID, "Snapshot failed for snapshot with ID '%s' of replication group with ID '%s'", snap.name, snap.rgID)
		if g != nil {
			s.publish(g, "ElastiCache:SnapshotFailed", snap.clusterID)
		}
	} else {
		snap.status = statusAvailable
		if fi, err := os.Stat(snap.file); err == nil {
			snap.size = fi.Size()
		}
		s.recordEvent(sourceReplicationGroup, snap.rgID, "Snapshot succeeded for snapshot with ID '%s' of replication group with ID '%s'", snap.name, snap.rgID)
		if g != nil {
			s.publish(g, "ElastiCache:SnapshotComplete", snap.clusterID)
		}
	}
	if g != nil && g.status == statusSnapshotting {
		g.status = statusAvailable
		for _, n := range g.nodes {
			if n.status == statusSnapshotting {
				n.status = statusAvailable
			}
		}
	}
}

func (s *Service) bgsave(ctx context.Context, proc *redisproc.Process, dest string) error {
	if proc == nil {
		return fmt.Errorf("no running node to back up")
	}
	info, err := proc.Info(ctx, "persistence")
	if err != nil {
		return err
	}
	before, _ := strconv.Atoi(info["rdb_saves"])
	deadline := time.Now().Add(bgsaveTimeout)
	for {
		_, err := proc.Do(ctx, "BGSAVE")
		if err == nil {
			break
		}
		if !isBusySave(err) || time.Now().After(deadline) {
			return fmt.Errorf("BGSAVE on %s: %w", proc.Name(), err)
		}
		if !sleepCtx(ctx, 50*time.Millisecond) {
			return ctx.Err()
		}
	}
	for {
		info, err := proc.Info(ctx, "persistence")
		if err == nil && info["rdb_bgsave_in_progress"] == "0" {
			if n, _ := strconv.Atoi(info["rdb_saves"]); n > before {
				if info["rdb_last_bgsave_status"] != "ok" {
					return fmt.Errorf("BGSAVE on %s ended with status %s", proc.Name(), info["rdb_last_bgsave_status"])
				}
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("BGSAVE on %s did not finish within %s", proc.Name(), bgsaveTimeout)
		}
		if !sleepCtx(ctx, 25*time.Millisecond) {
			return ctx.Err()
		}
	}
	return copyFile(filepath.Join(proc.Config().Dir, "dump.rdb"), dest)
}

func (s *Service) createSnapshot(ctx context.Context, p query.Params) (any, error) {
	name := p.String("SnapshotName")
	if err := validateIdentifier("SnapshotName", name, 255); err != nil {
		return nil, err
	}
	rgID, clusterID := lower(p.String("ReplicationGroupId")), lower(p.String("CacheClusterId"))
	if rgID == "" && clusterID == "" {
		return nil, invalidCombination("Pass ReplicationGroupId or CacheClusterId to say what to back up.")
	}
	if p.String("KmsKeyId") != "" {
		return nil, invalidValue("KmsKeyId on CreateSnapshot is not supported by the ecprov emulator.")
	}
	tags, err := readTags(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.snapshots[name]; ok {
		return nil, newError(http.StatusBadRequest, codeSnapshotAlreadyExists, "Snapshot %s already exists; pick another SnapshotName.", name)
	}
	var g *replicationGroup
	var src *node
	if clusterID != "" {
		for _, cand := range s.groups {
			if n := cand.node(clusterID); n != nil {
				g, src = cand, n
			}
		}
		if g == nil {
			return nil, cacheClusterNotFound(clusterID)
		}
		if rgID != "" && rgID != g.id {
			return nil, invalidCombination("Cache cluster %s belongs to %s, not %s.", clusterID, g.id, rgID)
		}
	} else {
		var aerr *apiError
		if g, aerr = s.findGroup(rgID); aerr != nil {
			return nil, aerr
		}
	}
	if g.status != statusAvailable || g.busy {
		return nil, invalidRGState("Replication group %s is %s; snapshots need it available.", g.id, statusWord(g))
	}
	if src == nil {
		src = snapshotSource(g)
	}
	if src == nil || !src.alive() {
		return nil, invalidRGState("Replication group %s has no running node to back up.", g.id)
	}
	snap := s.newSnapshot(name, "manual", g, src)
	if err := s.setTags(s.arn(arnSnapshot, name), tags); err != nil {
		delete(s.snapshots, name)
		return nil, err
	}
	g.status = statusSnapshotting
	src.status = statusSnapshotting
	proc := src.proc
	out := s.wireSnapshot(snap, false)
	s.goBackground(func(ctx context.Context) { s.takeSnapshot(ctx, snap, proc) })
	return snapshotResult{Snapshot: out}, nil
}

func (s *Service) describeSnapshots(ctx context.Context, p query.Params) (any, error) {
	show, err := p.Bool("ShowNodeGroupConfig")
	if err != nil {
		return nil, err
	}
	rgID, clusterID, name, source := lower(p.String("ReplicationGroupId")), lower(p.String("CacheClusterId")), p.String("SnapshotName"), p.String("SnapshotSource")
	switch source {
	case "", "user", "system":
	default:
		return nil, invalidValue("Invalid SnapshotSource %q; use user or system.", source)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if name != "" {
		if _, ok := s.snapshots[name]; !ok {
			return nil, snapshotNotFound(name)
		}
	}
	var list []*snapshot
	for _, k := range sortedKeys(s.snapshots) {
		snap := s.snapshots[k]
		switch {
		case name != "" && snap.name != name,
			rgID != "" && snap.rgID != rgID,
			clusterID != "" && snap.clusterID != clusterID,
			source == "user" && snap.source != "manual",
			source == "system" && snap.source != "automated":
			continue
		}
		list = append(list, snap)
	}
	from, to, next, err := page(p, len(list))
	if err != nil {
		return nil, err
	}
	out := describeSnapshotsResult{Marker: next}
	for _, snap := range list[from:to] {
		out.Snapshots = append(out.Snapshots, s.wireSnapshot(snap, show != nil && *show))
	}
	return out, nil
}

func (s *Service) deleteSnapshot(ctx context.Context, p query.Params) (any, error) {
	name := p.String("SnapshotName")
	if name == "" {
		return nil, missingParameter("SnapshotName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, ok := s.snapshots[name]
	if !ok {
		return nil, snapshotNotFound(name)
	}
	if snap.status == statusCreating {
		return nil, newError(http.StatusBadRequest, codeInvalidSnapshotState, "Snapshot %s is still being created; delete it once it is available.", name)
	}
	_ = os.Remove(snap.file)
	delete(s.snapshots, name)
	delete(s.tags, s.arn(arnSnapshot, name))
	snap.status = statusDeleting
	return snapshotResult{Snapshot: s.wireSnapshot(snap, false)}, nil
}

package elasticache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ecprov/ecprov/emulator/redisproc"
)

// Timing of the background work. The watcher's tick bounds how fast a
// dead primary is noticed (process exit: one tick; a hung server: two failed
// PINGs).
const (
	watchTick    = 200 * time.Millisecond
	pingEvery    = 5 // ticks
	pingTimeout  = 500 * time.Millisecond
	pingFailures = 2
	linkTimeout  = 30 * time.Second
)

// nodeSpec is everything launching one node needs, copied under s.mu so the
// slow part runs without the lock.
type nodeSpec struct {
	clusterID string
	dir       string
	port      int
	tls       bool
	maxMemory int64
	settings  map[string]string
	replicaOf string
}

// specFor builds a node's launch spec from its group. Callers hold s.mu.
func (s *Service) specFor(g *replicationGroup, n *node, replicaOf string) nodeSpec {
	values := defaultValues()
	if pg, ok := s.paramGroups[g.paramGroup]; ok {
		values = pg.values()
	}
	return nodeSpec{
		clusterID: n.clusterID, dir: n.dir, port: n.port, tls: g.transit,
		maxMemory: nodeTypeMemory[g.nodeType], settings: directives(values, ""), replicaOf: replicaOf,
	}
}

// launch starts one redis-server, on the node's old port when it has one
// (so its endpoint stays the same after a recovery) or a fresh one.
func (s *Service) launch(ctx context.Context, spec nodeSpec) (*redisproc.Process, error) {
	cfg := redisproc.Config{
		Name: spec.clusterID, Dir: spec.dir, Port: spec.port, MaxMemory: spec.maxMemory,
		Settings: spec.settings, ReplicaOf: spec.replicaOf, Binary: s.opts.RedisServer,
		Access: s.access,
	}
	if spec.tls {
		sc, err := s.ca.IssueServerCert(spec.clusterID)
		if err != nil {
			return nil, err
		}
		cfg.TLS = &redisproc.TLS{CertFile: sc.CertFile, KeyFile: sc.KeyFile, CAFile: s.ca.CertFile()}
	}
	p, err := s.procs.Start(ctx, cfg)
	if errors.Is(err, redisproc.ErrPortInUse) && spec.port != 0 {
		s.log.Warn("node port taken; moving the node to a new port", "cache_cluster", spec.clusterID, "port", spec.port)
		cfg.Port = 0
		p, err = s.procs.Start(ctx, cfg)
	}
	return p, err
}

// waitLinked waits until a replica reports master_link_status:up.
func waitLinked(ctx context.Context, p *redisproc.Process) error {
	deadline := time.Now().Add(linkTimeout)
	for {
		ok, err := p.ReplicationLinked(ctx)
		if ok {
			return nil
		}
		if !p.Alive() {
			return fmt.Errorf("%s exited before linking to its primary", p.Name())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not link to its primary within %s (last error: %v)", p.Name(), linkTimeout, err)
		}
		if !sleepCtx(ctx, 25*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// sleepCtx sleeps for d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// provision brings a new group from creating to available (or
// create-failed): start the primary, start the replicas pointing at it, wait
// for every link, open the endpoints, wait CreateDelay.
func (s *Service) provision(ctx context.Context, id, seedFile string) {
	s.mu.Lock()
	g := s.groups[id]
	if g == nil {
		s.mu.Unlock()
		return
	}
	fail := g.failCreate
	specs := make([]nodeSpec, len(g.nodes))
	for i, n := range g.nodes {
		specs[i] = s.specFor(g, n, "")
	}
	s.mu.Unlock()

	if fail {
		if sleepCtx(ctx, s.opts.CreateDelay) {
			s.markCreateFailed(id, "failure injected by the emulator (InjectCreateFailure)")
		}
		return
	}
	start := time.Now()
	procs, err := s.startNodes(ctx, specs, seedFile)
	if err != nil {
		s.markCreateFailed(id, err.Error())
		return
	}
	primary, err := newProxy(id+"-primary", func() string { return s.primaryAddr(id) }, s.log)
	if err != nil {
		s.killAll(procs)
		s.markCreateFailed(id, "open primary endpoint: "+err.Error())
		return
	}
	reader, err := newProxy(id+"-reader", func() string { return s.readerAddr(id) }, s.log)
	if err != nil {
		primary.close()
		s.killAll(procs)
		s.markCreateFailed(id, "open reader endpoint: "+err.Error())
		return
	}
	s.mu.Lock()
	g = s.groups[id]
	if g == nil || s.closed {
		s.mu.Unlock()
		primary.close()
		reader.close()
		s.killAll(procs)
		return
	}
	for i, n := range g.nodes {
		n.proc, n.port = procs[i], procs[i].Port()
	}
	g.primaryProxy, g.readerProxy = primary, reader
	s.mu.Unlock()
	s.log.Info("replication group servers up", "replication_group", id, "nodes", len(procs), "tls", specs[0].tls, "elapsed_ms", time.Since(start).Milliseconds())

	if !sleepCtx(ctx, s.opts.CreateDelay) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g = s.groups[id]
	if g == nil || g.status != statusCreating {
		return
	}
	g.status = statusAvailable
	for _, n := range g.nodes {
		n.status = statusAvailable
		s.recordEvent(sourceCacheCluster, n.clusterID, "Cache cluster created")
		s.publish(g, "ElastiCache:CacheClusterProvisioningComplete", n.clusterID)
	}
	s.recordEvent(sourceReplicationGroup, g.id, "Replication group %s created", g.id)
	s.publish(g, "ElastiCache:CreateReplicationGroupComplete", "")
	s.startWatcher(g)
}

// startNodes starts the primary (seeded from a snapshot file when given)
// and then the replicas, and waits until every replica is linked.
func (s *Service) startNodes(ctx context.Context, specs []nodeSpec, seedFile string) ([]*redisproc.Process, error) {
	var procs []*redisproc.Process
	fail := func(err error) ([]*redisproc.Process, error) {
		s.killAll(procs)
		return nil, err
	}
	for i, spec := range specs {
		// A group re-created under an old name must not load old data.
		if err := os.RemoveAll(spec.dir); err != nil {
			return fail(fmt.Errorf("clean %s: %w", spec.dir, err))
		}
		if i == 0 && seedFile != "" {
			if err := copyFile(seedFile, filepath.Join(spec.dir, "dump.rdb")); err != nil {
				return fail(fmt.Errorf("seed %s from snapshot: %w", spec.clusterID, err))
			}
		}
		if i > 0 {
			spec.replicaOf = procs[0].Addr()
		}
		p, err := s.launch(ctx, spec)
		if err != nil {
			return fail(err)
		}
		procs = append(procs, p)
	}
	for _, p := range procs[1:] {
		if err := waitLinked(ctx, p); err != nil {
			return fail(err)
		}
	}
	return procs, nil
}

func (s *Service) killAll(procs []*redisproc.Process) {
	for _, p := range procs {
		s.procs.Stop(p, 0)
	}
}

func (s *Service) markCreateFailed(id, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[id]
	if g == nil {
		return
	}
	g.status = statusCreateFailed
	for _, n := range g.nodes {
		n.status = statusCreateFailed
		n.proc = nil
	}
	s.log.Warn("replication group create failed", "replication_group", id, "reason", reason)
	s.recordEvent(sourceReplicationGroup, id, "Failed to create replication group %s: %s", id, reason)
	s.publish(g, "ElastiCache:CacheClusterProvisioningFailed", "")
}

// primaryAddr is the backend of the primary endpoint.
func (s *Service) primaryAddr(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[id]
	if g == nil {
		return ""
	}
	if p := g.primary(); p != nil && p.alive() {
		return p.proc.Addr()
	}
	return ""
}

// readerAddr is the next backend of the reader endpoint: the healthy
// replicas in turn, or the primary when there is none.
func (s *Service) readerAddr(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[id]
	if g == nil {
		return ""
	}
	var ready []*node
	for _, n := range g.replicas() {
		if n.alive() && n.status != statusRebooting {
			ready = append(ready, n)
		}
	}
	if len(ready) == 0 {
		if p := g.primary(); p != nil && p.alive() {
			return p.proc.Addr()
		}
		return ""
	}
	g.readerNext++
	return ready[g.readerNext%len(ready)].proc.Addr()
}

func (s *Service) setBusy(id string, busy bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[id]; g != nil {
		g.busy = busy
	}
}

// startWatcher starts the failure watcher of a group. Callers hold s.mu.
func (s *Service) startWatcher(g *replicationGroup) {
	if s.closed {
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	g.stopWatch, g.watchDone = stop, done
	id := g.id
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		s.watch(s.ctx, id, stop)
	}()
}

// watch notices dead nodes: a redis-server that exited, or one that failed
// pingFailures PINGs in a row (then it is killed and treated as dead).
func (s *Service) watch(ctx context.Context, id string, stop <-chan struct{}) {
	ticker := time.NewTicker(watchTick)
	defer ticker.Stop()
	misses := map[string]int{}
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-ticker.C:
		}
		s.mu.Lock()
		g := s.groups[id]
		if g == nil || g.status == statusDeleting {
			s.mu.Unlock()
			return
		}
		if g.busy {
			s.mu.Unlock()
			continue
		}
		var dead []string
		type probe struct {
			id   string
			proc *redisproc.Process
		}
		var probes []probe
		// The primary first: its death is the one that needs a failover.
		nodes := append([]*node{g.primary()}, g.replicas()...)
		for _, n := range nodes {
			if n == nil || n.proc == nil {
				continue
			}
			if !n.proc.Alive() {
				dead = append(dead, n.clusterID)
			} else if tick%pingEvery == 0 {
				probes = append(probes, probe{n.clusterID, n.proc})
			}
		}
		s.mu.Unlock()

		for _, pr := range probes {
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err := pr.proc.Ping(pctx)
			cancel()
			if err == nil {
				misses[pr.id] = 0
				continue
			}
			misses[pr.id]++
			if misses[pr.id] >= pingFailures {
				s.log.Warn("cache node stopped answering PING; replacing it", "cache_cluster", pr.id, "err", err)
				pr.proc.Kill()
				misses[pr.id] = 0
				dead = append(dead, pr.id)
			}
		}
		if len(dead) > 0 {
			s.handleDeadNode(ctx, id, dead[0])
		}
	}
}

// handleDeadNode fails over when the primary died and automatic failover
// is on; otherwise it brings the node back in place.
func (s *Service) handleDeadNode(ctx context.Context, id, clusterID string) {
	s.mu.Lock()
	g := s.groups[id]
	if g == nil || g.busy || g.status == statusDeleting {
		s.mu.Unlock()
		return
	}
	n := g.node(clusterID)
	if n == nil {
		s.mu.Unlock()
		return
	}
	g.busy = true
	hasReplica := false
	for _, r := range g.replicas() {
		hasReplica = hasReplica || r.alive()
	}
	doFailover := n.role == rolePrimary && g.automaticFailover && hasReplica
	s.log.Warn("cache node died", "replication_group", id, "cache_cluster", clusterID, "role", n.role, "failover", doFailover)
	s.mu.Unlock()
	defer s.setBusy(id, false)
	if doFailover {
		s.failover(ctx, id, clusterID)
		return
	}
	s.recoverNode(ctx, id, clusterID, false)
}

// failover promotes a replica of group id, re-points the endpoints, repoints
// the other replicas and replaces the old primary as a replica of the new
// one, recording the events in the order ElastiCache documents them.
func (s *Service) failover(ctx context.Context, id, oldID string) {
	s.mu.Lock()
	g := s.groups[id]
	if g == nil {
		s.mu.Unlock()
		return
	}
	var candidates []*node
	for _, r := range g.replicas() {
		if r.alive() {
			candidates = append(candidates, r)
		}
	}
	s.mu.Unlock()

	var promoted *node
	for _, c := range candidates {
		if err := c.proc.ReplicaOf(ctx, ""); err != nil {
			s.log.Warn("promote replica", "cache_cluster", c.clusterID, "err", err)
			continue
		}
		promoted = c
		break
	}
	if promoted == nil {
		s.log.Error("failover found no replica to promote; recovering the primary in place", "replication_group", id)
		s.recoverNode(ctx, id, oldID, false)
		return
	}

	s.mu.Lock()
	g = s.groups[id]
	if g == nil {
		s.mu.Unlock()
		return
	}
	old := g.node(oldID)
	old.role = roleReplica
	promoted.role = rolePrimary
	newAddr := promoted.proc.Addr()
	var others []*redisproc.Process
	for _, r := range g.replicas() {
		if r != old && r.alive() {
			others = append(others, r.proc)
		}
	}
	if g.primaryProxy != nil {
		g.primaryProxy.reset()
		g.readerProxy.reset()
	}
	msg := fmt.Sprintf("Failover from primary node %s to replica node %s completed", oldID, promoted.clusterID)
	s.recordEvent(sourceCacheCluster, promoted.clusterID, "%s", msg)
	s.recordEvent(sourceReplicationGroup, g.id, "%s", msg)
	s.publish(g, "ElastiCache:FailoverComplete", promoted.clusterID)
	s.mu.Unlock()

	for _, p := range others {
		if err := p.ReplicaOf(ctx, newAddr); err != nil {
			s.log.Warn("repoint replica", "cache_cluster", p.Name(), "err", err)
		}
	}
	s.recoverNode(ctx, id, oldID, false)
}

// recoverNode replaces a node's process (killing it when it still runs, as
// a node replacement does) and starts a new one on the same port: a replica
// of the current primary, or a fresh primary when the node is the primary.
func (s *Service) recoverNode(ctx context.Context, id, clusterID string, announced bool) {
	s.mu.Lock()
	g := s.groups[id]
	if g == nil || g.status == statusDeleting {
		s.mu.Unlock()
		return
	}
	n := g.node(clusterID)
	replicaOf := ""
	if n.role != rolePrimary {
		if p := g.primary(); p != nil && p.alive() {
			replicaOf = p.proc.Addr()
		}
	}
	old := n.proc
	n.status = statusRebooting
	if n.pendingNodeType != "" {
		// A recovery is the "next failure reboot" that applies pending changes.
		g.nodeType = n.pendingNodeType
		for _, m := range g.nodes {
			m.pendingNodeType = ""
		}
	}
	if !announced {
		s.recordEvent(sourceCacheCluster, clusterID, "Recovering cache nodes %s", cacheNodeID)
		s.publish(g, "ElastiCache:CacheNodeReplaceStarted", clusterID)
	}
	spec := s.specFor(g, n, replicaOf)
	s.mu.Unlock()

	if old != nil {
		s.procs.Stop(old, 0)
	}
	var proc *redisproc.Process
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if proc, err = s.launch(ctx, spec); err == nil {
			break
		}
		s.log.Warn("restart cache node", "cache_cluster", clusterID, "attempt", attempt+1, "err", err)
		if !sleepCtx(ctx, 200*time.Millisecond) {
			return
		}
	}
	if err != nil {
		s.log.Error("cache node could not be recovered", "cache_cluster", clusterID, "err", err)
		return
	}
	if replicaOf != "" {
		if err := waitLinked(ctx, proc); err != nil {
			s.log.Warn("recovered replica not linked yet", "cache_cluster", clusterID, "err", err)
		}
	}

	s.mu.Lock()
	g = s.groups[id]
	if g == nil || g.status == statusDeleting || s.closed {
		s.mu.Unlock()
		s.procs.Stop(proc, 0)
		return
	}
	n.proc, n.port = proc, proc.Port()
	n.pendingReboot = false
	if g.status == statusModifying {
		n.status = statusModifying
	} else {
		n.status = statusAvailable
	}
	var replicas []*redisproc.Process
	if n.role == rolePrimary {
		for _, r := range g.replicas() {
			if r.alive() {
				replicas = append(replicas, r.proc)
			}
		}
	}
	s.recordEvent(sourceCacheCluster, clusterID, "Finished recovery for cache nodes %s", cacheNodeID)
	s.publish(g, "ElastiCache:CacheNodeReplaceComplete", clusterID)
	s.mu.Unlock()
	// A primary restarted in place may have moved port; tell its replicas.
	for _, r := range replicas {
		if err := r.ReplicaOf(ctx, proc.Addr()); err != nil {
			s.log.Warn("repoint replica", "cache_cluster", r.Name(), "err", err)
		}
	}
}

// applyModification pushes a ModifyReplicationGroup to the servers and
// returns the group to available after ModifyDelay.
func (s *Service) applyModification(ctx context.Context, id, oldParamGroup, resize string) {
	s.mu.Lock()
	g := s.groups[id]
	if g == nil {
		s.mu.Unlock()
		return
	}
	set := map[string]string{}
	if g.paramGroup != oldParamGroup {
		values := defaultValues()
		if pg, ok := s.paramGroups[g.paramGroup]; ok {
			values = pg.values()
		}
		set = directives(values, changeImmediate)
		for _, n := range g.nodes {
			s.recordEvent(sourceCacheCluster, n.clusterID, "Updated to use CacheParameterGroup %s", g.paramGroup)
			s.publish(g, "ElastiCache:CacheClusterParametersChanged", n.clusterID)
		}
	}
	if resize != "" {
		g.nodeType = resize
		for _, n := range g.nodes {
			n.pendingNodeType = ""
		}
		set["maxmemory"] = strconv.FormatInt(nodeTypeMemory[resize], 10)
	}
	var procs []*redisproc.Process
	for _, n := range g.nodes {
		if n.alive() {
			procs = append(procs, n.proc)
		}
	}
	s.mu.Unlock()

	for _, p := range procs {
		for _, k := range sortedKeys(set) {
			if err := p.ConfigSet(ctx, k, set[k]); err != nil {
				s.log.Warn("apply modification", "cache_cluster", p.Name(), "err", err)
			}
		}
	}
	if !sleepCtx(ctx, s.opts.ModifyDelay) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g = s.groups[id]
	if g == nil || g.status != statusModifying {
		return
	}
	g.status = statusAvailable
	for _, n := range g.nodes {
		if n.status == statusModifying {
			n.status = statusAvailable
		}
	}
	s.recordEvent(sourceReplicationGroup, id, "Replication group %s modified", id)
	if resize != "" {
		s.publish(g, "ElastiCache:ReplicationGroupScalingComplete", "")
	}
}

// teardown takes the final snapshot (when asked), stops the watcher, kills
// the servers, closes the endpoints and forgets the group.
func (s *Service) teardown(ctx context.Context, id string, snap *snapshot, src *node) {
	if snap != nil {
		var proc *redisproc.Process
		s.mu.Lock()
		if src != nil {
			proc = src.proc
		}
		s.mu.Unlock()
		s.takeSnapshot(ctx, snap, proc)
	}
	s.mu.Lock()
	g := s.groups[id]
	if g == nil {
		s.mu.Unlock()
		return
	}
	if g.stopWatch != nil {
		close(g.stopWatch)
		g.stopWatch = nil
	}
	done := g.watchDone
	var procs []*redisproc.Process
	for _, n := range g.nodes {
		if n.proc != nil {
			procs = append(procs, n.proc)
		}
	}
	proxies := []*proxy{g.primaryProxy, g.readerProxy}
	s.mu.Unlock()

	if done != nil {
		<-done
	}
	s.killAll(procs)
	for _, p := range proxies {
		if p != nil {
			p.close()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range g.nodes {
		if err := os.RemoveAll(n.dir); err != nil {
			s.log.Warn("remove node data", "cache_cluster", n.clusterID, "err", err)
		}
		if err := s.ca.RemoveServerCert(n.clusterID); err != nil {
			s.log.Warn("remove node certificate", "cache_cluster", n.clusterID, "err", err)
		}
		delete(s.tags, s.arn(arnCluster, n.clusterID))
		s.recordEvent(sourceCacheCluster, n.clusterID, "Cache cluster deleted")
		s.publish(g, "ElastiCache:DeleteCacheClusterComplete", n.clusterID)
	}
	s.recordEvent(sourceReplicationGroup, id, "Replication group %s deleted", id)
	delete(s.tags, s.arn(arnReplicationGroup, id))
	delete(s.groups, id)
}

// copyFile copies cache data (a snapshot, a seed): the copy is for the
// user alone, like the original.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	tmp := to + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, to)
}

// isBusySave reports redis' "background save already in progress" reply.
func isBusySave(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "in progress")
}

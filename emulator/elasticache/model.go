package elasticache

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ecprov/ecprov/emulator/redisproc"
)

// Status values, as ElastiCache reports them.
const (
	statusCreating     = "creating"
	statusAvailable    = "available"
	statusModifying    = "modifying"
	statusDeleting     = "deleting"
	statusCreateFailed = "create-failed"
	statusSnapshotting = "snapshotting"
	// statusRebooting is a cache cluster whose node is being recovered.
	statusRebooting = "rebooting cluster nodes"

	rolePrimary = "primary"
	roleReplica = "replica"

	// nodeGroupID is the only node group of a cluster-mode-disabled group.
	nodeGroupID = "0001"
	// cacheNodeID is the only node of each member cache cluster.
	cacheNodeID = "0001"

	engineRedis = "redis"
)

type paramGroup struct {
	name        string
	family      string
	description string
	system      bool              // default.* groups: not modifiable, not deletable
	user        map[string]string // values changed from the family default
}

// values returns the effective parameter values.
func (g *paramGroup) values() map[string]string {
	v := defaultValues()
	for k, val := range g.user {
		v[k] = val
	}
	return v
}

type subnet struct {
	id string
	az string
}

type subnetGroup struct {
	name        string
	description string
	vpcID       string
	subnets     []subnet
}

func (g *subnetGroup) zones() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range g.subnets {
		if !seen[s.az] {
			seen[s.az] = true
			out = append(out, s.az)
		}
	}
	sort.Strings(out)
	return out
}

// node is one member cache cluster (one node each, cluster mode disabled).
type node struct {
	clusterID string
	az        string
	role      string
	status    string // cache cluster status
	created   time.Time
	dir       string
	port      int // kept across restarts so ReadEndpoint stays the same
	proc      *redisproc.Process
	// pendingNodeType is a node type change waiting for ApplyImmediately or
	// the next recovery.
	pendingNodeType string
	pendingReboot   bool // a requires-reboot parameter changed
}

func (n *node) alive() bool { return n.proc != nil && n.proc.Alive() }

type replicationGroup struct {
	id                string
	description       string
	status            string
	created           time.Time
	nodeType          string
	engineVersion     string // as requested ("7.0")
	paramGroup        string
	subnetGroup       string
	securityGroupIDs  []string
	automaticFailover bool
	multiAZ           bool
	atRest            bool
	kmsKeyID          string
	transit           bool
	transitMode       string
	snapshotRetention int
	snapshotWindow    string
	maintenanceWindow string
	topicARN          string
	topicStatus       string
	autoMinorUpgrade  bool
	port              int // the requested Port; the emulator serves on local ports
	nodes             []*node

	primaryProxy *proxy
	readerProxy  *proxy
	readerNext   int

	// busy is set while a failover or recovery runs, so the watcher and
	// TestFailover never act on the group at the same time.
	busy       bool
	stopWatch  chan struct{}
	watchDone  chan struct{}
	failCreate bool
}

func (g *replicationGroup) primary() *node {
	for _, n := range g.nodes {
		if n.role == rolePrimary {
			return n
		}
	}
	return nil
}

func (g *replicationGroup) replicas() []*node {
	var out []*node
	for _, n := range g.nodes {
		if n.role == roleReplica {
			out = append(out, n)
		}
	}
	return out
}

func (g *replicationGroup) memberIDs() []string {
	out := make([]string, len(g.nodes))
	for i, n := range g.nodes {
		out[i] = n.clusterID
	}
	return out
}

func (g *replicationGroup) node(clusterID string) *node {
	for _, n := range g.nodes {
		if n.clusterID == clusterID {
			return n
		}
	}
	return nil
}

type snapshot struct {
	name      string
	source    string // "manual" or "automated"
	status    string // creating, available, failed
	created   time.Time
	rgID      string
	clusterID string
	file      string
	size      int64
	// A copy of the group's settings when the snapshot was taken.
	rg replicationGroup
}

type event struct {
	date       time.Time
	message    string
	sourceID   string
	sourceType string
}

// Event source types.
const (
	sourceReplicationGroup = "replication-group"
	sourceCacheCluster     = "cache-cluster"
	sourceParameterGroup   = "cache-parameter-group"
	sourceSubnetGroup      = "cache-subnet-group"
)

type tag struct {
	key, value string
}

// arn builds an ElastiCache ARN for a resource type and name.
func (s *Service) arn(kind, name string) string {
	return fmt.Sprintf("arn:aws:elasticache:%s:%s:%s:%s", s.opts.Region, s.opts.AccountID, kind, name)
}

// ARN resource types.
const (
	arnReplicationGroup = "replicationgroup"
	arnCluster          = "cluster"
	arnParameterGroup   = "parametergroup"
	arnSubnetGroup      = "subnetgroup"
	arnSnapshot         = "snapshot"
)

// engineVersionFull is the patch version ElastiCache reports for a
// major.minor request (AWS runs 7.0.7 for "7.0"; locally it is redis 7.0.x).
func engineVersionFull(v string) string {
	switch {
	case v == "7.0" || strings.HasPrefix(v, "7.0."):
		return "7.0.7"
	case v == "7.1" || strings.HasPrefix(v, "7.1."):
		return "7.1.0"
	}
	return v
}

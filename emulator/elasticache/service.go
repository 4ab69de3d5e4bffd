// Package elasticache emulates Amazon ElastiCache for Redis (Query protocol,
// API version 2015-02-02) with real redis-server processes.
//
// A replication group is NumCacheClusters redis-server 7.0 processes named
// <id>-001, <id>-002, ...: the first starts as primary, the others replicate
// from it (over TLS when transit encryption is on, then the nodes are
// TLS-only). The primary endpoint is a stable local port that always
// forwards to the current primary; the reader endpoint round-robins over the
// replicas. A watcher notices a dead primary within a second, promotes a
// replica, re-points the primary endpoint and brings the dead node back as a
// replica, recording the events and SNS-style notices ElastiCache would.
//
// Addresses are 127.0.0.1 with real ports, so clients really connect. Wire
// handling (query package) is kept apart from the model (model.go,
// lifecycle.go); each operation has one handler named after it.
package elasticache

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ecprov/ecprov/emulator/ec2"
	"github.com/ecprov/ecprov/emulator/protocol/query"
	"github.com/ecprov/ecprov/emulator/redisproc"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/emulator/tlsca"
	"github.com/ecprov/ecprov/internal/apimodel"
)

// apiModel is botocore's elasticache 2015-02-02 model, trimmed to the
// actions served (internal/apimodel). Its constraints on these inputs are
// the enums (TransitEncryptionMode, ClusterMode, NetworkType, SourceType,
// ...) and NodeGroupId (AllowedNodeGroupId: 1 to 4 digits); every request
// is checked against them before an action runs. ElastiCache answers its
// own input checks with InvalidParameterValue, and so these.
// TestAPIModel keeps the copy equal to the AWS CLI's.
//
//go:embed apimodel.json
var apiModelJSON []byte

var apiModel = apimodel.MustParse(apiModelJSON)

// eventRetention is how long DescribeEvents can look back.
const eventRetention = 14 * 24 * time.Hour

// XMLNamespace is the namespace of ElastiCache API version 2015-02-02.
const XMLNamespace = "http://elasticache.amazonaws.com/doc/2015-02-02/"

// Network resolves subnets and security groups for subnet groups and
// replication groups. *ec2.Network satisfies it.
type Network interface {
	Subnet(id string) (ec2.Subnet, bool)
	SecurityGroup(id string) (ec2.SecurityGroup, bool)
}

// Options configure the service.
type Options struct {
	// DataDir holds node directories (DataDir/nodes/<cluster-id>) and
	// snapshots (DataDir/snapshots/<name>.rdb). Required.
	DataDir string
	// Region and AccountID appear in ARNs and availability zones
	// (defaults us-east-1 and 000000000000).
	Region    string
	AccountID string
	// CreateDelay is added after the servers of a new group are up and
	// linked, to keep it in "creating" as long as a test wants.
	CreateDelay time.Duration
	// ModifyDelay keeps a modified group in "modifying" this long after the
	// change is applied.
	ModifyDelay time.Duration
	// CA issues the node certificates for transit encryption. When nil a CA
	// is created under DataDir/tls.
	CA *tlsca.CA
	// Network resolves subnets and security groups; defaults to the EC2
	// emulator's fixture for Region.
	Network Network
	// Logger for the service (slog.Default when nil).
	Logger *slog.Logger
	// Notify, when set, receives every notice ElastiCache would publish to
	// a group's SNS topic. It is called from one goroutine, in order.
	Notify func(topicARN string, n Notice)
	// RedisServer overrides the redis-server binary.
	RedisServer string
}

// Notice is an SNS notification ElastiCache publishes to a replication
// group's notification topic.
type Notice struct {
	// Event is the notification type, e.g. "ElastiCache:FailoverComplete".
	Event string
	// ReplicationGroupID and CacheClusterID name the source.
	ReplicationGroupID string
	CacheClusterID     string
	TopicARN           string
	Time               time.Time
}

// Message is the SNS message body ElastiCache sends: a JSON object keyed by
// the event name whose value is the source, plus the ids.
func (n Notice) Message() string {
	m := map[string]string{n.Event: n.ReplicationGroupID}
	if n.ReplicationGroupID == "" {
		m[n.Event] = n.CacheClusterID
	}
	if n.ReplicationGroupID != "" {
		m["Replication Group ID"] = n.ReplicationGroupID
	}
	if n.CacheClusterID != "" {
		m["Cache Cluster ID"] = n.CacheClusterID
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Service is the ElastiCache emulator.
type Service struct {
	opts    Options
	log     *slog.Logger
	procs   *redisproc.Manager
	access  *redisproc.Access // every node's lock-down (restricted.go)
	ca      *tlsca.CA
	network Network
	ops     map[string]func(ctx context.Context, p query.Params) (any, error)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	notices chan Notice

	mu             sync.Mutex
	paramGroups    map[string]*paramGroup
	subnetGroups   map[string]*subnetGroup
	groups         map[string]*replicationGroup
	snapshots      map[string]*snapshot
	tags           map[string][]tag // by ARN
	events         []event
	outbox         []Notice
	failNextCreate bool
	failCreate     map[string]bool
	closed         bool
}

// New creates the service. It starts no redis-server until a replication
// group is created.
func New(opts Options) (*Service, error) {
	if opts.DataDir == "" {
		return nil, errors.New("elasticache: Options.DataDir is required")
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = ec2.AccountID
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Network == nil {
		opts.Network = ec2.NewNetwork(opts.Region)
	}
	ca := opts.CA
	if ca == nil {
		var err error
		if ca, err = tlsca.LoadOrCreate(filepath.Join(opts.DataDir, "tls")); err != nil {
			return nil, fmt.Errorf("elasticache: %w", err)
		}
	}
	if err := prepareDataDir(opts.DataDir, ca); err != nil {
		return nil, fmt.Errorf("elasticache: %w", err)
	}
	access, err := newAccess()
	if err != nil {
		return nil, err
	}
	log := opts.Logger.With("service", "elasticache")
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		opts: opts, log: log, procs: redisproc.NewManager(log), access: access, ca: ca, network: opts.Network,
		ctx: ctx, cancel: cancel,
		notices:      make(chan Notice, 1024),
		paramGroups:  map[string]*paramGroup{},
		subnetGroups: map[string]*subnetGroup{},
		groups:       map[string]*replicationGroup{},
		snapshots:    map[string]*snapshot{},
		tags:         map[string][]tag{},
		failCreate:   map[string]bool{},
	}
	s.paramGroups[defaultParamGroup] = &paramGroup{
		name: defaultParamGroup, family: familyRedis7, system: true, user: map[string]string{},
		description: "Default parameter group for redis7",
	}
	s.ops = map[string]func(context.Context, query.Params) (any, error){
		"CreateCacheParameterGroup":    s.createCacheParameterGroup,
		"DescribeCacheParameterGroups": s.describeCacheParameterGroups,
		"ModifyCacheParameterGroup":    s.modifyCacheParameterGroup,
		"ResetCacheParameterGroup":     s.resetCacheParameterGroup,
		"DeleteCacheParameterGroup":    s.deleteCacheParameterGroup,
		"DescribeCacheParameters":      s.describeCacheParameters,
		"CreateCacheSubnetGroup":       s.createCacheSubnetGroup,
		"DescribeCacheSubnetGroups":    s.describeCacheSubnetGroups,
		"ModifyCacheSubnetGroup":       s.modifyCacheSubnetGroup,
		"DeleteCacheSubnetGroup":       s.deleteCacheSubnetGroup,
		"CreateReplicationGroup":       s.createReplicationGroup,
		"DescribeReplicationGroups":    s.describeReplicationGroups,
		"ModifyReplicationGroup":       s.modifyReplicationGroup,
		"DeleteReplicationGroup":       s.deleteReplicationGroup,
		"DescribeCacheClusters":        s.describeCacheClusters,
		"TestFailover":                 s.testFailover,
		"DescribeEvents":               s.describeEvents,
		"CreateSnapshot":               s.createSnapshot,
		"DescribeSnapshots":            s.describeSnapshots,
		"DeleteSnapshot":               s.deleteSnapshot,
		"ListTagsForResource":          s.listTagsForResource,
		"AddTagsToResource":            s.addTagsToResource,
		"RemoveTagsFromResource":       s.removeTagsFromResource,
	}
	s.wg.Add(1)
	go s.deliverNotices()
	return s, nil
}

// prepareDataDir makes the folders of node data and snapshots, for the user
// alone, and empties them: groups and snapshots live in memory, so what is
// there is what a crashed run left, certificates of its nodes included.
func prepareDataDir(dataDir string, ca *tlsca.CA) error {
	for _, d := range []string{"nodes", "snapshots"} {
		dir := filepath.Join(dataDir, d)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restrict %s: %w", dir, err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if d == "nodes" {
				if err := ca.RemoveServerCert(e.Name()); err != nil {
					return err
				}
			}
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("remove what a previous run left: %w", err)
			}
		}
	}
	return nil
}

// Close kills every redis-server of every group, stops the endpoints and
// waits for background work to end.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	s.cancel()
	_ = s.procs.Close()

	s.mu.Lock()
	var proxies []*proxy
	for _, g := range s.groups {
		if g.stopWatch != nil {
			close(g.stopWatch)
			g.stopWatch = nil
		}
		proxies = append(proxies, g.primaryProxy, g.readerProxy)
	}
	s.mu.Unlock()
	for _, p := range proxies {
		if p != nil {
			p.close()
		}
	}
	close(s.notices)
	s.wg.Wait()
	return nil
}

// SigningName is the SigV4 service name.
func (s *Service) SigningName() string { return "elasticache" }

// Operation returns the Action of a request, "" when it has none.
func (s *Service) Operation(r *http.Request, body []byte) string {
	p, err := query.Parse(r, body)
	if err != nil {
		return ""
	}
	return p.Action()
}

// WriteError writes an error in the ElastiCache Query shape.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	query.WriteError(w, status, XMLNamespace, code, message, requestID(r.Context()))
}

// requestID is the router's id for the request, so that the RequestId in
// the body is the x-amzn-RequestId header; a fresh one when the service is
// used without the router.
func requestID(ctx context.Context) string {
	if id := server.RequestID(ctx); id != "" {
		return id
	}
	return query.NewRequestID()
}

// OperationNames lists the actions served.
func (s *Service) OperationNames() []string { return slices.Sorted(maps.Keys(s.ops)) }

// ServeHTTP handles one Query request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := requestID(r.Context())
	body, err := io.ReadAll(r.Body)
	if err != nil {
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, "MalformedQueryString", "could not read the request body: "+err.Error(), reqID)
		return
	}
	p, err := query.Parse(r, body)
	if err != nil {
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, "MalformedQueryString", err.Error(), reqID)
		return
	}
	action := p.Action()
	if action == "" {
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, "MissingAction", "The request must contain the parameter Action.", reqID)
		return
	}
	op, ok := s.ops[action]
	if !ok {
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, "InvalidAction",
			fmt.Sprintf("The action %s is not valid for this web service (not implemented by the ecprov emulator).", action), reqID)
		return
	}
	if vs := p.Violations(apiModel, false); len(vs) > 0 {
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, codeInvalidParameterValue, apimodel.Message(vs), reqID)
		return
	}
	start := time.Now()
	out, err := op(r.Context(), p)
	if err != nil {
		var ae *apiError
		var pe *query.ParamError
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &pe):
			ae = invalidValue("%s", pe.Error())
		default:
			s.log.Error("elasticache operation failed", "action", action, "err", err, "request_id", reqID)
			ae = newError(http.StatusInternalServerError, "InternalFailure", "%s", err.Error())
		}
		s.log.Info("elasticache request", "action", action, "status", ae.status, "code", ae.code, "message", ae.message, "request_id", reqID)
		query.WriteError(w, ae.status, XMLNamespace, ae.code, ae.message, reqID)
		return
	}
	s.log.Debug("elasticache request", "action", action, "status", http.StatusOK, "duration_ms", time.Since(start).Milliseconds(), "request_id", reqID)
	query.WriteResult(w, action, XMLNamespace, reqID, out)
}

// InjectCreateFailure makes the next CreateReplicationGroup for rgID (any
// group when rgID is "") end in create-failed instead of available.
func (s *Service) InjectCreateFailure(rgID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rgID == "" {
		s.failNextCreate = true
		return
	}
	s.failCreate[lower(rgID)] = true
}

// Outbox returns every notice published so far, oldest first.
func (s *Service) Outbox() []Notice {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Notice(nil), s.outbox...)
}

// NodePID returns the pid of a cache cluster's redis-server, so tests can
// kill it; ok is false when there is no running process.
func (s *Service) NodePID(cacheClusterID string) (pid int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		if n := g.node(lower(cacheClusterID)); n != nil && n.alive() {
			return n.proc.PID(), true
		}
	}
	return 0, false
}

// CA returns the certificate authority whose certificates TLS nodes present.
func (s *Service) CA() *tlsca.CA { return s.ca }

// recordEvent appends to the event log. Callers hold s.mu.
func (s *Service) recordEvent(sourceType, sourceID, format string, a ...any) {
	e := event{date: time.Now().UTC(), message: fmt.Sprintf(format, a...), sourceID: sourceID, sourceType: sourceType}
	// ElastiCache keeps 14 days of events.
	cutoff := e.date.Add(-eventRetention)
	drop := 0
	for drop < len(s.events) && s.events[drop].date.Before(cutoff) {
		drop++
	}
	s.events = append(s.events[drop:], e)
	s.log.Info("elasticache event", "source_type", sourceType, "source_id", sourceID, "message", e.message)
}

// publish queues a notice for the group's topic, when it has an active one.
// Callers hold s.mu.
func (s *Service) publish(g *replicationGroup, eventName, clusterID string) {
	if g.topicARN == "" || g.topicStatus != "active" {
		return
	}
	n := Notice{Event: eventName, ReplicationGroupID: g.id, CacheClusterID: clusterID, TopicARN: g.topicARN, Time: time.Now().UTC()}
	s.outbox = append(s.outbox, n)
	if s.closed {
		return
	}
	select {
	case s.notices <- n:
	default:
		s.log.Warn("notice queue full; dropping delivery", "event", eventName, "replication_group", g.id)
	}
}

func (s *Service) deliverNotices() {
	defer s.wg.Done()
	for n := range s.notices {
		if s.opts.Notify != nil {
			s.opts.Notify(n.TopicARN, n)
		}
	}
}

// goBackground runs fn in the background, tracked so Close waits for it.
// Callers hold s.mu; after Close nothing new starts.
func (s *Service) goBackground(fn func(ctx context.Context)) {
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn(s.ctx)
	}()
}

// page applies Marker/MaxRecords (20-100, default 100) to n items and
// returns the slice bounds and the next marker.
func page(p query.Params, n int) (from, to int, next string, err error) {
	max := 100
	if v, err := p.Int("MaxRecords"); err != nil {
		return 0, 0, "", err
	} else if v != nil {
		if *v < 20 || *v > 100 {
			return 0, 0, "", invalidValue("MaxRecords %d is out of range; it must be between 20 and 100.", *v)
		}
		max = *v
	}
	if m := p.String("Marker"); m != "" {
		from, err = strconv.Atoi(m)
		if err != nil || from < 0 || from > n {
			return 0, 0, "", invalidValue("Invalid Marker %q: pass the Marker returned by the previous call.", m)
		}
	}
	to = min(from+max, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

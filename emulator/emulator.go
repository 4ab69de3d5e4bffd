// Package emulator runs the local AWS endpoint: one HTTP listener on
// 127.0.0.1 serving ElastiCache (real redis-server processes), EC2 network
// look-ups, Secrets Manager and CloudWatch, in the wire protocols the AWS SDK
// for Go v2 and the AWS CLI use. Any AWS client reaches it with the
// variables Env returns.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ecprov/ecprov/emulator/cloudwatch"
	"github.com/ecprov/ecprov/emulator/ec2"
	"github.com/ecprov/ecprov/emulator/elasticache"
	ebsvc "github.com/ecprov/ecprov/emulator/eventbridge"
	"github.com/ecprov/ecprov/emulator/lambda"
	"github.com/ecprov/ecprov/emulator/secretsmanager"
	"github.com/ecprov/ecprov/emulator/server"
	snssvc "github.com/ecprov/ecprov/emulator/sns"
	"github.com/ecprov/ecprov/emulator/stepfunctions"
	"github.com/ecprov/ecprov/emulator/tlsca"
)

// AccountID is the account every emulated resource belongs to.
const AccountID = "000000000000"

// DefaultPort is the port LocalStack made conventional.
const DefaultPort = 4566

// Options configure an Emulator.
type Options struct {
	// Port to listen on at 127.0.0.1; 0 picks a free one.
	Port int
	// DataDir holds the CA, node data and snapshots (default .ecprov/local).
	DataDir string
	// Region of every service (default us-east-1).
	Region string
	// CreateDelay keeps new replication groups in "creating" this long.
	CreateDelay time.Duration
	// MetricsInterval is how often node figures are collected into
	// CloudWatch and alarms evaluated (default 5 s).
	MetricsInterval time.Duration
	// MetricsPeriodScale shrinks CloudWatch periods for tests: 0.02 makes a
	// 60-second alarm period pass in 1.2 s (default 1, real time).
	MetricsPeriodScale float64
	// Logger receives structured logs (default: JSON to stderr).
	Logger *slog.Logger
	// AllowHosts are names besides the loopback ones that the Host header of
	// a request may carry (see server.Router.AllowHosts).
	AllowHosts []string
	// OnNotice receives what ElastiCache publishes to a group's SNS topic.
	OnNotice func(topicARN string, n elasticache.Notice)
	// OnAlarmStateChange receives every CloudWatch alarm state change.
	OnAlarmStateChange func(cloudwatch.StateChange)
	// Orchestration, when set, adds Lambda, Step Functions, EventBridge and
	// SNS, and deploys ecprov's functions, state machines, rules and topic.
	Orchestration *Orchestration
}

// Emulator is the running endpoint. Create it with New, then Start.
type Emulator struct {
	opts   Options
	log    *slog.Logger
	ca     *tlsca.CA
	router *server.Router

	elastiCache    *elasticache.Service
	ec2            *ec2.Service
	secretsManager *secretsmanager.Service
	cloudWatch     *cloudwatch.Service

	// Part 2, present with Options.Orchestration.
	lambda        *lambda.Service
	stepFunctions *stepfunctions.Service
	eventBridge   *ebsvc.Service
	sns           *snssvc.Service
	topicARN      string

	dataDirLock *os.File // held until Close (lockDataDir)

	mu       sync.Mutex
	listener net.Listener
	http     *http.Server
	served   chan struct{}
	closed   bool
}

// New builds the services. Nothing listens until Start.
func New(opts Options) (*Emulator, error) {
	if opts.DataDir == "" {
		opts.DataDir = ".ecprov/local"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("emulator: port %d is out of range; use 1-65535, or 0 for a free port", opts.Port)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	// Children (redis-server, the RIE, Node) run in other directories, so
	// every path handed to them is absolute.
	if abs, err := filepath.Abs(opts.DataDir); err == nil {
		opts.DataDir = abs
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("emulator: data dir: %w", err)
	}
	// The services remove at start what a crashed run left in the data dir
	// (node folders, snapshots, function code): only safe when no other
	// emulator uses it.
	lock, err := lockDataDir(opts.DataDir)
	if err != nil {
		return nil, err
	}
	built := false
	defer func() {
		if !built {
			_ = lock.Close()
		}
	}()
	ca, err := tlsca.LoadOrCreate(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("emulator: certificate authority in %s: %w", opts.DataDir, err)
	}

	e := &Emulator{opts: opts, log: opts.Logger, ca: ca, dataDirLock: lock}
	e.ec2 = ec2.New(opts.Region)
	e.elastiCache, err = elasticache.New(elasticache.Options{
		DataDir:     opts.DataDir,
		Region:      opts.Region,
		AccountID:   AccountID,
		CreateDelay: opts.CreateDelay,
		CA:          ca,
		Network:     e.ec2.Network(),
		Logger:      opts.Logger,
		Notify:      func(topic string, n elasticache.Notice) { e.notice(topic, n) },
	})
	if err != nil {
		return nil, fmt.Errorf("emulator: elasticache: %w", err)
	}
	e.secretsManager = secretsmanager.New(secretsmanager.Options{Region: opts.Region, AccountID: AccountID, Logger: opts.Logger})

	e.cloudWatch = cloudwatch.New(cloudwatch.Options{
		Region:          opts.Region,
		AccountID:       AccountID,
		Logger:          opts.Logger,
		Source:          e.elastiCache, // its nodes are the AWS/ElastiCache metrics' source
		CollectInterval: opts.MetricsInterval,
		PeriodScale:     opts.MetricsPeriodScale,
		OnStateChange:   opts.OnAlarmStateChange,
	})

	e.router = server.New(opts.Logger, cloudTrail{Service: e.elastiCache, emu: e}, e.ec2, e.secretsManager, e.cloudWatch)
	e.router.AllowHosts(opts.AllowHosts...)
	built = true
	return e, nil
}

// lockDataDir takes an exclusive lock on DATA_DIR/emulator.lock for the
// emulator's lifetime. The kernel drops it when the process dies, kill -9
// included, so a crashed run never leaves the data dir locked.
func lockDataDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "emulator.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("emulator: lock the data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("emulator: data dir %s is in use by another emulator (pid %s); stop it or pick another data dir", dir, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("emulator: lock the data dir: %w", err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

// Start listens on 127.0.0.1 and serves until Close.
func (e *Emulator) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("emulator: Start after Close")
	}
	if e.listener != nil {
		return errors.New("emulator: already started")
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(e.opts.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: listen on %s: %w (is another emulator or LocalStack running? pick another port)", addr, err)
	}
	e.listener = ln
	ln = server.LimitListener(ln, server.MaxConns)
	e.http = server.NewHTTPServer(e.router)
	e.served = make(chan struct{})
	go func() {
		defer close(e.served)
		if err := e.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("emulator: serve", "err", err)
		}
	}()
	e.cloudWatch.Start()
	if e.opts.Orchestration != nil {
		if err := e.startOrchestration("http://" + ln.Addr().String()); err != nil {
			return fmt.Errorf("emulator: orchestration: %w", err)
		}
	}
	e.log.Info("emulator listening", "url", "http://"+ln.Addr().String(), "dataDir", e.opts.DataDir, "region", e.opts.Region)
	return nil
}

// URL is the endpoint's base URL ("" before Start).
func (e *Emulator) URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.listener == nil {
		return ""
	}
	return "http://" + e.listener.Addr().String()
}

// Env lists the environment a client needs to use the emulator:
// the endpoint, region, any static credentials, and the CA that signed the
// cache nodes' TLS certificates.
func (e *Emulator) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      e.URL(),
		"AWS_REGION":            e.opts.Region,
		"AWS_DEFAULT_REGION":    e.opts.Region,
		"AWS_ACCESS_KEY_ID":     "test",
		"AWS_SECRET_ACCESS_KEY": "test",
		"ECPROV_CA_FILE":        e.ca.CertFile(),
	}
}

// Close stops listening, stops the metric collection and shuts the cache
// nodes down (every redis-server the emulator started).
func (e *Emulator) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	srv, served := e.http, e.served
	e.mu.Unlock()

	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
			_ = srv.Close()
		}
		cancel()
		<-served
	}
	errs = append(errs, e.cloudWatch.Close())
	if e.eventBridge != nil {
		errs = append(errs, e.eventBridge.Close())
	}
	if e.sns != nil {
		errs = append(errs, e.sns.Close())
	}
	if e.stepFunctions != nil {
		errs = append(errs, e.stepFunctions.Close())
	}
	if e.lambda != nil {
		errs = append(errs, e.lambda.Close())
	}
	if err := e.elastiCache.Close(); err != nil {
		errs = append(errs, fmt.Errorf("elasticache: %w", err))
	}
	_ = e.dataDirLock.Close()
	return errors.Join(errs...)
}

// Router is the HTTP router, to register more services or admin endpoints.
func (e *Emulator) Router() *server.Router { return e.router }

// ElastiCache is the ElastiCache service, for tests (NodePID, failures).
func (e *Emulator) ElastiCache() *elasticache.Service { return e.elastiCache }

// CloudWatch is the CloudWatch service, for tests (Tick).
func (e *Emulator) CloudWatch() *cloudwatch.Service { return e.cloudWatch }

// SecretsManager is the Secrets Manager service.
func (e *Emulator) SecretsManager() *secretsmanager.Service { return e.secretsManager }

// EC2 is the EC2 service and its fixed network.
func (e *Emulator) EC2() *ec2.Service { return e.ec2 }

// Lambda, StepFunctions, EventBridge and SNS are the part 2 services (nil
// without Options.Orchestration).
func (e *Emulator) Lambda() *lambda.Service               { return e.lambda }
func (e *Emulator) StepFunctions() *stepfunctions.Service { return e.stepFunctions }
func (e *Emulator) EventBridge() *ebsvc.Service           { return e.eventBridge }
func (e *Emulator) SNS() *snssvc.Service                  { return e.sns }

// CA is the certificate authority of the cache nodes' TLS certificates.
func (e *Emulator) CA() *tlsca.CA { return e.ca }

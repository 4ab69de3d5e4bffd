// Package redisproc starts, watches and stops real redis-server processes for
// the emulator. Every process is started in its own process group with a
// parent-death signal, so none outlives the emulator, and a Manager kills
// whatever is still running when it is closed.
package redisproc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultBinary is the redis-server looked up on PATH when Config.Binary is
// empty.
const DefaultBinary = "redis-server"

// ErrPortInUse is returned when a fixed Config.Port could not be bound.
var ErrPortInUse = errors.New("port already in use")

// TLS names the files a TLS-only node uses. The certificate is presented to
// clients and, on replication links, to the primary.
type TLS struct {
	CertFile string
	KeyFile  string
	CAFile   string
}

// Access locks a node down the way a managed service does. Clients use the
// default user, whose ACL rules are ClientRules, and the commands in Renamed
// exist only under their new names, so that a client sending the original
// name gets redis's own "ERR unknown command". The emulator's control
// connections (Do and every method built on it) authenticate as Admin and
// send renamed commands under their new names; replicas authenticate to
// their primary as Replication.
type Access struct {
	// Renamed maps a command name (upper case) to the name it has on the node.
	Renamed map[string]string
	// ClientRules are the default user's ACL rules, after "on nopass ~* &*".
	ClientRules string
	// Admin may run everything (+@all).
	Admin Credentials
	// Replication may run what a replica sends its primary, and nothing else.
	Replication Credentials
}

// Credentials name an ACL user and its password.
type Credentials struct {
	User     string
	Password string
}

// Config describes one redis-server.
type Config struct {
	// Name identifies the node in logs (e.g. "myrg-001").
	Name string
	// Dir is the node's working directory (--dir); created if missing.
	Dir string
	// Port to listen on; 0 picks a free one (retrying on bind races).
	Port int
	// TLS, when set, makes the node TLS-only (--port 0 --tls-port N) with
	// TLS on replication links too.
	TLS *TLS
	// MaxMemory in bytes; 0 leaves redis unlimited.
	MaxMemory int64
	// Settings are extra redis configuration directives passed on the
	// command line (e.g. "maxmemory-policy": "allkeys-lru").
	Settings map[string]string
	// ReplicaOf is the primary's address ("127.0.0.1:6380"); empty starts a
	// primary.
	ReplicaOf string
	// Access, when set, locks the node down (see Access); nil leaves every
	// command open to every client.
	Access *Access
	// Binary overrides DefaultBinary.
	Binary string
	// StartTimeout bounds how long Start waits for PING; default 10 s.
	StartTimeout time.Duration
}

// Process is one running (or exited) redis-server.
type Process struct {
	cfg       Config
	port      int
	cmd       *exec.Cmd
	clientTLS *tls.Config
	log       *slog.Logger
	done      chan struct{}
	waitErr   error
}

// Manager starts processes and remembers them so Close can kill them all.
type Manager struct {
	log *slog.Logger

	mu     sync.Mutex
	procs  map[*Process]struct{}
	closed bool
}

// NewManager returns a Manager logging to log (slog.Default when nil).
func NewManager(log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{log: log, procs: map[*Process]struct{}{}}
}

// Start launches a redis-server for cfg and returns once it answers PING.
func (m *Manager) Start(ctx context.Context, cfg Config) (*Process, error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, errors.New("redisproc: manager is closed")
	}
	if cfg.Binary == "" {
		cfg.Binary = DefaultBinary
	}
	// Resolved here: a shell runs it (see startOnce), and a missing binary
	// should say so rather than "exit status 127".
	bin, err := exec.LookPath(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	cfg.Binary = bin
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	// The node's folder holds its data (dump.rdb) and, with Access, its
	// passwords: for the user alone.
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create dir for %s: %w", cfg.Name, err)
	}
	if err := os.Chmod(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict dir of %s: %w", cfg.Name, err)
	}
	var clientTLS *tls.Config
	if cfg.TLS != nil {
		pem, err := os.ReadFile(cfg.TLS.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA for %s: %w", cfg.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", cfg.TLS.CAFile)
		}
		clientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	fixed := cfg.Port != 0
	const attempts = 5
	var lastErr error
	for range attempts {
		port := cfg.Port
		if !fixed {
			p, err := FreePort()
			if err != nil {
				return nil, err
			}
			port = p
		}
		p, err := m.startOnce(ctx, cfg, port, clientTLS)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if !errors.Is(err, ErrPortInUse) || fixed {
			return nil, err
		}
		m.log.Debug("redis port taken, retrying", "node", cfg.Name, "port", port)
	}
	return nil, lastErr
}

func (m *Manager) startOnce(ctx context.Context, cfg Config, port int, clientTLS *tls.Config) (*Process, error) {
	logFile := filepath.Join(cfg.Dir, "redis.log")
	// Truncate so a bind failure found below is this start's, not an old one.
	_ = os.WriteFile(logFile, nil, 0o600)
	out, err := os.OpenFile(filepath.Join(cfg.Dir, "redis.out"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open output file for %s: %w", cfg.Name, err)
	}
	defer out.Close()
	argv := args(cfg, port, logFile)
	if cfg.Access != nil {
		// A file, not arguments: the passwords stay out of the process list.
		conf := filepath.Join(cfg.Dir, "access.conf")
		if err := os.WriteFile(conf, cfg.Access.config(), 0o600); err != nil {
			return nil, fmt.Errorf("write access configuration of %s: %w", cfg.Name, err)
		}
		argv = append([]string{conf}, argv...)
	}
	// redis-server creates dump.rdb and its temporary files with the
	// permissions its umask allows, and has no setting of its own for them:
	// a shell sets umask 077 and execs it, so the data is for the user
	// alone (the pid stays the same).
	cmd := exec.Command("/bin/sh", append([]string{"-c", `umask 077 && exec "$0" "$@"`, cfg.Binary}, argv...)...)
	cmd.Dir = cfg.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := spawn(cmd); err != nil {
		return nil, fmt.Errorf("start %s for %s: %w", cfg.Binary, cfg.Name, err)
	}
	p := &Process{
		cfg: cfg, port: port, cmd: cmd, clientTLS: clientTLS,
		log:  m.log.With("node", cfg.Name, "pid", cmd.Process.Pid, "port", port),
		done: make(chan struct{}),
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		p.Kill()
		return nil, errors.New("redisproc: manager is closed")
	}
	m.procs[p] = struct{}{}
	m.mu.Unlock()

	if err := p.waitReady(ctx, cfg.StartTimeout); err != nil {
		p.Kill()
		m.forget(p)
		if bindFailed(cfg.Dir) {
			return nil, fmt.Errorf("start %s on port %d: %w", cfg.Name, port, ErrPortInUse)
		}
		return nil, fmt.Errorf("start %s on port %d: %w (see %s)", cfg.Name, port, err, logFile)
	}
	p.log.Info("redis-server started", "tls", cfg.TLS != nil, "replicaof", cfg.ReplicaOf)
	return p, nil
}

func args(cfg Config, port int, logFile string) []string {
	a := []string{
		"--bind", "127.0.0.1",
		"--dir", cfg.Dir,
		"--logfile", logFile,
		"--daemonize", "no",
		"--save", "",
		"--appendonly", "no",
		"--dbfilename", "dump.rdb",
		"--tcp-backlog", "128",
		// The default 5 s wait before a diskless full sync would make every
		// replica link (and every failover recovery) 5 s slower.
		"--repl-diskless-sync-delay", "0",
	}
	if cfg.TLS != nil {
		a = append(a,
			"--port", "0",
			"--tls-port", strconv.Itoa(port),
			"--tls-cert-file", cfg.TLS.CertFile,
			"--tls-key-file", cfg.TLS.KeyFile,
			"--tls-ca-cert-file", cfg.TLS.CAFile,
			"--tls-auth-clients", "no",
			"--tls-replication", "yes",
		)
	} else {
		a = append(a, "--port", strconv.Itoa(port))
	}
	if cfg.MaxMemory > 0 {
		a = append(a, "--maxmemory", strconv.FormatInt(cfg.MaxMemory, 10))
	}
	if cfg.ReplicaOf != "" {
		host, rport, _ := net.SplitHostPort(cfg.ReplicaOf)
		a = append(a, "--replicaof", host, rport)
	}
	keys := make([]string, 0, len(cfg.Settings))
	for k := range cfg.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a = append(a, "--"+k, cfg.Settings[k])
	}
	return a
}

func bindFailed(dir string) bool {
	for _, f := range []string{"redis.log", "redis.out"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if bytes.Contains(b, []byte("Address already in use")) {
			return true
		}
	}
	return false
}

func (m *Manager) forget(p *Process) {
	m.mu.Lock()
	delete(m.procs, p)
	m.mu.Unlock()
}

// Close kills every process still running and waits for them to exit.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	procs := make([]*Process, 0, len(m.procs))
	for p := range m.procs {
		procs = append(procs, p)
	}
	m.procs = map[*Process]struct{}{}
	m.mu.Unlock()
	for _, p := range procs {
		p.Kill()
	}
	return nil
}

// Stop ends a process and forgets it: SIGTERM, then SIGKILL after grace.
func (m *Manager) Stop(p *Process, grace time.Duration) {
	if p == nil {
		return
	}
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.Kill()
	}
	m.forget(p)
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1. Another process
// may take it before it is bound again; callers retry on ErrPortInUse.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Name is the node name given in Config.
func (p *Process) Name() string { return p.cfg.Name }

// Port is the port the node listens on (its TLS port when TLS is on).
func (p *Process) Port() int { return p.port }

// Addr is "127.0.0.1:<port>".
func (p *Process) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// PID of the redis-server process.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Config returns the configuration the process was started with.
func (p *Process) Config() Config { return p.cfg }

// TLS reports whether the node is TLS-only.
func (p *Process) TLS() bool { return p.cfg.TLS != nil }

// Exited is closed once the process has exited, for whatever reason.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Alive reports whether the process has not exited yet.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL to the process group and waits for the exit.
func (p *Process) Kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

func (p *Process) signal(sig syscall.Signal) {
	if !p.Alive() {
		return
	}
	// Negative pid: the whole group (Setpgid made the child its leader).
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = p.cmd.Process.Signal(sig)
	}
}

func (p *Process) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return fmt.Errorf("redis-server exited: %v", p.waitErr)
		}
		// Ask for the pid: on a bind race another server may be answering
		// on this port.
		info, err := p.Info(ctx, "server")
		switch {
		case err != nil:
			lastErr = err
		case info["process_id"] == strconv.Itoa(p.PID()):
			return nil
		default:
			lastErr = fmt.Errorf("port %d is served by pid %s, not %d", p.port, info["process_id"], p.PID())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("no PONG within %s: %v", timeout, lastErr)
}

// Do sends one command on a fresh connection, as the admin user when the
// node has Access, and under its new name when it is renamed. Control
// traffic is rare, so a connection per command keeps dead nodes from
// wedging anything.
func (p *Process) Do(ctx context.Context, args ...string) (any, error) {
	return p.do(ctx, true, args...)
}

// do sends one command, authenticating first when admin is set and the node
// has Access. PING and INFO, which every client may send, go without: they
// are the failure watcher's and the metrics' hot path, where an extra round
// trip under load would make a slow node look dead.
func (p *Process) do(ctx context.Context, admin bool, args ...string) (any, error) {
	c, err := dial(ctx, p.Addr(), p.clientTLS, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.close()
	a := p.cfg.Access
	if a == nil || !admin || len(args) == 0 {
		return c.do(args...)
	}
	if _, err := c.do("AUTH", a.Admin.User, a.Admin.Password); err != nil {
		return nil, fmt.Errorf("authenticate to %s as %s: %w", p.cfg.Name, a.Admin.User, err)
	}
	cmd := strings.ToUpper(args[0])
	renamed, ok := a.Renamed[cmd]
	if !ok {
		return c.do(args...)
	}
	v, err := c.do(append([]string{renamed}, args[1:]...)...)
	var re RedisError
	if errors.As(err, &re) {
		// Keep the secret name out of errors and logs.
		err = RedisError(strings.ReplaceAll(string(re), renamed, strings.ToLower(cmd)))
	}
	return v, err
}

// config is the part of redis.conf that locks the node down. Passwords of
// users are stored as SHA-256 hashes; masterauth has to be the password
// itself.
func (a *Access) config() []byte {
	var b strings.Builder
	for _, cmd := range slices.Sorted(maps.Keys(a.Renamed)) {
		fmt.Fprintf(&b, "rename-command %s %s\n", cmd, a.Renamed[cmd])
	}
	fmt.Fprintf(&b, "user default on nopass ~* &* %s\n", a.ClientRules)
	fmt.Fprintf(&b, "user %s on #%s ~* &* +@all\n", a.Admin.User, passwordHash(a.Admin.Password))
	// A replica sends PING, AUTH, REPLCONF and PSYNC (SYNC before 2.8).
	fmt.Fprintf(&b, "user %s on #%s -@all +ping +replconf +psync +sync\n", a.Replication.User, passwordHash(a.Replication.Password))
	fmt.Fprintf(&b, "masteruser %s\nmasterauth %s\n", a.Replication.User, a.Replication.Password)
	return []byte(b.String())
}

func passwordHash(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// Ping checks that the node answers PONG.
func (p *Process) Ping(ctx context.Context) error {
	v, err := p.do(ctx, false, "PING")
	if err != nil {
		return err
	}
	if v != "PONG" {
		return fmt.Errorf("PING answered %v", v)
	}
	return nil
}

// Info returns the parsed INFO reply for the given sections (all when none).
func (p *Process) Info(ctx context.Context, sections ...string) (map[string]string, error) {
	v, err := p.do(ctx, false, append([]string{"INFO"}, sections...)...)
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("INFO answered %T", v)
	}
	return ParseInfo(s), nil
}

// ConfigSet applies one configuration directive to the running node.
func (p *Process) ConfigSet(ctx context.Context, name, value string) error {
	_, err := p.Do(ctx, "CONFIG", "SET", name, value)
	if err != nil {
		return fmt.Errorf("CONFIG SET %s %q on %s: %w", name, value, p.cfg.Name, err)
	}
	return nil
}

// ConfigGet returns the value of one directive.
func (p *Process) ConfigGet(ctx context.Context, name string) (string, error) {
	v, err := p.Do(ctx, "CONFIG", "GET", name)
	if err != nil {
		return "", err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return "", fmt.Errorf("CONFIG GET %s on %s: unexpected reply %v", name, p.cfg.Name, v)
	}
	s, _ := arr[1].(string)
	return s, nil
}

// ReplicaOf makes the node replicate from addr ("127.0.0.1:port"), or
// promotes it to primary when addr is empty (REPLICAOF NO ONE).
func (p *Process) ReplicaOf(ctx context.Context, addr string) error {
	args := []string{"REPLICAOF", "NO", "ONE"}
	if addr != "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return err
		}
		args = []string{"REPLICAOF", host, port}
	}
	if _, err := p.Do(ctx, args...); err != nil {
		return fmt.Errorf("%s on %s: %w", strings.Join(args, " "), p.cfg.Name, err)
	}
	return nil
}

// ReplicationLinked reports whether a replica's link to its primary is up
// (master_link_status:up). A primary is always linked.
func (p *Process) ReplicationLinked(ctx context.Context) (bool, error) {
	info, err := p.Info(ctx, "replication")
	if err != nil {
		return false, err
	}
	if info["role"] == "master" {
		return true, nil
	}
	return info["master_link_status"] == "up", nil
}

// spawnReq carries a command to the spawner thread.
type spawnReq struct {
	cmd *exec.Cmd
	err chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

// spawn starts cmd from one OS thread that never exits. Pdeathsig fires when
// the *thread* that forked the child dies, and the Go runtime may retire
// threads; a dedicated locked thread makes the signal mean "the emulator
// died".
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for req := range spawnCh {
				req.err <- req.cmd.Start()
			}
		}()
	})
	req := spawnReq{cmd: cmd, err: make(chan error, 1)}
	spawnCh <- req
	return <-req.err
}

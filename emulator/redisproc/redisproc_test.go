package redisproc_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecprov/ecprov/emulator/redisproc"
	"github.com/ecprov/ecprov/emulator/tlsca"
)

func requireRedis(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(redisproc.DefaultBinary); err != nil {
		t.Skip("redis-server not on PATH")
	}
}

func TestPrimaryReplica(t *testing.T) {
	requireRedis(t)
	for _, tc := range []struct {
		name string
		tls  bool
	}{
		{"plain", false},
		{"tls", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			m := redisproc.NewManager(nil)
			t.Cleanup(func() { _ = m.Close() })

			var tlsFiles *redisproc.TLS
			if tc.tls {
				ca, err := tlsca.LoadOrCreate(filepath.Join(dir, "ca"))
				if err != nil {
					t.Fatal(err)
				}
				sc, err := ca.IssueServerCert("node")
				if err != nil {
					t.Fatal(err)
				}
				tlsFiles = &redisproc.TLS{CertFile: sc.CertFile, KeyFile: sc.KeyFile, CAFile: ca.CertFile()}
			}
			primary, err := m.Start(ctx, redisproc.Config{
				Name: "p", Dir: filepath.Join(dir, "p"), TLS: tlsFiles, MaxMemory: 64 << 20,
				Settings: map[string]string{"maxmemory-policy": "allkeys-lru", "notify-keyspace-events": ""},
			})
			if err != nil {
				t.Fatal(err)
			}
			replica, err := m.Start(ctx, redisproc.Config{
				Name: "r", Dir: filepath.Join(dir, "r"), TLS: tlsFiles, ReplicaOf: primary.Addr(),
			})
			if err != nil {
				t.Fatal(err)
			}
			waitLinked(t, replica)

			if got, err := primary.ConfigGet(ctx, "maxmemory-policy"); err != nil || got != "allkeys-lru" {
				t.Fatalf("maxmemory-policy = %q, %v; want allkeys-lru", got, err)
			}
			if got, err := primary.ConfigGet(ctx, "maxmemory"); err != nil || got != "67108864" {
				t.Fatalf("maxmemory = %q, %v; want 67108864", got, err)
			}
			if err := primary.ConfigSet(ctx, "timeout", "300"); err != nil {
				t.Fatal(err)
			}
			if got, _ := primary.ConfigGet(ctx, "timeout"); got != "300" {
				t.Fatalf("timeout after CONFIG SET = %q, want 300", got)
			}
			if err := primary.ConfigSet(ctx, "no-such-setting", "1"); err == nil {
				t.Fatal("CONFIG SET of an unknown setting succeeded")
			}
			info, err := primary.Info(ctx, "replication")
			if err != nil {
				t.Fatal(err)
			}
			if info["connected_slaves"] != "1" {
				t.Fatalf("connected_slaves = %q, want 1", info["connected_slaves"])
			}

			// Promote the replica after the primary dies.
			primary.Kill()
			if primary.Alive() {
				t.Fatal("primary still alive after Kill")
			}
			if err := replica.ReplicaOf(ctx, ""); err != nil {
				t.Fatal(err)
			}
			info, err = replica.Info(ctx, "replication")
			if err != nil || info["role"] != "master" {
				t.Fatalf("role after promotion = %q, %v", info["role"], err)
			}
		})
	}
}

func TestFixedPortInUse(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	m := redisproc.NewManager(nil)
	t.Cleanup(func() { _ = m.Close() })
	a, err := m.Start(ctx, redisproc.Config{Name: "a", Dir: filepath.Join(t.TempDir(), "a")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Start(ctx, redisproc.Config{Name: "b", Dir: filepath.Join(t.TempDir(), "b"), Port: a.Port(), StartTimeout: 3 * time.Second})
	if !errors.Is(err, redisproc.ErrPortInUse) {
		t.Fatalf("second start on port %d: err = %v, want ErrPortInUse", a.Port(), err)
	}
}

func TestCloseKillsAll(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	m := redisproc.NewManager(nil)
	var procs []*redisproc.Process
	for _, n := range []string{"a", "b"} {
		p, err := m.Start(ctx, redisproc.Config{Name: n, Dir: filepath.Join(t.TempDir(), n)})
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
	}
	_ = m.Close()
	for _, p := range procs {
		if p.Alive() {
			t.Fatalf("%s (pid %d) alive after Close", p.Name(), p.PID())
		}
	}
	if _, err := m.Start(ctx, redisproc.Config{Name: "c", Dir: t.TempDir()}); err == nil {
		t.Fatal("Start after Close succeeded")
	}
}

func TestParseInfo(t *testing.T) {
	got := redisproc.ParseInfo("# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=1,state=online\r\n\r\n# CPU\r\nused_cpu_sys:0.5\r\n")
	want := map[string]string{"role": "master", "connected_slaves": "1", "slave0": "ip=127.0.0.1,port=1,state=online", "used_cpu_sys": "0.5"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func waitLinked(t *testing.T, p *redisproc.Process) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ok, _ := p.ReplicationLinked(context.Background()); ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never linked to its primary", p.Name())
}

// TestAccess: with Access, clients get "unknown command" for renamed
// commands and NOPERM for what the default user's rules deny, replicas
// still link through their own user, and the Process methods, which
// authenticate as the admin, can still do everything.
func TestAccess(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	dir := t.TempDir()
	m := redisproc.NewManager(nil)
	t.Cleanup(func() { _ = m.Close() })
	access := &redisproc.Access{
		Renamed:     map[string]string{"BGSAVE": "BGSAVE_x7q2", "REPLICAOF": "REPLICAOF_x7q2"},
		ClientRules: "+@all -config|set -sync -psync -bgsave -replicaof",
		Admin:       redisproc.Credentials{User: "admin", Password: "a-secret"},
		Replication: redisproc.Credentials{User: "replication", Password: "r-secret"},
	}
	primary, err := m.Start(ctx, redisproc.Config{Name: "p", Dir: filepath.Join(dir, "p"), Access: access})
	if err != nil {
		t.Fatal(err)
	}
	replica, err := m.Start(ctx, redisproc.Config{Name: "r", Dir: filepath.Join(dir, "r"), Access: access, ReplicaOf: primary.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	waitLinked(t, replica)

	client := redis.NewClient(&redis.Options{Addr: primary.Addr(), Protocol: 2})
	defer client.Close()
	for _, tc := range []struct {
		args []any
		want string // prefix of the error; "" for success
	}{
		{[]any{"BGSAVE"}, "ERR unknown command 'BGSAVE', with args beginning with: "},
		{[]any{"replicaof", "no", "one"}, "ERR unknown command 'replicaof', with args beginning with: 'no' 'one'"},
		{[]any{"BGSAVE_x7q2"}, "NOPERM"}, // a leaked name is no way in
		{[]any{"CONFIG", "SET", "timeout", "1"}, "NOPERM"},
		{[]any{"PSYNC", "?", "-1"}, "NOPERM"},
		{[]any{"CONFIG", "GET", "timeout"}, ""},
		{[]any{"SET", "k", "v"}, ""},
	} {
		err := client.Do(ctx, tc.args...).Err()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v, want success", tc.args, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}

	if err := primary.ConfigSet(ctx, "timeout", "300"); err != nil {
		t.Fatal(err)
	}
	if _, err := primary.Do(ctx, "BGSAVE"); err != nil {
		t.Fatalf("BGSAVE as the admin: %v", err)
	}
	_, err = primary.Do(ctx, "REPLICAOF", "127.0.0.1", "not-a-port")
	if err == nil || strings.Contains(err.Error(), "x7q2") {
		t.Errorf("a failing renamed command: %v; want an error without the secret name", err)
	}
	if err := replica.ReplicaOf(ctx, ""); err != nil {
		t.Fatalf("promote as the admin: %v", err)
	}

	// The node's files are for the user alone.
	waitFile(t, filepath.Join(dir, "p", "dump.rdb"))
	for path, want := range map[string]os.FileMode{
		filepath.Join(dir, "p"):                0o700,
		filepath.Join(dir, "p", "access.conf"): 0o600,
		filepath.Join(dir, "p", "dump.rdb"):    0o600,
		filepath.Join(dir, "p", "redis.log"):   0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s never appeared", path)
}

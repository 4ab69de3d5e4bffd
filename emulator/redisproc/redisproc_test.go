package redisproc_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

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

package elasticache_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec "github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	emec2 "github.com/ecprov/ecprov/emulator/ec2"
	"github.com/ecprov/ecprov/emulator/elasticache"
)

// restrictedCases are the client commands ElastiCache's "Restricted
// commands" page lists (and the few the emulator refuses beside them, see
// restricted.go), with the error a client gets.
var restrictedCases = []struct {
	args []any
	want string // prefix of the error
}{
	{[]any{"bgrewriteaof"}, "ERR unknown command 'bgrewriteaof'"},
	{[]any{"bgsave"}, "ERR unknown command 'bgsave', with args beginning with: "},
	{[]any{"debug", "sleep", "0"}, "ERR unknown command 'debug', with args beginning with: 'sleep' '0'"},
	{[]any{"migrate", "127.0.0.1", "1", "k", "0", "1000"}, "ERR unknown command 'migrate'"},
	{[]any{"replicaof", "no", "one"}, "ERR unknown command 'replicaof', with args beginning with: 'no' 'one'"},
	{[]any{"save"}, "ERR unknown command 'save'"},
	{[]any{"slaveof", "127.0.0.1", "1"}, "ERR unknown command 'slaveof'"},
	{[]any{"shutdown"}, "ERR unknown command 'shutdown'"},
	// CONFIG GET stays readable (a documented deviation), so the rest of
	// CONFIG and SYNC are refused by ACL: redis cannot rename a subcommand,
	// and replicas send SYNC and PSYNC by name.
	{[]any{"config", "set", "timeout", "1"}, "NOPERM"},
	{[]any{"config", "rewrite"}, "NOPERM"},
	{[]any{"config", "resetstat"}, "NOPERM"},
	{[]any{"sync"}, "NOPERM"},
	{[]any{"psync", "?", "-1"}, "NOPERM"},
	{[]any{"failover"}, "NOPERM"},
	{[]any{"acl", "setuser", "default", "+@all"}, "NOPERM"},
}

// TestRestrictedCommandsAndPrivateFiles runs a real TLS group: clients get
// ElastiCache's refusals for the restricted commands, while the group still
// applies parameters, snapshots and fails over; the data, snapshot and
// certificate files are the user's alone; deleting the group and the
// snapshot removes their files, and a restart removes what a crash left.
func TestRestrictedCommandsAndPrivateFiles(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	dataDir := t.TempDir()
	e := newEnv(t, elasticache.Options{DataDir: dataDir})
	const id = "locked"
	createLockedGroup(t, e, id)
	g := e.group(t, id)
	primary := redisClient(e, g.NodeGroups[0].PrimaryEndpoint)
	defer primary.Close()

	for _, tc := range restrictedCases {
		err := primary.Do(ctx, tc.args...).Err()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v through the primary endpoint: %v; want %q", tc.args, err, tc.want)
		}
	}
	for _, args := range [][]any{{"config", "get", "timeout"}, {"acl", "whoami"}, {"info", "replication"}, {"set", "k", "v"}} {
		if err := primary.Do(ctx, args...).Err(); err != nil {
			t.Errorf("%v through the primary endpoint: %v; want it allowed", args, err)
		}
	}
	if r := roles(e.group(t, id)); r[id+"-001"] != "primary" {
		t.Fatalf("roles after the refused commands: %v", r)
	}

	// What the emulator does with those commands still works: parameters
	// (CONFIG SET), a snapshot (BGSAVE), a failover (REPLICAOF).
	if _, err := e.client.ModifyCacheParameterGroup(ctx, &ec.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String(id + "-params"),
		ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String("timeout"), ParameterValue: aws.String("450")}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := configGet(t, primary, "timeout"); got != "450" {
		t.Errorf("timeout after ModifyCacheParameterGroup = %q, want 450", got)
	}
	snapshotFile := takeSnapshot(t, e, dataDir, id, "locked-snap")
	if _, err := e.client.TestFailover(ctx, &ec.TestFailoverInput{ReplicationGroupId: aws.String(id), NodeGroupId: aws.String("0001")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "failover to "+id+"-002", func() (bool, error) {
		r := roles(e.group(t, id))
		return r[id+"-002"] == "primary" && r[id+"-001"] == "replica", nil
	})
	e.waitStatus(t, id, "available", 30*time.Second)
	waitFor(t, 10*time.Second, "a write through the primary endpoint after the failover", func() (bool, error) {
		err := primary.Set(ctx, "after", "failover", 0).Err()
		return err == nil, err
	})

	checkPrivate(t, dataDir, snapshotFile)

	// Deleting removes the files. Right after a failover the old primary is
	// still being recovered, and the group refuses deletion until then.
	waitFor(t, 30*time.Second, "DeleteReplicationGroup accepted", func() (bool, error) {
		_, err := e.client.DeleteReplicationGroup(ctx, &ec.DeleteReplicationGroupInput{ReplicationGroupId: aws.String(id)})
		return err == nil, err
	})
	waitFor(t, 30*time.Second, "group deleted", func() (bool, error) {
		_, err := e.client.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
		return err != nil, nil
	})
	for _, node := range []string{id + "-001", id + "-002"} {
		for _, path := range []string{
			filepath.Join(dataDir, "nodes", node),
			filepath.Join(dataDir, "tls", "certs", node+".pem"),
			filepath.Join(dataDir, "tls", "certs", node+"-key.pem"),
		} {
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s after DeleteReplicationGroup: %v, want it gone", path, err)
			}
		}
	}
	if _, err := e.client.DeleteSnapshot(ctx, &ec.DeleteSnapshotInput{SnapshotName: aws.String("locked-snap")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(snapshotFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s after DeleteSnapshot: %v, want it gone", snapshotFile, err)
	}
}

func createLockedGroup(t *testing.T, e *env, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.client.CreateCacheParameterGroup(ctx, &ec.CreateCacheParameterGroupInput{
		CacheParameterGroupName: aws.String(id + "-params"), CacheParameterGroupFamily: aws.String("redis7"), Description: aws.String("d"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String(id + "-subnets"), CacheSubnetGroupDescription: aws.String("d"),
		SubnetIds: []string{emec2.SubnetA1, emec2.SubnetB1},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateReplicationGroup(ctx, validRG(func(in *ec.CreateReplicationGroupInput) {
		in.ReplicationGroupId = aws.String(id)
		in.CacheSubnetGroupName = aws.String(id + "-subnets")
		in.CacheParameterGroupName = aws.String(id + "-params")
	})); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, id, "available", 30*time.Second)
}

// takeSnapshot backs the group up and returns the snapshot's file.
func takeSnapshot(t *testing.T, e *env, dataDir, id, name string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := e.client.CreateSnapshot(ctx, &ec.CreateSnapshotInput{ReplicationGroupId: aws.String(id), SnapshotName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "snapshot "+name+" available", func() (bool, error) {
		out, err := e.client.DescribeSnapshots(ctx, &ec.DescribeSnapshotsInput{SnapshotName: aws.String(name)})
		if err != nil {
			return false, err
		}
		return aws.ToString(out.Snapshots[0].SnapshotStatus) == "available", nil
	})
	e.waitStatus(t, id, "available", 30*time.Second)
	file := filepath.Join(dataDir, "snapshots", name+".rdb")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("snapshot %s: %v", name, err)
	}
	return file
}

// checkPrivate: data, snapshot and certificate files are 0600, in 0700
// folders.
func checkPrivate(t *testing.T, dataDir, snapshotFile string) {
	t.Helper()
	want := map[string]os.FileMode{
		filepath.Join(dataDir, "snapshots"):         0o700,
		snapshotFile:                                0o600,
		filepath.Join(dataDir, "nodes"):             0o700,
		filepath.Join(dataDir, "tls"):               0o700,
		filepath.Join(dataDir, "tls", "ca.pem"):     0o600,
		filepath.Join(dataDir, "tls", "ca-key.pem"): 0o600,
		filepath.Join(dataDir, "tls", "certs"):      0o700,
	}
	dumps, _ := filepath.Glob(filepath.Join(dataDir, "nodes", "*", "dump.rdb"))
	if len(dumps) == 0 {
		t.Error("no node has a dump.rdb after a snapshot")
	}
	nodeDirs, _ := filepath.Glob(filepath.Join(dataDir, "nodes", "*"))
	certs, _ := filepath.Glob(filepath.Join(dataDir, "tls", "certs", "*.pem"))
	if len(certs) != 4 {
		t.Errorf("certificate files %v, want a certificate and a key for each of 2 nodes", certs)
	}
	for _, f := range append(dumps, certs...) {
		want[f] = 0o600
	}
	for _, d := range nodeDirs {
		want[d] = 0o700
	}
	for path, mode := range want {
		fi, err := os.Stat(path)
		if err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}
}

// TestRestartRemovesWhatACrashLeft: groups and snapshots live in memory, so
// node folders, snapshot files and node certificates found at start belong
// to a run that did not end cleanly.
func TestRestartRemovesWhatACrashLeft(t *testing.T) {
	dataDir := t.TempDir()
	stale := map[string]string{
		filepath.Join(dataDir, "nodes", "gone-001", "dump.rdb"):    "data",
		filepath.Join(dataDir, "snapshots", "gone-final.rdb"):      "data",
		filepath.Join(dataDir, "tls", "certs", "gone-001.pem"):     "cert",
		filepath.Join(dataDir, "tls", "certs", "gone-001-key.pem"): "key",
	}
	for path, content := range stale {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	newEnv(t, elasticache.Options{DataDir: dataDir})
	for path := range stale {
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s after a restart: %v, want it gone", path, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "nodes", "gone-001")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale node folder after a restart: %v, want it gone", err)
	}
}

package elasticache

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ecprov/ecprov/emulator/redisproc"
)

// ElastiCache keeps some commands from its clients. Its "Restricted
// commands" page (Amazon ElastiCache User Guide,
// ClientConfig.RestrictedCommands) lists, for clusters running Redis OSS:
// bgrewriteaof, bgsave, config, debug, migrate, replicaof, save, slaveof,
// shutdown and sync. On ElastiCache a client sending one gets redis's
// "ERR unknown command", because the service renames them (a per-shard
// prefix on sync, as users who asked AWS for it report in
// tair-opensource/RedisShake#373).
//
// The emulator does the same with rename-command: renamedCommands exist on
// the nodes only under names derived from a random per-run secret, so a
// client gets the same "ERR unknown command 'bgsave', with args beginning
// with: " as on ElastiCache. Two of the page's commands cannot be renamed:
//   - CONFIG, because the emulator keeps CONFIG GET readable, a documented
//     deviation, so that tests and users can see the parameter group
//     applied on the servers; redis renames whole commands only, so CONFIG
//     SET, CONFIG REWRITE and CONFIG RESETSTAT are refused by ACL instead,
//     with redis's "NOPERM" error;
//   - SYNC, because a stock redis replica sends the literal SYNC or PSYNC to
//     its primary; both are refused by ACL (NOPERM) to clients.
//
// The emulator's own access is a separate ACL user, not the secret names:
// its control connections authenticate as an admin user (+@all) whose
// password exists only in this process (the nodes' configuration holds a
// SHA-256 hash of it), and replicas authenticate as a replication user
// that may run only what a replica sends. The default user, which clients
// use, is denied the renamed commands too, so a secret name that leaks (in
// SLOWLOG, say) is no way in. A separate user rather than the renamed
// names alone, because only ACL can refuse CONFIG SET while allowing
// CONFIG GET, and because ACL write commands must be closed anyway: a
// client that could ACL SETUSER could undo every rule.
var renamedCommands = []string{"BGREWRITEAOF", "BGSAVE", "DEBUG", "MIGRATE", "REPLICAOF", "SAVE", "SHUTDOWN", "SLAVEOF"}

// clientDenied is what the default user may not run, on top of the renamed
// commands:
//   - config|set, config|rewrite, config|resetstat and sync, from the page;
//   - psync, the modern sync: ElastiCache answers "ERR unknown command
//     'PSYNC'" (Redis OSS 7.1, tair-opensource/RedisShake#974);
//   - failover, which, like replicaof, makes the primary a replica behind
//     ElastiCache's back (not on the page: the emulator's judgement);
//   - every ACL subcommand but the read-only ones ElastiCache supports, as
//     its "Role-Based Access Control (RBAC)" page puts it: ACL LIST, ACL
//     WHOAMI, ACL USERS and ACL CAT, and no write-based ACL command.
//
// MODULE LOAD is already refused by redis 7 (enable-module-command no), and
// CLUSTER by cluster mode being off. MONITOR is not on the page, so clients
// keep it.
var clientDenied = []string{
	"-config|set", "-config|rewrite", "-config|resetstat", "-sync", "-psync", "-failover",
	"-acl", "+acl|list", "+acl|whoami", "+acl|users", "+acl|cat",
}

// ACL users of the emulator on every node.
const (
	adminUser       = "ecprov-admin"
	replicationUser = "ecprov-replication"
)

// newAccess derives the nodes' lock-down from a fresh random secret: the
// new names of the restricted commands and the passwords of the emulator's
// users. Nodes live no longer than the Service, so per run is per data dir.
func newAccess() (*redisproc.Access, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("elasticache: secret for the nodes' users: %w", err)
	}
	derive := func(purpose string) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(purpose))
		return hex.EncodeToString(m.Sum(nil))
	}
	suffix := derive("rename")[:24]
	a := &redisproc.Access{
		Renamed:     map[string]string{},
		Admin:       redisproc.Credentials{User: adminUser, Password: derive("admin")},
		Replication: redisproc.Credentials{User: replicationUser, Password: derive("replication")},
	}
	rules := []string{"+@all"}
	for _, cmd := range renamedCommands {
		a.Renamed[cmd] = cmd + "_" + suffix
		rules = append(rules, "-"+strings.ToLower(cmd))
	}
	a.ClientRules = strings.Join(append(rules, clientDenied...), " ")
	return a, nil
}

// AdminCommand runs one command on a running cache node with the
// emulator's own access, restricted commands included, for tests that need
// what clients may not do (CONFIG SET maxmemory to fill a cache quickly).
func (s *Service) AdminCommand(ctx context.Context, cacheClusterID string, args ...string) (any, error) {
	s.mu.Lock()
	var proc *redisproc.Process
	for _, g := range s.groups {
		if n := g.node(lower(cacheClusterID)); n != nil && n.alive() {
			proc = n.proc
		}
	}
	s.mu.Unlock()
	if proc == nil {
		return nil, fmt.Errorf("elasticache: no running node %s", cacheClusterID)
	}
	return proc.Do(ctx, args...)
}

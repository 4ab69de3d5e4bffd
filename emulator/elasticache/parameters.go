package elasticache

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The one parameter group family the emulator runs (redis-server 7.0).
const (
	familyRedis7         = "redis7"
	defaultParamGroup    = "default.redis7"
	changeImmediate      = "immediate"
	changeRequiresReboot = "requires-reboot"
)

// paramDef is one parameter of the redis7 family as DescribeCacheParameters
// reports it, plus how the emulator applies it to a redis-server.
type paramDef struct {
	name        string
	value       string // the family default
	dataType    string // "string" or "integer"
	allowed     string // AWS notation: "yes,no", "0-", "1-75", "0,20-"
	modifiable  bool
	changeType  string
	description string
	minEngine   string
	// directive is the redis configuration directive that carries the
	// value; "" for ElastiCache-only settings the emulator only records.
	directive string
}

var redis7Params = func() []paramDef {
	yesNo := "yes,no"
	p := func(name, value, dataType, allowed, description string) paramDef {
		return paramDef{name: name, value: value, dataType: dataType, allowed: allowed, modifiable: true,
			changeType: changeImmediate, description: description, minEngine: "7.0.0", directive: name}
	}
	fixed := func(d paramDef) paramDef { d.modifiable = false; return d }
	awsOnly := func(d paramDef) paramDef { d.directive = ""; return d }
	reboot := func(d paramDef) paramDef { d.changeType = changeRequiresReboot; return d }
	defs := []paramDef{
		p("acl-pubsub-default", "allchannels", "string", "resetchannels,allchannels", "The default pubsub channel permissions for ACL users."),
		p("acllog-max-len", "128", "integer", "1-10000", "The maximum number of entries in the ACL log."),
		p("active-defrag-cycle-max", "75", "integer", "1-75", "Maximal effort for defrag in CPU percentage."),
		p("active-defrag-cycle-min", "5", "integer", "1-75", "Minimal effort for defrag in CPU percentage."),
		p("active-defrag-ignore-bytes", "104857600", "integer", "1048576-", "Minimum amount of fragmentation waste to start active defrag."),
		p("active-defrag-max-scan-fields", "1000", "integer", "1-1000000", "Maximum number of set/hash/zset/list fields that will be processed from the main dictionary scan."),
		p("active-defrag-threshold-lower", "10", "integer", "1-100", "Minimum percentage of fragmentation to start active defrag."),
		p("active-defrag-threshold-upper", "100", "integer", "1-100", "Maximum percentage of fragmentation at which we use maximum effort."),
		p("active-expire-effort", "1", "integer", "1-10", "The amount of effort that redis uses to expire items in the active expiration job."),
		p("activedefrag", "no", "string", yesNo, "Enabled active memory defragmentation."),
		p("activerehashing", "yes", "string", yesNo, "Apply rehashing or not."),
		p("appendfsync", "everysec", "string", "always,everysec,no", "fsync policy for AOF persistence."),
		fixed(awsOnly(p("appendonly", "no", "string", yesNo, "Enable Redis persistence."))),
		awsOnly(p("client-output-buffer-limit-normal-hard-limit", "0", "integer", "0-", "Normal client output buffer hard limit in bytes.")),
		awsOnly(p("client-output-buffer-limit-normal-soft-limit", "0", "integer", "0-", "Normal client output buffer soft limit in bytes.")),
		awsOnly(p("client-output-buffer-limit-normal-soft-seconds", "0", "integer", "0-", "Normal client output buffer soft limit in seconds.")),
		awsOnly(p("client-output-buffer-limit-pubsub-hard-limit", "33554432", "integer", "0-", "Pubsub client output buffer hard limit in bytes.")),
		awsOnly(p("client-output-buffer-limit-pubsub-soft-limit", "8388608", "integer", "0-", "Pubsub client output buffer soft limit in bytes.")),
		awsOnly(p("client-output-buffer-limit-pubsub-soft-seconds", "60", "integer", "0-", "Pubsub client output buffer soft limit in seconds.")),
		fixed(awsOnly(p("client-output-buffer-limit-replica-soft-seconds", "60", "integer", "0-60", "Replica client output buffer soft limit in seconds."))),
		awsOnly(p("close-on-replica-write", "yes", "string", yesNo, "If enabled, clients who attempt to write to a read-only replica will be disconnected.")),
		fixed(awsOnly(p("cluster-enabled", "no", "string", yesNo, "Enable cluster mode."))),
		reboot(p("databases", "16", "integer", "1-1200000", "Set the number of databases.")),
		p("hash-max-listpack-entries", "128", "integer", "0-", "The maximum number of hash entries in order for the dataset to be compressed."),
		p("hash-max-listpack-value", "64", "integer", "0-", "The threshold of biggest hash entries in order for the dataset to be compressed."),
		p("hll-sparse-max-bytes", "3000", "integer", "0-16000", "HyperLogLog sparse representation bytes limit."),
		p("lazyfree-lazy-eviction", "no", "string", yesNo, "Perform an asynchronous delete on evictions."),
		p("lazyfree-lazy-expire", "no", "string", yesNo, "Perform an asynchronous delete on expired keys."),
		p("lazyfree-lazy-server-del", "no", "string", yesNo, "Perform an asynchronous delete for commands which update values."),
		p("lazyfree-lazy-user-del", "no", "string", yesNo, "Make DEL act like UNLINK."),
		p("lazyfree-lazy-user-flush", "no", "string", yesNo, "Perform an asynchronous flushdb/flushall when no flag is given."),
		p("latency-tracking", "yes", "string", yesNo, "Enable extended latency monitoring."),
		p("lfu-decay-time", "1", "integer", "0-", "The amount of time in minutes to decrement the key counter for LFU eviction policy."),
		p("lfu-log-factor", "10", "integer", "0-", "The log factor for incrementing key counter for LFU eviction policy."),
		p("list-compress-depth", "0", "integer", "0-", "Number of quicklist ziplist nodes from each side of the list to exclude from compression."),
		p("list-max-listpack-size", "-2", "integer", "-5-", "The number of entries allowed per internal list node (negative values select a size in KB)."),
		fixed(awsOnly(p("lua-time-limit", "5000", "integer", "5000", "Max execution time of a Lua script in milliseconds."))),
		fixed(awsOnly(p("maxclients", "65000", "integer", "1-65000", "The maximum number of Redis clients."))),
		p("maxmemory-policy", "volatile-lru", "string", "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction", "Max memory policy."),
		p("maxmemory-samples", "3", "integer", "1-", "Max memory samples."),
		p("min-replicas-max-lag", "10", "integer", "0-", "The maximum amount of replica lag in seconds beyond which the master would stop taking writes."),
		p("min-replicas-to-write", "0", "integer", "0-", "The minimum number of replicas that must be present with lag no greater than min-replicas-max-lag."),
		p("notify-keyspace-events", "", "string", "", "The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled."),
		p("proto-max-bulk-len", "536870912", "integer", "1048576-536870912", "Max size of a single element request."),
		p("repl-backlog-size", "1048576", "integer", "16384-", "The replication backlog size in bytes for PSYNC."),
		p("repl-backlog-ttl", "3600", "integer", "0-", "The amount of time in seconds after the master no longer have any replicas connected for the master to free the replication backlog."),
		awsOnly(p("reserved-memory-percent", "25", "integer", "0-100", "The percent of memory reserved for non-cache memory usage.")),
		p("set-max-intset-entries", "512", "integer", "0-", "The limit in the size of the set in order for the dataset to be compressed."),
		p("slowlog-log-slower-than", "10000", "integer", "-", "The execution time, in microseconds, to exceed in order for the command to get logged."),
		p("slowlog-max-len", "128", "integer", "0-", "The length of the slow log."),
		p("stream-node-max-bytes", "4096", "integer", "0-", "The maximum size of a single node in a stream in bytes."),
		p("stream-node-max-entries", "100", "integer", "0-", "The maximum number of items a single node in a stream can contain."),
		p("tcp-keepalive", "300", "integer", "0-", "If non-zero, send ACKs every given number of seconds."),
		p("timeout", "0", "integer", "0,20-", "Close connection if client is idle for a given number of seconds, or never if 0."),
		p("zset-max-listpack-entries", "128", "integer", "0-", "The maximum number of sorted set entries in order for the dataset to be compressed."),
		p("zset-max-listpack-value", "64", "integer", "0-", "The threshold of biggest sorted set entries in order for the dataset to be compressed."),
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].name < defs[j].name })
	return defs
}()

func lookupParam(name string) (paramDef, bool) {
	i := sort.Search(len(redis7Params), func(i int) bool { return redis7Params[i].name >= name })
	if i < len(redis7Params) && redis7Params[i].name == name {
		return redis7Params[i], true
	}
	return paramDef{}, false
}

// keyspaceEventClasses are the flags redis 7.0 accepts in notify-keyspace-events.
const keyspaceEventClasses = "KEg$lshzxetmdnA"

// validate checks value against the parameter's data type and allowed values.
func (d paramDef) validate(value string) error {
	if !d.modifiable {
		return invalidValue("Parameter %s is not modifiable; its value is fixed at %q.", d.name, d.value)
	}
	if d.name == "notify-keyspace-events" {
		for _, c := range value {
			if !strings.ContainsRune(keyspaceEventClasses, c) {
				return invalidValue("Invalid value %q for parameter notify-keyspace-events: %q is not an event class; use characters from %s (for example \"Ex\").", value, c, keyspaceEventClasses)
			}
		}
		return nil
	}
	if d.dataType == "integer" {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return invalidValue("Invalid value %q for parameter %s: it must be an integer in %s.", value, d.name, d.allowed)
		}
		if !intAllowed(n, d.allowed) {
			return invalidValue("Invalid value %q for parameter %s: allowed values are %s.", value, d.name, d.allowed)
		}
		return nil
	}
	if d.allowed == "" {
		return nil
	}
	for _, a := range strings.Split(d.allowed, ",") {
		if value == a {
			return nil
		}
	}
	return invalidValue("Invalid value %q for parameter %s: allowed values are %s.", value, d.name, d.allowed)
}

// intAllowed reads AWS's range notation: comma-separated items, each a
// number ("0"), a closed range ("1-75"), an open range ("20-"), or "-" for
// any integer. Negative lower bounds look like "-5-".
func intAllowed(n int64, allowed string) bool {
	if allowed == "" || allowed == "-" {
		return true
	}
	for _, item := range strings.Split(allowed, ",") {
		lo, hi, isRange := splitRange(item)
		if !isRange {
			if v, err := strconv.ParseInt(item, 10, 64); err == nil && v == n {
				return true
			}
			continue
		}
		if lo != nil && n < *lo {
			continue
		}
		if hi != nil && n > *hi {
			continue
		}
		return true
	}
	return false
}

func splitRange(item string) (lo, hi *int64, isRange bool) {
	// Find the separating dash: the first '-' that is not a leading sign.
	start := 0
	if strings.HasPrefix(item, "-") {
		start = 1
	}
	i := strings.Index(item[start:], "-")
	if i < 0 {
		return nil, nil, false
	}
	i += start
	if a := item[:i]; a != "" {
		if v, err := strconv.ParseInt(a, 10, 64); err == nil {
			lo = &v
		}
	}
	if b := item[i+1:]; b != "" {
		if v, err := strconv.ParseInt(b, 10, 64); err == nil {
			hi = &v
		}
	}
	return lo, hi, true
}

// directives turns effective parameter values into redis configuration
// directives. ElastiCache-only parameters are left out, except the client
// output buffer limits, which redis takes as one combined directive.
func directives(values map[string]string, changeType string) map[string]string {
	out := map[string]string{}
	for _, d := range redis7Params {
		if d.directive == "" || (changeType != "" && d.changeType != changeType) {
			continue
		}
		out[d.directive] = values[d.name]
	}
	if changeType == "" || changeType == changeImmediate {
		g := func(n string) string { return values["client-output-buffer-limit-"+n] }
		out["client-output-buffer-limit"] = fmt.Sprintf("normal %s %s %s pubsub %s %s %s",
			g("normal-hard-limit"), g("normal-soft-limit"), g("normal-soft-seconds"),
			g("pubsub-hard-limit"), g("pubsub-soft-limit"), g("pubsub-soft-seconds"))
	}
	return out
}

// defaultValues returns the family defaults.
func defaultValues() map[string]string {
	out := make(map[string]string, len(redis7Params))
	for _, d := range redis7Params {
		out[d.name] = d.value
	}
	return out
}

// familyForEngine maps an engine version to its parameter group family.
func familyForEngine(version string) string {
	major, _, _ := strings.Cut(version, ".")
	switch major {
	case "7":
		return familyRedis7
	case "6":
		return "redis6.x"
	case "5":
		return "redis5.0"
	}
	return "redis" + version
}

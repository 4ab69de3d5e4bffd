package elasticache

import (
	"sort"
)

const gib = 1 << 30

// gibs converts a size in GiB (as AWS publishes it) to bytes.
func gibs(n float64) int64 { return int64(n * gib) }

// nodeTypeMemory is the maxmemory ElastiCache gives each node type (its
// "maxmemory" cache-node-type-specific parameter, in bytes). The local
// redis-server gets the same cap, so eviction starts where it would on AWS.
var nodeTypeMemory = map[string]int64{
	"cache.t3.micro":   gib / 2,
	"cache.t3.small":   gibs(1.37),
	"cache.t3.medium":  gibs(3.09),
	"cache.t4g.micro":  gib / 2,
	"cache.t4g.small":  gibs(1.37),
	"cache.t4g.medium": gibs(3.09),
	"cache.m6g.large":  gibs(6.38),
	"cache.m6g.xlarge": gibs(12.93),
	"cache.m7g.large":  gibs(6.38),
	"cache.m7g.xlarge": gibs(12.93),
	"cache.r6g.large":  gibs(13.07),
	"cache.r6g.xlarge": gibs(26.32),
	"cache.r7g.large":  gibs(13.07),
	"cache.r7g.xlarge": gibs(26.32),
}

func knownNodeTypes() []string {
	out := make([]string, 0, len(nodeTypeMemory))
	for t := range nodeTypeMemory {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

package cloudwatch

import (
	"context"
	"time"
)

// The ElastiCache metrics derived from node figures, as AWS names them.
const (
	elastiCacheNamespace = "AWS/ElastiCache"
	cacheClusterIDDim    = "CacheClusterId"

	metricCPUUtilization      = "CPUUtilization"
	metricMemoryUsagePercent  = "DatabaseMemoryUsagePercentage"
	metricEvictions           = "Evictions"
	metricBytesUsedForCache   = "BytesUsedForCache"
	unitPercent, unitCount    = "Percent", "Count"
	unitBytes                 = "Bytes"
	maxPercent                = 100.0
	minimumWallClockForSample = time.Millisecond
)

// nodeSample is what the last collection saw of a node; counters are
// turned into per-interval figures against it.
type nodeSample struct {
	at         time.Time
	cpuSeconds float64
	evicted    int64
}

// collect polls the node source once and records one datapoint per metric
// and node. A node seen for the first time is a new redis-server, so its
// eviction counter counts from zero; CPUUtilization needs two samples.
func (svc *Service) collect(ctx context.Context) {
	if svc.source == nil {
		return
	}
	stats := svc.source.NodeStats(ctx)
	now := svc.now()

	svc.mu.Lock()
	defer svc.mu.Unlock()
	reported := make(map[string]bool, len(stats))
	for _, st := range stats {
		reported[st.CacheClusterID] = true
		dims := []Dimension{{Name: cacheClusterIDDim, Value: st.CacheClusterID}}
		record := func(name string, v float64, unit string) {
			svc.metrics.add(elastiCacheNamespace, name, dims, sample{at: now, count: 1, sum: v, min: v, max: v, unit: unit})
		}

		if st.MaxMemory > 0 {
			record(metricMemoryUsagePercent, float64(st.UsedMemory)/float64(st.MaxMemory)*100, unitPercent)
		}
		record(metricBytesUsedForCache, float64(st.UsedMemory), unitBytes)

		prev, seen := svc.lastNodes[st.CacheClusterID]
		svc.lastNodes[st.CacheClusterID] = nodeSample{at: now, cpuSeconds: st.CPUSeconds, evicted: st.EvictedKeys}
		// A counter that went down means the process restarted (e.g. after
		// a failover); what it counts now all happened since.
		evicted := st.EvictedKeys - prev.evicted
		if evicted < 0 {
			evicted = st.EvictedKeys
		}
		record(metricEvictions, float64(evicted), unitCount)

		wall := now.Sub(prev.at)
		if !seen || wall < minimumWallClockForSample {
			continue
		}
		cpu := st.CPUSeconds - prev.cpuSeconds
		if cpu < 0 {
			cpu = st.CPUSeconds
		}
		record(metricCPUUtilization, min(maxPercent, cpu/wall.Seconds()*100), unitPercent)
	}
	for id := range svc.lastNodes {
		if !reported[id] {
			delete(svc.lastNodes, id)
		}
	}
}

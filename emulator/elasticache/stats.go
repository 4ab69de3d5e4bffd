package elasticache

import (
	"context"
	"strconv"
	"time"

	"github.com/ecprov/ecprov/emulator/nodestats"
	"github.com/ecprov/ecprov/emulator/redisproc"
)

var _ nodestats.Source = (*Service)(nil)

// NodeStats reads INFO from every running node, for the CloudWatch
// emulator's CPUUtilization, DatabaseMemoryUsagePercentage and Evictions.
// Nodes that do not answer are left out.
func (s *Service) NodeStats(ctx context.Context) []nodestats.Stat {
	s.mu.Lock()
	var procs []*redisproc.Process
	for _, id := range sortedKeys(s.groups) {
		for _, n := range s.groups[id].nodes {
			if n.alive() {
				procs = append(procs, n.proc)
			}
		}
	}
	s.mu.Unlock()
	var out []nodestats.Stat
	for _, p := range procs {
		ictx, cancel := context.WithTimeout(ctx, time.Second)
		info, err := p.Info(ictx, "cpu", "memory", "stats")
		cancel()
		if err != nil {
			continue
		}
		f := func(k string) float64 { v, _ := strconv.ParseFloat(info[k], 64); return v }
		i := func(k string) int64 { v, _ := strconv.ParseInt(info[k], 10, 64); return v }
		out = append(out, nodestats.Stat{
			CacheClusterID: p.Name(),
			CPUSeconds:     f("used_cpu_sys") + f("used_cpu_user"),
			UsedMemory:     i("used_memory"),
			MaxMemory:      i("maxmemory"),
			EvictedKeys:    i("evicted_keys"),
		})
	}
	return out
}

// Package nodestats is the small contract between services that run cache
// nodes (ElastiCache) and the CloudWatch emulator that turns their figures
// into metrics.
package nodestats

import "context"

// Stat is one cache node's figures at the time of the call.
type Stat struct {
	CacheClusterID string
	// CPUSeconds is used_cpu_sys + used_cpu_user, cumulative since the
	// process started; the consumer derives a percentage from two samples.
	CPUSeconds  float64
	UsedMemory  int64
	MaxMemory   int64
	EvictedKeys int64
}

// Source reports the current figures of every running node.
type Source interface {
	NodeStats(ctx context.Context) []Stat
}

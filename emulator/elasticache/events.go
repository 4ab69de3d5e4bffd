package elasticache

import (
	"context"
	"time"

	"github.com/ecprov/ecprov/emulator/protocol/query"
)

var sourceTypes = map[string]bool{
	"cache-cluster": true, "cache-parameter-group": true, "cache-security-group": true, "cache-subnet-group": true,
	"replication-group": true, "serverless-cache": true, "serverless-cache-snapshot": true, "user": true, "user-group": true,
}

// describeEvents returns events newest first. Without StartTime/EndTime it
// covers the last Duration minutes (default 60), as ElastiCache does; events
// are kept 14 days at most.
func (s *Service) describeEvents(ctx context.Context, p query.Params) (any, error) {
	sourceType, sourceID := p.String("SourceType"), p.String("SourceIdentifier")
	if sourceType != "" && !sourceTypes[sourceType] {
		return nil, invalidValue("Invalid SourceType %q; use one of cache-cluster, cache-parameter-group, cache-subnet-group, replication-group.", sourceType)
	}
	startP, err := p.Time("StartTime")
	if err != nil {
		return nil, err
	}
	endP, err := p.Time("EndTime")
	if err != nil {
		return nil, err
	}
	duration, err := p.Int("Duration")
	if err != nil {
		return nil, err
	}
	if duration != nil && (*duration < 0 || *duration > 14*24*60) {
		return nil, invalidValue("Duration %d is out of range; events are kept for 0 to 20160 minutes (14 days).", *duration)
	}
	now := time.Now().UTC()
	end := now
	if endP != nil {
		end = *endP
	}
	var start time.Time
	switch {
	case startP != nil:
		start = *startP
	case duration != nil:
		start = end.Add(-time.Duration(*duration) * time.Minute)
	default:
		start = end.Add(-time.Hour)
	}
	s.mu.Lock()
	var list []event
	for i := len(s.events) - 1; i >= 0; i-- {
		e := s.events[i]
		if e.date.Before(start) || e.date.After(end) {
			continue
		}
		if sourceType != "" && e.sourceType != sourceType {
			continue
		}
		if sourceID != "" && e.sourceID != lower(sourceID) && e.sourceID != sourceID {
			continue
		}
		list = append(list, e)
	}
	s.mu.Unlock()
	from, to, next, err := page(p, len(list))
	if err != nil {
		return nil, err
	}
	out := describeEventsResult{Marker: next, Events: []wireEvent{}}
	for _, e := range list[from:to] {
		out.Events = append(out.Events, wireEvent{Date: query.Timestamp(e.date), Message: e.message, SourceIdentifier: e.sourceID, SourceType: e.sourceType})
	}
	return out, nil
}

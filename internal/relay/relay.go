// Package relay is failoverrelay: ElastiCache publishes its notices
// (ElastiCache:FailoverComplete and friends) to the group's SNS topic only,
// never to EventBridge, so this function turns each SNS notice into an event
// on the project's bus, where a rule starts the reconcile state machine.
package relay

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ecprov/ecprov/internal/eventbus"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
)

// Detail is the relayed event's detail (docs/events.md).
type Detail struct {
	// Event is the notice name, e.g. "ElastiCache:FailoverComplete".
	Event string `json:"event"`
	// SourceID is what the notice names: a cache cluster or a group.
	SourceID           string `json:"sourceId"`
	ReplicationGroupID string `json:"replicationGroupId"`
	TopicARN           string `json:"topicArn"`
	Time               string `json:"time"`
	MessageID          string `json:"messageId"`
}

// memberSuffix is the "-001" ElastiCache appends to a group's member ids.
var memberSuffix = regexp.MustCompile(`-[0-9]{3}$`)

// Notices parses one SNS message. ElastiCache sends a JSON object mapping
// each notice name to the id it concerns, e.g.
// {"ElastiCache:FailoverComplete":"audio-pipeline-dev-002"}, sometimes with
// "Replication Group ID" and "Cache Cluster ID" beside it.
func Notices(rec events.SNSEntity) ([]Detail, error) {
	var m map[string]string
	if err := json.Unmarshal([]byte(rec.Message), &m); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []Detail
	for _, name := range names {
		if !strings.HasPrefix(name, "ElastiCache:") {
			continue
		}
		id := m[name]
		group := m["Replication Group ID"]
		if group == "" {
			group = memberSuffix.ReplaceAllString(id, "")
		}
		out = append(out, Detail{
			Event: name, SourceID: id, ReplicationGroupID: group,
			TopicARN: rec.TopicArn, Time: rec.Timestamp.UTC().Format("2006-01-02T15:04:05Z"), MessageID: rec.MessageID,
		})
	}
	return out, nil
}

// Output counts what was relayed.
type Output struct {
	Relayed int      `json:"relayed"`
	Skipped int      `json:"skipped"`
	Events  []string `json:"events"`
}

// Handler runs failoverrelay.
type Handler struct {
	Bus    string
	Events eventbus.API
	Log    *slog.Logger
}

// Handle relays every ElastiCache notice in the SNS event. A message that is
// not an ElastiCache notice (a subscription test, say) is skipped, not failed:
// a failing SNS delivery would only be retried with the same message.
func (r *Handler) Handle(ctx context.Context, in events.SNSEvent) (Output, error) {
	log := logging.For(ctx, r.Log)
	out := Output{Events: []string{}}
	var entries []eventbus.Entry
	for _, rec := range in.Records {
		notices, err := Notices(rec.SNS)
		if err != nil || len(notices) == 0 {
			out.Skipped++
			log.Warn("SNS message is not an ElastiCache notice; skipped", "message_id", rec.SNS.MessageID, "topic_arn", rec.SNS.TopicArn)
			continue
		}
		for _, n := range notices {
			entries = append(entries, eventbus.Entry{Source: eventbus.NoticeSource, DetailType: eventbus.Notice, Detail: n, Resources: []string{rec.SNS.TopicArn}})
			out.Events = append(out.Events, n.Event+" "+n.SourceID)
		}
	}
	for start := 0; start < len(entries); start += 10 { // PutEvents takes at most 10
		if _, err := eventbus.Put(ctx, r.Events, r.Bus, entries[start:min(start+10, len(entries))]...); err != nil {
			return out, err
		}
	}
	out.Relayed = len(entries)
	if out.Relayed > 0 {
		log.Info("notices relayed", "bus", r.Bus, "events", out.Events)
	}
	if out.Relayed == 0 && out.Skipped == 0 {
		return out, failure.New(failure.InvalidInput, "failoverrelay: the event has no SNS records")
	}
	return out, nil
}

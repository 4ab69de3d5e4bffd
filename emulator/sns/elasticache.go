package sns

import "encoding/json"

// ElastiCacheMessage builds the message ElastiCache publishes to a
// replication group's notification topic for an event such as
// "ElastiCache:FailoverComplete".
//
// The table of "Event Notifications and Amazon SNS" (ElastiCache user
// guide) writes these notices as "ElastiCache:FailoverComplete :
// mycluster", but the SNS Message that subscribers receive is a JSON
// object keyed by the event name, whose value is the source, plus the
// ids of the group and the node involved, for example
//
//	{"ElastiCache:FailoverComplete": "audio-pipeline-dev",
//	 "Replication Group ID": "audio-pipeline-dev",
//	 "Cache Cluster ID": "audio-pipeline-dev-002"}
//
// (as seen in handlers written against real notices). The value of the
// event key is the replication group id when there is one, else the
// cache cluster id; empty ids are left out.
func ElastiCacheMessage(event, replicationGroupID, cacheClusterID string) string {
	m := map[string]string{event: replicationGroupID}
	if replicationGroupID == "" {
		m[event] = cacheClusterID
	} else {
		m["Replication Group ID"] = replicationGroupID
	}
	if cacheClusterID != "" {
		m["Cache Cluster ID"] = cacheClusterID
	}
	b, _ := json.Marshal(m)
	return string(b)
}

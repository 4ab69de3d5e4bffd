package orchestration

// Topic is an SNS topic ecprov deploys: who receives what is published to
// it, and who may publish.
type Topic struct {
	DisplayName string
	// Subscribers are Functions subscribed with protocol lambda.
	Subscribers []string
	// Policy is the topic's access policy (Env.ExpandAll fills it);
	// TopicARN is the topic itself.
	Policy []Statement
}

// NoticeTopic is where ElastiCache publishes the notices
// (ElastiCache:FailoverComplete, ...) of the groups whose profile names it
// (notificationTopicArn); failoverrelay puts them on the project's bus.
var NoticeTopic = Topic{
	DisplayName: "ecprov ElastiCache notices",
	Subscribers: []string{"failoverrelay"},
	Policy: []Statement{{
		// ElastiCache's documented condition for its publisher is
		// aws:SourceOwner (the account that owns the replication group),
		// not aws:SourceAccount/aws:SourceArn.
		Sid:        "ElastiCacheNotices",
		Principal:  Principal{Service: "elasticache.amazonaws.com"},
		Actions:    []string{"sns:Publish"},
		Resources:  []string{TopicARN},
		Conditions: map[string]map[string]string{"StringEquals": {"aws:SourceOwner": AccountID}},
	}},
}

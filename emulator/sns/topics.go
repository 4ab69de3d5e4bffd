package sns

import (
	"context"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/ecprov/ecprov/emulator/protocol/query"
)

type topic struct {
	name, arn string
	fifo      bool
	// attrs holds the attributes set by CreateTopic or SetTopicAttributes;
	// GetTopicAttributes adds the computed ones.
	attrs   map[string]string
	tags    map[string]string
	created time.Time
	seq     int64 // last FIFO sequence number
}

var (
	topicNameRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	fifoTopicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}\.fifo$`)
	feedbackAttrRE  = regexp.MustCompile(`^(Application|HTTP|Lambda|SQS|Firehose)(SuccessFeedbackRoleArn|SuccessFeedbackSampleRate|FailureFeedbackRoleArn)$`)
)

// settableTopicAttributes are the attributes CreateTopic and
// SetTopicAttributes take (FifoTopic only at creation).
var settableTopicAttributes = map[string]bool{
	"DeliveryPolicy": true, "DisplayName": true, "Policy": true, "KmsMasterKeyId": true,
	"SignatureVersion": true, "TracingConfig": true, "ContentBasedDeduplication": true,
	"ArchivePolicy": true, "FifoThroughputScope": true, "DataProtectionPolicy": true,
}

// effectiveDeliveryPolicy is the EffectiveDeliveryPolicy AWS reports for
// a topic without a DeliveryPolicy.
const effectiveDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

// defaultPolicy is the access policy of a new topic. It uses
// AWS:SourceAccount: "Newly created Amazon SNS topics default to
// aws:SourceAccount in their access policy, which ElastiCache does not
// support for event notifications" ("Managing ElastiCache Amazon SNS
// notifications"), so a topic meant for ElastiCache needs its policy set.
func (svc *Service) defaultPolicy(arn string) string {
	p := map[string]any{
		"Version": "2008-10-17",
		"Id":      "__default_policy_ID",
		"Statement": []any{map[string]any{
			"Sid":       "__default_statement_ID",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action": []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
				"SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
			"Resource":  arn,
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceAccount": svc.opts.AccountID}},
		}},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func (svc *Service) topicARN(name string) string {
	return "arn:aws:sns:" + svc.opts.Region + ":" + svc.opts.AccountID + ":" + name
}

// checkTopicAttribute validates one attribute for CreateTopic or
// SetTopicAttributes.
func checkTopicAttribute(name, value string, creating bool) error {
	if !settableTopicAttributes[name] && !feedbackAttrRE.MatchString(name) && !(creating && name == "FifoTopic") {
		return invalidParameter("Invalid parameter: AttributeName")
	}
	switch name {
	case "Policy", "DeliveryPolicy", "ArchivePolicy", "DataProtectionPolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return invalidParameter("Invalid parameter: %s Error: the value is not valid JSON", name)
		}
	case "FifoTopic", "ContentBasedDeduplication":
		if value != "true" && value != "false" {
			return invalidParameter("Invalid parameter: %s: Invalid value [%s]. Must be true or false.", name, value)
		}
	}
	return nil
}

func (svc *Service) createTopic(ctx context.Context, p query.Params) (any, error) {
	name := p.String("Name")
	attrs := mapParam(p, "Attributes")
	if dp := p.String("DataProtectionPolicy"); dp != "" {
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs["DataProtectionPolicy"] = dp
	}
	tags, err := tagsParam(p, "Tags")
	if err != nil {
		return nil, err
	}
	fifo := attrs["FifoTopic"] == "true"
	if (fifo && !fifoTopicNameRE.MatchString(name)) || (!fifo && !topicNameRE.MatchString(name)) {
		return nil, invalidParameter("Invalid parameter: Topic Name")
	}
	for k, v := range attrs {
		if err := checkTopicAttribute(k, v, true); err != nil {
			return nil, err
		}
	}
	if !fifo {
		delete(attrs, "FifoTopic")
	}

	arn := svc.topicARN(name)
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if t, ok := svc.topics[arn]; ok {
		// CreateTopic is idempotent for the same attributes and tags.
		for k, v := range attrs {
			if t.attrs[k] != v {
				return nil, invalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
			}
		}
		for k, v := range tags {
			if cur, ok := t.tags[k]; !ok || cur != v {
				return nil, invalidParameter("Invalid parameter: Tags Reason: Topic already exists with different tags")
			}
		}
		return &createTopicResult{TopicArn: arn}, nil
	}
	if len(tags) > maxTags {
		return nil, errTagLimitExceeded()
	}
	t := &topic{name: name, arn: arn, fifo: fifo, attrs: map[string]string{}, tags: map[string]string{}, created: svc.opts.Now()}
	maps.Copy(t.attrs, attrs)
	maps.Copy(t.tags, tags)
	if fifo {
		if _, ok := t.attrs["ContentBasedDeduplication"]; !ok {
			t.attrs["ContentBasedDeduplication"] = "false"
		}
	}
	svc.topics[arn] = t
	svc.log.InfoContext(ctx, "topic created", "requestId", requestID(ctx), "topicArn", arn)
	return &createTopicResult{TopicArn: arn}, nil
}

// deleteTopic deletes a topic and its subscriptions; a topic that does not
// exist is not an error (SNS documents this).
func (svc *Service) deleteTopic(ctx context.Context, p query.Params) (any, error) {
	arn := p.String("TopicArn")
	if err := checkARN("TopicArn", arn); err != nil {
		return nil, err
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if _, ok := svc.topics[arn]; !ok {
		return nil, nil
	}
	delete(svc.topics, arn)
	for sarn, s := range svc.subscriptions {
		if s.topicARN == arn {
			delete(svc.subscriptions, sarn)
		}
	}
	svc.log.InfoContext(ctx, "topic deleted", "requestId", requestID(ctx), "topicArn", arn)
	return nil, nil
}

// listPageSize is the page size of ListTopics and ListSubscriptions.
const listPageSize = 100

func pageOf[T any](items []T, token string) ([]T, string, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", invalidParameter("Invalid parameter: NextToken")
		}
		start = n
	}
	if start+listPageSize >= len(items) {
		return items[start:], "", nil
	}
	return items[start : start+listPageSize], strconv.Itoa(start + listPageSize), nil
}

func (svc *Service) listTopics(_ context.Context, p query.Params) (any, error) {
	svc.mu.Lock()
	arns := slices.Sorted(maps.Keys(svc.topics))
	svc.mu.Unlock()
	items, next, err := pageOf(arns, p.String("NextToken"))
	if err != nil {
		return nil, err
	}
	out := &listTopicsResult{NextToken: next}
	for _, a := range items {
		out.Topics = append(out.Topics, topicMember{TopicArn: a})
	}
	return out, nil
}

// findTopic checks the ARN and finds the topic. svc.mu is held.
func (svc *Service) findTopic(param, arn string) (*topic, error) {
	if err := checkARN(param, arn); err != nil {
		return nil, err
	}
	t, ok := svc.topics[arn]
	if !ok {
		return nil, errTopicNotFound()
	}
	return t, nil
}

// attributes returns all of a topic's attributes, computed ones included.
// svc.mu is held.
func (svc *Service) attributes(t *topic) map[string]string {
	confirmed, pending := 0, 0
	for _, s := range svc.subscriptions {
		if s.topicARN != t.arn {
			continue
		}
		if s.pending {
			pending++
		} else {
			confirmed++
		}
	}
	m := map[string]string{
		"TopicArn":                t.arn,
		"Owner":                   svc.opts.AccountID,
		"Policy":                  svc.defaultPolicy(t.arn),
		"DisplayName":             "",
		"SubscriptionsConfirmed":  strconv.Itoa(confirmed),
		"SubscriptionsPending":    strconv.Itoa(pending),
		"SubscriptionsDeleted":    "0",
		"EffectiveDeliveryPolicy": effectiveDeliveryPolicy,
	}
	maps.Copy(m, t.attrs)
	return m
}

func (svc *Service) getTopicAttributes(_ context.Context, p query.Params) (any, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	t, err := svc.findTopic("TopicArn", p.String("TopicArn"))
	if err != nil {
		return nil, err
	}
	return &getAttributesResult{Attributes: toAttributeMap(svc.attributes(t))}, nil
}

func (svc *Service) setTopicAttributes(ctx context.Context, p query.Params) (any, error) {
	name, value := p.String("AttributeName"), p.String("AttributeValue")
	if err := checkTopicAttribute(name, value, false); err != nil {
		return nil, err
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	t, err := svc.findTopic("TopicArn", p.String("TopicArn"))
	if err != nil {
		return nil, err
	}
	if value == "" && name != "DisplayName" {
		delete(t.attrs, name)
	} else {
		t.attrs[name] = value
	}
	// Attribute values can be policies or key ids; log the name only.
	svc.log.InfoContext(ctx, "topic attribute set", "requestId", requestID(ctx), "topicArn", t.arn, "attribute", name)
	return nil, nil
}

// TopicAttributes returns a topic's attributes as GetTopicAttributes does,
// for in-process callers (the ElastiCache emulator checks a topic's
// KmsMasterKeyId and Policy before publishing to it).
func (svc *Service) TopicAttributes(topicARN string) (map[string]string, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	t, ok := svc.topics[topicARN]
	if !ok {
		return nil, errTopicNotFound()
	}
	return svc.attributes(t), nil
}

// taggedTopic finds the topic of a tagging call. svc.mu is held.
func (svc *Service) taggedTopic(arn string) (*topic, error) {
	if err := checkARN("ResourceArn", arn); err != nil {
		return nil, err
	}
	t, ok := svc.topics[arn]
	if !ok {
		return nil, errResourceNotFound()
	}
	return t, nil
}

func (svc *Service) tagResource(_ context.Context, p query.Params) (any, error) {
	tags, err := tagsParam(p, "Tags")
	if err != nil {
		return nil, err
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	t, err := svc.taggedTopic(p.String("ResourceArn"))
	if err != nil {
		return nil, err
	}
	merged := maps.Clone(t.tags)
	maps.Copy(merged, tags)
	if len(merged) > maxTags {
		return nil, errTagLimitExceeded()
	}
	t.tags = merged
	return &emptyResult{}, nil
}

func (svc *Service) untagResource(_ context.Context, p query.Params) (any, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	t, err := svc.taggedTopic(p.String("ResourceArn"))
	if err != nil {
		return nil, err
	}
	for _, k := range p.List("TagKeys") {
		delete(t.tags, k)
	}
	return &emptyResult{}, nil
}

func (svc *Service) listTagsForResource(_ context.Context, p query.Params) (any, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	t, err := svc.taggedTopic(p.String("ResourceArn"))
	if err != nil {
		return nil, err
	}
	return &listTagsResult{Tags: tagMembers(t.tags)}, nil
}

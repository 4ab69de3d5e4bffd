package sns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/ecprov/ecprov/emulator/protocol/query"
)

type subscription struct {
	arn, topicARN      string
	protocol, endpoint string
	owner              string
	attrs              map[string]string
	// pending is true for protocols that need a confirmation (http,
	// https, email); the emulator never confirms them.
	pending bool
}

// protocols SNS accepts in Subscribe; the emulator delivers to lambda only.
var protocols = map[string]bool{
	"http": true, "https": true, "email": true, "email-json": true, "sms": true,
	"sqs": true, "application": true, "lambda": true, "firehose": true,
}

var settableSubscriptionAttributes = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true,
	"RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true,
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (svc *Service) subscribe(ctx context.Context, p query.Params) (any, error) {
	topicARN, protocol, endpoint := p.String("TopicArn"), p.String("Protocol"), p.String("Endpoint")
	if err := checkARN("TopicArn", topicARN); err != nil {
		return nil, err
	}
	if !protocols[protocol] {
		return nil, invalidParameter("Invalid parameter: Amazon SNS does not support this protocol string: %s", protocol)
	}
	switch protocol {
	case "lambda":
		if arnElements(endpoint) < 7 || !strings.HasPrefix(endpoint, "arn:") || strings.Split(endpoint, ":")[2] != "lambda" {
			return nil, invalidParameter("Invalid parameter: Lambda endpoint ARN")
		}
	case "sqs":
		if arnElements(endpoint) < 6 || !strings.HasPrefix(endpoint, "arn:") || strings.Split(endpoint, ":")[2] != "sqs" {
			return nil, invalidParameter("Invalid parameter: SQS endpoint ARN")
		}
	default:
		if endpoint == "" {
			return nil, invalidParameter("Invalid parameter: Endpoint")
		}
	}
	attrs := mapParam(p, "Attributes")
	for k, v := range attrs {
		if !settableSubscriptionAttributes[k] {
			return nil, invalidParameter("Invalid parameter: Attributes Reason: Unknown attribute %s", k)
		}
		if k == "RawMessageDelivery" && v != "true" && v != "false" {
			return nil, invalidParameter("Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", v)
		}
	}
	returnARN, err := p.Bool("ReturnSubscriptionArn")
	if err != nil {
		return nil, err
	}

	svc.mu.Lock()
	defer svc.mu.Unlock()
	if _, ok := svc.topics[topicARN]; !ok {
		return nil, errTopicNotFound()
	}
	// Subscribe is idempotent for the same topic, protocol and endpoint.
	for _, s := range svc.subscriptions {
		if s.topicARN == topicARN && s.protocol == protocol && s.endpoint == endpoint {
			for k, v := range attrs {
				if s.attrs[k] != v {
					return nil, invalidParameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
				}
			}
			return svc.subscribeResult(s, returnARN), nil
		}
	}
	s := &subscription{
		arn: topicARN + ":" + newUUID(), topicARN: topicARN, protocol: protocol, endpoint: endpoint,
		owner: svc.opts.AccountID, attrs: map[string]string{},
		pending: protocol == "http" || protocol == "https" || protocol == "email" || protocol == "email-json",
	}
	maps.Copy(s.attrs, attrs)
	svc.subscriptions[s.arn] = s
	if _, ok := s.attrs["FilterPolicy"]; ok {
		svc.log.WarnContext(ctx, "subscription filter policies are stored but not applied by the emulator",
			"requestId", requestID(ctx), "subscriptionArn", s.arn)
	}
	svc.log.InfoContext(ctx, "subscribed", "requestId", requestID(ctx), "topicArn", topicARN, "protocol", protocol,
		"endpoint", endpoint, "subscriptionArn", s.arn, "pending", s.pending)
	return svc.subscribeResult(s, returnARN), nil
}

func (svc *Service) subscribeResult(s *subscription, returnARN *bool) *subscribeResult {
	if s.pending && (returnARN == nil || !*returnARN) {
		return &subscribeResult{SubscriptionArn: "pending confirmation"}
	}
	return &subscribeResult{SubscriptionArn: s.arn}
}

// unsubscribe removes a subscription; one that does not exist is not an
// error, as on AWS, but a malformed ARN is.
func (svc *Service) unsubscribe(ctx context.Context, p query.Params) (any, error) {
	arn := p.String("SubscriptionArn")
	if err := checkARN("SubscriptionArn", arn); err != nil {
		return nil, err
	}
	if arnElements(arn) < 7 {
		return nil, invalidParameter("Invalid parameter: SubscriptionId")
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if _, ok := svc.subscriptions[arn]; ok {
		delete(svc.subscriptions, arn)
		svc.log.InfoContext(ctx, "unsubscribed", "requestId", requestID(ctx), "subscriptionArn", arn)
	}
	return nil, nil
}

func (s *subscription) member() subscriptionMember {
	arn := s.arn
	if s.pending {
		arn = "PendingConfirmation"
	}
	return subscriptionMember{SubscriptionArn: arn, Owner: s.owner, Protocol: s.protocol, Endpoint: s.endpoint, TopicArn: s.topicARN}
}

// subscriptionsOf lists subscriptions (of one topic when topicARN is not
// ""), ordered by ARN. svc.mu is held.
func (svc *Service) subscriptionsOf(topicARN string) []subscriptionMember {
	var out []subscriptionMember
	for _, arn := range slices.Sorted(maps.Keys(svc.subscriptions)) {
		if s := svc.subscriptions[arn]; topicARN == "" || s.topicARN == topicARN {
			out = append(out, s.member())
		}
	}
	return out
}

func (svc *Service) listSubscriptions(_ context.Context, p query.Params) (any, error) {
	svc.mu.Lock()
	subs := svc.subscriptionsOf("")
	svc.mu.Unlock()
	items, next, err := pageOf(subs, p.String("NextToken"))
	if err != nil {
		return nil, err
	}
	return &listSubscriptionsResult{Subscriptions: items, NextToken: next}, nil
}

func (svc *Service) listSubscriptionsByTopic(_ context.Context, p query.Params) (any, error) {
	svc.mu.Lock()
	t, err := svc.findTopic("TopicArn", p.String("TopicArn"))
	if err != nil {
		svc.mu.Unlock()
		return nil, err
	}
	subs := svc.subscriptionsOf(t.arn)
	svc.mu.Unlock()
	items, next, err := pageOf(subs, p.String("NextToken"))
	if err != nil {
		return nil, err
	}
	return &listSubscriptionsResult{Subscriptions: items, NextToken: next}, nil
}

func (svc *Service) getSubscriptionAttributes(_ context.Context, p query.Params) (any, error) {
	arn := p.String("SubscriptionArn")
	if err := checkARN("SubscriptionArn", arn); err != nil {
		return nil, err
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	s, ok := svc.subscriptions[arn]
	if !ok {
		return nil, errSubscriptionNotFound()
	}
	m := map[string]string{
		"SubscriptionArn": s.arn, "TopicArn": s.topicARN, "Protocol": s.protocol, "Endpoint": s.endpoint,
		"Owner": s.owner, "PendingConfirmation": boolString(s.pending), "ConfirmationWasAuthenticated": boolString(!s.pending),
		"RawMessageDelivery": "false",
	}
	maps.Copy(m, s.attrs)
	return &getAttributesResult{Attributes: toAttributeMap(m)}, nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

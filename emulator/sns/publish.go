package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecprov/ecprov/emulator/delivery"
	"github.com/ecprov/ecprov/emulator/protocol/query"
)

// maxMessageSize is SNS's limit on a message with its attributes.
const maxMessageSize = 256 * 1024

// publication is a validated Publish request.
type publication struct {
	topicARN  string
	subject   *string
	body      string
	perProto  map[string]string // MessageStructure json: bodies by protocol
	attrs     []messageAttribute
	groupID   string
	dedupID   string
	id        string
	timestamp time.Time
}

func (svc *Service) publish(ctx context.Context, p query.Params) (any, error) {
	if p.Has("PhoneNumber") {
		return nil, invalidParameter("Invalid parameter: PhoneNumber Reason: the ecprov emulator does not send SMS")
	}
	arn, param := p.String("TopicArn"), "TopicArn"
	if arn == "" && p.Has("TargetArn") {
		arn, param = p.String("TargetArn"), "TargetArn"
	}
	if err := checkARN(param, arn); err != nil {
		return nil, err
	}
	m := &publication{topicARN: arn, body: p.String("Message"), attrs: messageAttributesParam(p),
		groupID: p.String("MessageGroupId"), dedupID: p.String("MessageDeduplicationId")}
	if p.Has("Subject") {
		s := p.String("Subject")
		m.subject = &s
	}
	if err := m.validate(p.String("MessageStructure")); err != nil {
		return nil, err
	}
	seq, err := svc.accept(ctx, m)
	if err != nil {
		return nil, err
	}
	return &publishResult{MessageID: m.id, SequenceNumber: seq}, nil
}

// Publish publishes a message to a topic for in-process publishers, such
// as the ElastiCache emulator's notices (see ElastiCacheMessage). subject
// "" means no subject. A topic that does not exist is an error that
// errors.Is matches with ErrTopicNotFound.
func (svc *Service) Publish(ctx context.Context, topicARN, subject, message string) (messageID string, err error) {
	m := &publication{topicARN: topicARN, body: message}
	if subject != "" {
		m.subject = &subject
	}
	if err := m.validate(""); err != nil {
		return "", err
	}
	if _, err := svc.accept(ctx, m); err != nil {
		return "", err
	}
	return m.id, nil
}

// validate applies SNS's checks on a message that do not need the topic.
func (m *publication) validate(structure string) error {
	if m.body == "" {
		return invalidParameter("Invalid parameter: Empty message")
	}
	size := len(m.body)
	for _, a := range m.attrs {
		size += len(a.Name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	if size > maxMessageSize {
		return invalidParameter("Invalid parameter: Message too long")
	}
	if s := m.subject; s != nil {
		if *s == "" || utf8.RuneCountInString(*s) > 100 || strings.IndexFunc(*s, unicode.IsControl) >= 0 {
			return invalidParameter("Invalid parameter: Subject")
		}
	}
	switch structure {
	case "":
	case "json":
		var bodies map[string]any
		if json.Unmarshal([]byte(m.body), &bodies) != nil {
			return invalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse")
		}
		if _, ok := bodies["default"].(string); !ok {
			return invalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body")
		}
		m.perProto = map[string]string{}
		for k, v := range bodies {
			if s, ok := v.(string); ok {
				m.perProto[k] = s
			}
		}
	default:
		return invalidParameter("Invalid parameter: MessageStructure")
	}
	for _, a := range m.attrs {
		if err := a.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (a messageAttribute) validate() error {
	switch {
	case len(a.Name) >= 256:
		return invalidParameterValue("Length of message attribute name must be less than 256 bytes.")
	case strings.HasPrefix(a.Name, "."):
		return invalidParameterValue("Invalid message attribute name starting with character '.' was found.")
	case strings.HasSuffix(a.Name, "."):
		return invalidParameterValue("Invalid message attribute name ending with character '.' was found.")
	case strings.Contains(a.Name, ".."):
		return invalidParameterValue("Message attribute name can not have successive '.' character.")
	}
	if i := strings.IndexFunc(a.Name, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '-' || r == '_' || r == '.')
	}); i >= 0 {
		r, _ := utf8.DecodeRuneInString(a.Name[i:])
		return invalidParameterValue("Invalid non-alphanumeric character '#x%X' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.", r)
	}
	kind, _, _ := strings.Cut(a.DataType, ".")
	switch kind {
	case "":
		return &apiError{Code: "ValidationError", Status: 400,
			Message: fmt.Sprintf("1 validation error detected: Value null at 'messageAttributes.%s.member.dataType' failed to satisfy constraint: Member must not be null", a.Name)}
	case "String", "Number":
		if a.hasBinary {
			return invalidParameterValue("The message attribute '%s' with type '%s' must use field 'String'.", a.Name, kind)
		}
		if a.StringValue == "" {
			return invalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", a.Name, kind)
		}
		if kind == "Number" {
			if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
				return invalidParameterValue("Could not cast message attribute '%s' value to number.", a.Name)
			}
		}
	case "Binary":
		if a.hasString {
			return invalidParameterValue("The message attribute '%s' with type 'Binary' must use field 'Binary'.", a.Name)
		}
		if a.BinaryValue == "" {
			return invalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", a.Name)
		}
	default:
		return invalidParameterValue("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", a.Name)
	}
	return nil
}

// accept checks the message against its topic, gives it an id and starts
// its deliveries. It returns the FIFO sequence number ("" for standard
// topics).
func (svc *Service) accept(ctx context.Context, m *publication) (string, error) {
	svc.mu.Lock()
	t, ok := svc.topics[m.topicARN]
	if !ok {
		svc.mu.Unlock()
		return "", errTopicNotFound()
	}
	seq := ""
	if t.fifo {
		if m.groupID == "" {
			svc.mu.Unlock()
			return "", invalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
		}
		if m.dedupID == "" && t.attrs["ContentBasedDeduplication"] != "true" {
			svc.mu.Unlock()
			return "", invalidParameter("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		t.seq++
		seq = fmt.Sprintf("%020d", t.seq)
	} else if m.dedupID != "" {
		svc.mu.Unlock()
		return "", invalidParameter("Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	var subs []subscription
	for _, s := range svc.subscriptions {
		if s.topicARN == t.arn && !s.pending {
			subs = append(subs, *s)
		}
	}
	svc.mu.Unlock()

	m.id = newUUID()
	m.timestamp = svc.opts.Now().UTC()
	// Never log the message or its subject: they may carry secrets.
	svc.log.InfoContext(ctx, "message published", "requestId", requestID(ctx), "topicArn", t.arn, "messageId", m.id, "subscriptions", len(subs))
	slices.SortFunc(subs, func(a, b subscription) int { return strings.Compare(a.arn, b.arn) })
	for _, s := range subs {
		svc.startDelivery(m, s)
	}
	return seq, nil
}

// Delivery records the delivery of one message to one subscription:
// every attempt and the outcome. Payload is what the endpoint was sent.
type Delivery struct {
	MessageID       string
	TopicARN        string
	SubscriptionARN string
	Protocol        string
	Endpoint        string
	Payload         []byte
	Attempts        int
	// Errors holds the error of each failed attempt, in order.
	Errors    []string
	Succeeded bool
	Started   time.Time
	Finished  time.Time
}

// Deliveries returns the finished deliveries, oldest first; the last
// Options.DeliveryLogSize are kept.
func (svc *Service) Deliveries() []Delivery { return svc.deliveries.All() }

// Drain waits until no delivery is in flight.
func (svc *Service) Drain(ctx context.Context) error { return svc.deliveries.Drain(ctx) }

func (svc *Service) startDelivery(m *publication, s subscription) {
	d := Delivery{MessageID: m.id, TopicARN: m.topicARN, SubscriptionARN: s.arn, Protocol: s.protocol,
		Endpoint: s.endpoint, Started: svc.opts.Now().UTC()}
	svc.deliveries.Go(svc.ctx, &svc.wg, func() Delivery {
		svc.deliver(&d, m, s)
		d.Finished = svc.opts.Now().UTC()
		return d
	}, func() Delivery {
		d.Errors = []string{delivery.NotStartedMessage}
		return d
	})
}

func (svc *Service) deliver(d *Delivery, m *publication, s subscription) {
	log := svc.log.With("messageId", m.id, "topicArn", m.topicARN, "subscriptionArn", s.arn, "endpoint", s.endpoint)
	if s.protocol != "lambda" {
		d.Errors = append(d.Errors, fmt.Sprintf("the emulator delivers only to lambda subscriptions, not %s", s.protocol))
		log.Warn("message not delivered: protocol not supported by the emulator", "protocol", s.protocol)
		return
	}
	payload, err := marshal(lambdaEvent(m, s, svc.opts.Region))
	if err != nil {
		d.Errors = append(d.Errors, err.Error())
		return
	}
	d.Payload = payload
	if svc.opts.Lambda == nil {
		d.Attempts = 1
		d.Errors = append(d.Errors, "no LambdaInvoker is configured for SNS")
		log.Warn("message not delivered: no LambdaInvoker")
		return
	}
	policy := delivery.Policy{Attempts: 1 + svc.opts.Retries, Backoff: svc.opts.RetryBackoff, Log: log, What: "message"}
	out := delivery.Retry(svc.ctx, policy, func(ctx context.Context) error { return svc.opts.Lambda.InvokeLambda(ctx, s.endpoint, payload) })
	d.Attempts, d.Succeeded, d.Errors = out.Attempts, out.Succeeded, append(d.Errors, out.Errors...)
}

// marshal is json.Marshal without escaping <, > and &, which SNS leaves
// as they are.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// The event SNS sends to a Lambda function, as aws-lambda-go's
// events.SNSEvent reads it (field names from aws-lambda-go's sns.go and
// its testdata/sns-event.json). Subject is null when the message had
// none, as on AWS.
type lambdaSNSEvent struct {
	Records []lambdaSNSRecord `json:"Records"`
}

type lambdaSNSRecord struct {
	EventSource          string          `json:"EventSource"`
	EventVersion         string          `json:"EventVersion"`
	EventSubscriptionArn string          `json:"EventSubscriptionArn"`
	Sns                  lambdaSNSEntity `json:"Sns"`
}

type lambdaSNSEntity struct {
	Type              string                     `json:"Type"`
	MessageID         string                     `json:"MessageId"`
	TopicArn          string                     `json:"TopicArn"`
	Subject           *string                    `json:"Subject"`
	Message           string                     `json:"Message"`
	Timestamp         string                     `json:"Timestamp"`
	SignatureVersion  string                     `json:"SignatureVersion"`
	Signature         string                     `json:"Signature"`
	SigningCertURL    string                     `json:"SigningCertUrl"`
	UnsubscribeURL    string                     `json:"UnsubscribeUrl"`
	MessageAttributes map[string]lambdaAttribute `json:"MessageAttributes"`
}

type lambdaAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// lambdaEvent builds the event for one lambda subscription. Messages are
// not signed: Signature and SigningCertUrl are "EXAMPLE", as in
// aws-lambda-go's sample event.
func lambdaEvent(m *publication, s subscription, region string) lambdaSNSEvent {
	body := m.body
	if m.perProto != nil {
		body = m.perProto["default"]
		if b, ok := m.perProto["lambda"]; ok {
			body = b
		}
	}
	attrs := map[string]lambdaAttribute{}
	for _, a := range m.attrs {
		v := a.StringValue
		if strings.HasPrefix(a.DataType, "Binary") {
			v = a.BinaryValue
		}
		attrs[a.Name] = lambdaAttribute{Type: a.DataType, Value: v}
	}
	return lambdaSNSEvent{Records: []lambdaSNSRecord{{
		EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: s.arn,
		Sns: lambdaSNSEntity{
			Type: "Notification", MessageID: m.id, TopicArn: m.topicARN, Subject: m.subject, Message: body,
			Timestamp:        m.timestamp.Format("2006-01-02T15:04:05.000Z"),
			SignatureVersion: "1", Signature: "EXAMPLE", SigningCertURL: "EXAMPLE",
			UnsubscribeURL:    "https://sns." + region + ".amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + s.arn,
			MessageAttributes: attrs,
		},
	}}}
}

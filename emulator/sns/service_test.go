package sns_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/emulator/sns"
)

var ctx = context.Background()

const (
	relayFn = "arn:aws:lambda:us-east-1:000000000000:function:ecprov-relay"
	otherFn = "arn:aws:lambda:us-east-1:000000000000:function:other"
)

type invocation struct {
	arn     string
	payload []byte
}

// recorder is the test's LambdaInvoker: it records invocations and fails
// the first failures[arn] of them.
type recorder struct {
	mu       sync.Mutex
	calls    []invocation
	failures map[string]int
}

func (r *recorder) InvokeLambda(_ context.Context, arn string, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, invocation{arn, slices.Clone(payload)})
	if r.failures[arn] > 0 {
		r.failures[arn]--
		return errors.New("Unhandled: function error")
	}
	return nil
}

func (r *recorder) callsTo(arn string) []invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []invocation
	for _, c := range r.calls {
		if c.arn == arn {
			out = append(out, c)
		}
	}
	return out
}

func newEmulator(t *testing.T, logger ...*slog.Logger) (*awssns.Client, *sns.Service, *recorder, string) {
	t.Helper()
	rec := &recorder{failures: map[string]int{}}
	opts := sns.Options{Lambda: rec, RetryBackoff: time.Millisecond}
	if len(logger) > 0 {
		opts.Logger = logger[0]
	}
	svc := sns.New(opts)
	ts := httptest.NewServer(server.New(nil, svc))
	t.Cleanup(func() {
		ts.Close()
		_ = svc.Close()
	})
	client := awssns.New(awssns.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	return client, svc, rec, ts.URL
}

func drain(t *testing.T, svc *sns.Service) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := svc.Drain(c); err != nil {
		t.Fatalf("deliveries did not finish: %v", err)
	}
}

func mustCreateTopic(t *testing.T, c *awssns.Client, name string) string {
	t.Helper()
	out, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateTopic %s: %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

// apiError checks err's code and message and returns the HTTP status.
func apiError(t *testing.T, err error, code, message string) int {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != message {
		t.Errorf("error = %v; want %s %q", err, code, message)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestTopicLifecycle(t *testing.T) {
	c, _, _, _ := newEmulator(t)
	created, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{
		Name:       aws.String("audio-pipeline-dev-redis-events"),
		Attributes: map[string]string{"DisplayName": "redis events"},
		Tags:       []types.Tag{{Key: aws.String("Project"), Value: aws.String("ecprov")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.TopicArn)
	if arn != "arn:aws:sns:us-east-1:000000000000:audio-pipeline-dev-redis-events" {
		t.Errorf("TopicArn = %q", arn)
	}
	again, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("audio-pipeline-dev-redis-events"), Attributes: map[string]string{"DisplayName": "redis events"}})
	if err != nil || aws.ToString(again.TopicArn) != arn {
		t.Errorf("CreateTopic again = %v, %v; want the same ARN", again, err)
	}
	_, err = c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("audio-pipeline-dev-redis-events"), Attributes: map[string]string{"DisplayName": "other"}})
	var ip *types.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Errorf("CreateTopic with other attributes: %v, want InvalidParameterException", err)
	}
	apiError(t, err, "InvalidParameter", "Invalid parameter: Attributes Reason: Topic already exists with different attributes")
	_, err = c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("audio-pipeline-dev-redis-events"), Tags: []types.Tag{{Key: aws.String("Project"), Value: aws.String("other")}}})
	apiError(t, err, "InvalidParameter", "Invalid parameter: Tags Reason: Topic already exists with different tags")
	for _, bad := range []string{"has space", "dots.are.bad", strings.Repeat("a", 257), "plain.fifo"} {
		_, err = c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String(bad)})
		apiError(t, err, "InvalidParameter", "Invalid parameter: Topic Name")
	}

	attrs, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	a := attrs.Attributes
	if a["TopicArn"] != arn || a["Owner"] != "000000000000" || a["DisplayName"] != "redis events" || a["SubscriptionsConfirmed"] != "0" {
		t.Errorf("attributes = %v", a)
	}
	var policy struct {
		Statement []struct {
			Resource  string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(a["Policy"]), &policy); err != nil || len(policy.Statement) != 1 ||
		policy.Statement[0].Resource != arn || policy.Statement[0].Condition["StringEquals"]["AWS:SourceAccount"] != "000000000000" {
		t.Errorf("default Policy = %s (%v)", a["Policy"], err)
	}

	elastiCachePolicy := `{"Statement": [{"Sid": "AllowElastiCachePublish", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SNS:Publish",
		"Resource": "` + arn + `", "Condition": {"StringEquals": {"AWS:SourceOwner": "000000000000"}}}]}`
	for name, value := range map[string]string{"Policy": elastiCachePolicy, "KmsMasterKeyId": "alias/aws/sns"} {
		if _, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String(name), AttributeValue: aws.String(value)}); err != nil {
			t.Fatalf("SetTopicAttributes %s: %v", name, err)
		}
	}
	attrs, _ = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if attrs.Attributes["Policy"] != elastiCachePolicy || attrs.Attributes["KmsMasterKeyId"] != "alias/aws/sns" {
		t.Errorf("attributes after SetTopicAttributes = %v", attrs.Attributes)
	}
	_, err = c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("Colour"), AttributeValue: aws.String("blue")})
	apiError(t, err, "InvalidParameter", "Invalid parameter: AttributeName")
	_, err = c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("Policy"), AttributeValue: aws.String("{not json")})
	if !errors.As(err, &ip) {
		t.Errorf("SetTopicAttributes with a bad policy: %v", err)
	}

	list, err := c.ListTopics(ctx, &awssns.ListTopicsInput{})
	if err != nil || len(list.Topics) != 1 || aws.ToString(list.Topics[0].TopicArn) != arn {
		t.Errorf("ListTopics = %+v, %v", list, err)
	}
	if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetTopicAttributes after delete: %v, want *types.NotFoundException", err)
	}
	if status := apiError(t, err, "NotFound", "Topic does not exist"); status != http.StatusNotFound {
		t.Errorf("NotFound status = %d, want 404", status)
	}
	if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Errorf("DeleteTopic of a deleted topic: %v, want success as on AWS", err)
	}
	_, err = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String("not-an-arn")})
	apiError(t, err, "InvalidParameter", "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
}

func TestListTopicsPages(t *testing.T) {
	c, _, _, _ := newEmulator(t)
	for i := range 150 {
		mustCreateTopic(t, c, fmt.Sprintf("topic-%03d", i))
	}
	p := awssns.NewListTopicsPaginator(c, &awssns.ListTopicsInput{})
	var pages, topics int
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		topics += len(out.Topics)
	}
	if pages != 2 || topics != 150 {
		t.Errorf("ListTopics: %d pages, %d topics; want 2 and 150", pages, topics)
	}
}

func TestPublishDeliversToLambda(t *testing.T) {
	c, svc, rec, _ := newEmulator(t)
	topicARN := mustCreateTopic(t, c, "redis-events")
	sub, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("lambda"), Endpoint: aws.String(relayFn)})
	if err != nil {
		t.Fatal(err)
	}
	subARN := aws.ToString(sub.SubscriptionArn)
	if !strings.HasPrefix(subARN, topicARN+":") || len(subARN) != len(topicARN)+37 {
		t.Errorf("SubscriptionArn = %q", subARN)
	}
	again, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("lambda"), Endpoint: aws.String(relayFn)})
	if err != nil || aws.ToString(again.SubscriptionArn) != subARN {
		t.Errorf("Subscribe again = %v, %v; want the same subscription", again, err)
	}
	for _, list := range []func() ([]types.Subscription, error){
		func() ([]types.Subscription, error) {
			out, err := c.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
			return out.Subscriptions, err
		},
		func() ([]types.Subscription, error) {
			out, err := c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
			return out.Subscriptions, err
		},
	} {
		subs, err := list()
		if err != nil || len(subs) != 1 || aws.ToString(subs[0].SubscriptionArn) != subARN || aws.ToString(subs[0].Protocol) != "lambda" ||
			aws.ToString(subs[0].Endpoint) != relayFn || aws.ToString(subs[0].TopicArn) != topicARN || aws.ToString(subs[0].Owner) != "000000000000" {
			t.Errorf("subscriptions = %+v, %v", subs, err)
		}
	}
	attrs, _ := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)})
	if attrs.Attributes["SubscriptionsConfirmed"] != "1" {
		t.Errorf("SubscriptionsConfirmed = %q, want 1", attrs.Attributes["SubscriptionsConfirmed"])
	}

	message := sns.ElastiCacheMessage("ElastiCache:FailoverComplete", "audio-pipeline-dev", "audio-pipeline-dev-002")
	before := time.Now().UTC().Truncate(time.Millisecond)
	pub, err := c.Publish(ctx, &awssns.PublishInput{
		TopicArn: aws.String(topicARN), Message: aws.String(message), Subject: aws.String("ElastiCache Notification"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"source": {DataType: aws.String("String"), StringValue: aws.String("elasticache")},
			"count":  {DataType: aws.String("Number"), StringValue: aws.String("2")},
			"blob":   {DataType: aws.String("Binary"), BinaryValue: []byte("raw")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("no subject <&>")}); err != nil {
		t.Fatal(err)
	}
	drain(t, svc)

	calls := rec.callsTo(relayFn)
	if len(calls) != 2 {
		t.Fatalf("relay invoked %d times, want 2", len(calls))
	}
	// Deliveries run concurrently: order the calls by message, not arrival.
	if !strings.Contains(string(calls[0].payload), `"Subject":"ElastiCache Notification"`) {
		calls[0], calls[1] = calls[1], calls[0]
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(calls[0].payload, &ev); err != nil {
		t.Fatalf("payload is not an events.SNSEvent: %v\n%s", err, calls[0].payload)
	}
	if len(ev.Records) != 1 {
		t.Fatalf("records = %d", len(ev.Records))
	}
	r := ev.Records[0]
	e := r.SNS
	if r.EventSource != "aws:sns" || r.EventVersion != "1.0" || r.EventSubscriptionArn != subARN ||
		e.Type != "Notification" || e.MessageID != aws.ToString(pub.MessageId) || e.TopicArn != topicARN ||
		e.Subject != "ElastiCache Notification" || e.Message != message || e.SignatureVersion != "1" ||
		e.Timestamp.Before(before) || time.Since(e.Timestamp) > time.Minute ||
		!strings.Contains(e.UnsubscribeURL, "Action=Unsubscribe&SubscriptionArn="+subARN) {
		t.Errorf("SNS record = %+v", r)
	}
	wantAttrs := map[string]any{
		"source": map[string]any{"Type": "String", "Value": "elasticache"},
		"count":  map[string]any{"Type": "Number", "Value": "2"},
		"blob":   map[string]any{"Type": "Binary", "Value": "cmF3"},
	}
	if fmt.Sprint(e.MessageAttributes) != fmt.Sprint(wantAttrs) {
		t.Errorf("MessageAttributes = %v, want %v", e.MessageAttributes, wantAttrs)
	}
	// A message without a subject has "Subject": null, as on AWS, and its
	// text is not HTML-escaped.
	if !strings.Contains(string(calls[1].payload), `"Subject":null`) || !strings.Contains(string(calls[1].payload), `"Message":"no subject <&>"`) {
		t.Errorf("payload without subject = %s", calls[1].payload)
	}
	if !strings.Contains(string(calls[0].payload), `"Timestamp":"`+e.Timestamp.Format("2006-01-02T15:04:05.000Z")+`"`) {
		t.Errorf("Timestamp is not in SNS's millisecond form: %s", calls[0].payload)
	}

	ds := svc.Deliveries()
	if len(ds) != 2 || !ds[0].Succeeded || ds[0].Attempts != 1 || ds[0].SubscriptionARN != subARN || string(ds[0].Payload) != string(calls[0].payload) {
		t.Errorf("Deliveries = %+v", ds)
	}
}

func TestPublishRejects(t *testing.T) {
	c, _, _, _ := newEmulator(t)
	topicARN := mustCreateTopic(t, c, "t")
	tests := []struct {
		name      string
		in        awssns.PublishInput
		code, msg string
	}{
		{"unknown topic", awssns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope"), Message: aws.String("m")}, "NotFound", "Topic does not exist"},
		{"malformed topic ARN", awssns.PublishInput{TopicArn: aws.String("arn:aws:sns"), Message: aws.String("m")}, "InvalidParameter", "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 3"},
		{"empty message", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("")}, "InvalidParameter", "Invalid parameter: Empty message"},
		{"message too long", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String(strings.Repeat("x", 256*1024+1))}, "InvalidParameter", "Invalid parameter: Message too long"},
		{"empty subject", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m"), Subject: aws.String("")}, "InvalidParameter", "Invalid parameter: Subject"},
		{"subject with a newline", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m"), Subject: aws.String("a\nb")}, "InvalidParameter", "Invalid parameter: Subject"},
		{"json structure without default", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String(`{"lambda": "x"}`), MessageStructure: aws.String("json")}, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body"},
		{"json structure not JSON", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String(`not json`), MessageStructure: aws.String("json")}, "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse"},
		{"attribute type", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m"), MessageAttributes: map[string]types.MessageAttributeValue{
			"attr1": {DataType: aws.String("Date"), StringValue: aws.String("x")}}}, "ParameterValueInvalid",
			"The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."},
		{"attribute without a value", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m"), MessageAttributes: map[string]types.MessageAttributeValue{
			"attr1": {DataType: aws.String("String"), StringValue: aws.String("")}}}, "ParameterValueInvalid",
			"The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'."},
		{"attribute name", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m"), MessageAttributes: map[string]types.MessageAttributeValue{
			".attr": {DataType: aws.String("String"), StringValue: aws.String("x")}}}, "ParameterValueInvalid",
			"Invalid message attribute name starting with character '.' was found."},
		{"deduplication id on a standard topic", awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m"), MessageDeduplicationId: aws.String("d")}, "InvalidParameter",
			"Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Publish(ctx, &tt.in)
			apiError(t, err, tt.code, tt.msg)
			var nf *types.NotFoundException
			var ipv *types.InvalidParameterValueException
			if (tt.code == "NotFound") != errors.As(err, &nf) || (tt.code == "ParameterValueInvalid") != errors.As(err, &ipv) {
				t.Errorf("error type %T does not match code %s", err, tt.code)
			}
		})
	}
}

func TestFIFOTopic(t *testing.T) {
	c, _, _, _ := newEmulator(t)
	out, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("events.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.TopicArn
	_, err = c.Publish(ctx, &awssns.PublishInput{TopicArn: arn, Message: aws.String("m")})
	apiError(t, err, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
	_, err = c.Publish(ctx, &awssns.PublishInput{TopicArn: arn, Message: aws.String("m"), MessageGroupId: aws.String("g")})
	apiError(t, err, "InvalidParameter", "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	var seqs []string
	for i := range 2 {
		pub, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: arn, Message: aws.String("m"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(fmt.Sprint(i))})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, aws.ToString(pub.SequenceNumber))
	}
	if len(seqs[0]) != 20 || seqs[0] >= seqs[1] {
		t.Errorf("SequenceNumbers = %v, want increasing 20-digit numbers", seqs)
	}
	_, err = c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("notfifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	apiError(t, err, "InvalidParameter", "Invalid parameter: Topic Name")
}

func TestDeliveryRetries(t *testing.T) {
	c, svc, rec, _ := newEmulator(t)
	topicARN := mustCreateTopic(t, c, "t")
	for _, fn := range []string{relayFn, otherFn} {
		if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("lambda"), Endpoint: aws.String(fn)}); err != nil {
			t.Fatal(err)
		}
	}
	rec.failures[relayFn] = 2 // the third attempt succeeds
	rec.failures[otherFn] = 9 // every attempt fails
	if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	drain(t, svc)
	byEndpoint := map[string]sns.Delivery{}
	for _, d := range svc.Deliveries() {
		byEndpoint[d.Endpoint] = d
	}
	if d := byEndpoint[relayFn]; !d.Succeeded || d.Attempts != 3 || len(d.Errors) != 2 {
		t.Errorf("delivery to the flaky function = %+v", d)
	}
	if d := byEndpoint[otherFn]; d.Succeeded || d.Attempts != 3 || len(d.Errors) != 3 {
		t.Errorf("delivery to the failing function = %+v", d)
	}
}

func TestPublishGoAPI(t *testing.T) {
	c, svc, rec, _ := newEmulator(t)
	topicARN := mustCreateTopic(t, c, "redis-events")
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("lambda"), Endpoint: aws.String(relayFn)}); err != nil {
		t.Fatal(err)
	}
	msg := sns.ElastiCacheMessage("ElastiCache:FailoverComplete", "audio-pipeline-dev", "audio-pipeline-dev-002")
	id, err := svc.Publish(ctx, topicARN, "", msg)
	if err != nil || id == "" {
		t.Fatalf("Publish = %q, %v", id, err)
	}
	drain(t, svc)
	calls := rec.callsTo(relayFn)
	if len(calls) != 1 {
		t.Fatalf("relay invoked %d times", len(calls))
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(calls[0].payload, &ev); err != nil || ev.Records[0].SNS.Message != msg || ev.Records[0].SNS.MessageID != id {
		t.Errorf("event = %s (%v)", calls[0].payload, err)
	}
	var notice map[string]string
	if err := json.Unmarshal([]byte(ev.Records[0].SNS.Message), &notice); err != nil ||
		notice["ElastiCache:FailoverComplete"] != "audio-pipeline-dev" || notice["Cache Cluster ID"] != "audio-pipeline-dev-002" {
		t.Errorf("notice = %v (%v)", notice, err)
	}

	_, err = svc.Publish(ctx, "arn:aws:sns:us-east-1:000000000000:nope", "", msg)
	if !errors.Is(err, sns.ErrTopicNotFound) {
		t.Errorf("Publish to a missing topic: %v, want ErrTopicNotFound", err)
	}
	if _, err := svc.Publish(ctx, topicARN, "", ""); err == nil {
		t.Error("Publish of an empty message succeeded")
	}
	attrs, err := svc.TopicAttributes(topicARN)
	if err != nil || attrs["TopicArn"] != topicARN || attrs["SubscriptionsConfirmed"] != "1" {
		t.Errorf("TopicAttributes = %v, %v", attrs, err)
	}
}

func TestSubscriptions(t *testing.T) {
	c, svc, rec, _ := newEmulator(t)
	topicARN := mustCreateTopic(t, c, "t")
	tests := []struct {
		name               string
		protocol, endpoint string
		code, msg          string
	}{
		{"unknown protocol", "test-protocol", relayFn, "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol"},
		{"lambda endpoint not an ARN", "lambda", "relay", "InvalidParameter", "Invalid parameter: Lambda endpoint ARN"},
		{"sqs endpoint not an ARN", "sqs", "https://sqs.us-east-1.amazonaws.com/000000000000/q", "InvalidParameter", "Invalid parameter: SQS endpoint ARN"},
	}
	for _, tt := range tests {
		_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String(tt.protocol), Endpoint: aws.String(tt.endpoint)})
		apiError(t, err, tt.code, tt.msg)
	}
	_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope"), Protocol: aws.String("lambda"), Endpoint: aws.String(relayFn)})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("Subscribe to a missing topic: %v", err)
	}

	// An https subscription waits for a confirmation that never comes, and
	// gets no messages.
	pending, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("https"), Endpoint: aws.String("https://example.com/hook")})
	if err != nil || aws.ToString(pending.SubscriptionArn) != "pending confirmation" {
		t.Errorf("Subscribe https = %v, %v", pending, err)
	}
	sub, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("lambda"), Endpoint: aws.String(relayFn)})
	if err != nil {
		t.Fatal(err)
	}
	sa, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
	if err != nil || sa.Attributes["Protocol"] != "lambda" || sa.Attributes["PendingConfirmation"] != "false" || sa.Attributes["TopicArn"] != topicARN {
		t.Errorf("GetSubscriptionAttributes = %v, %v", sa, err)
	}
	if _, err := c.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: sub.SubscriptionArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: sub.SubscriptionArn}); err != nil {
		t.Errorf("Unsubscribe twice: %v, want success as on AWS", err)
	}
	_, err = c.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String("not-an-arn")})
	apiError(t, err, "InvalidParameter", "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")
	_, err = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
	apiError(t, err, "NotFound", "Subscription does not exist")

	if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	drain(t, svc)
	if n := len(rec.callsTo(relayFn)); n != 0 {
		t.Errorf("unsubscribed function invoked %d times", n)
	}
	if d := svc.Deliveries(); len(d) != 0 {
		t.Errorf("deliveries to a pending subscription: %+v", d)
	}

	// Deleting a topic removes its subscriptions.
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("lambda"), Endpoint: aws.String(relayFn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(topicARN)}); err != nil {
		t.Fatal(err)
	}
	subs, err := c.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if err != nil || len(subs.Subscriptions) != 0 {
		t.Errorf("subscriptions after DeleteTopic = %+v, %v", subs, err)
	}
}

func TestTags(t *testing.T) {
	c, _, _, _ := newEmulator(t)
	arn := mustCreateTopic(t, c, "t")
	if _, err := c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{
		{Key: aws.String("Project"), Value: aws.String("ecprov")}, {Key: aws.String("Environment"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &awssns.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"Environment"}}); err != nil {
		t.Fatal(err)
	}
	l, err := c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(l.Tags) != 1 || aws.ToString(l.Tags[0].Key) != "Project" || aws.ToString(l.Tags[0].Value) != "ecprov" {
		t.Errorf("ListTagsForResource = %+v, %v", l, err)
	}
	_, err = c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{
		{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("k"), Value: aws.String("2")}}})
	apiError(t, err, "InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.")
	_, err = c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("ListTagsForResource of a missing topic: %v", err)
	}
}

func TestElastiCacheMessage(t *testing.T) {
	for _, tt := range []struct {
		event, group, node string
		want               map[string]string
	}{
		{"ElastiCache:FailoverComplete", "audio-pipeline-dev", "audio-pipeline-dev-002",
			map[string]string{"ElastiCache:FailoverComplete": "audio-pipeline-dev", "Replication Group ID": "audio-pipeline-dev", "Cache Cluster ID": "audio-pipeline-dev-002"}},
		{"ElastiCache:CacheClusterParametersChanged", "", "audio-pipeline-dev-001",
			map[string]string{"ElastiCache:CacheClusterParametersChanged": "audio-pipeline-dev-001", "Cache Cluster ID": "audio-pipeline-dev-001"}},
		{"ElastiCache:SnapshotComplete", "audio-pipeline-dev", "",
			map[string]string{"ElastiCache:SnapshotComplete": "audio-pipeline-dev", "Replication Group ID": "audio-pipeline-dev"}},
	} {
		var got map[string]string
		if err := json.Unmarshal([]byte(sns.ElastiCacheMessage(tt.event, tt.group, tt.node)), &got); err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ElastiCacheMessage(%s, %q, %q) = %v (%v), want %v", tt.event, tt.group, tt.node, got, err, tt.want)
		}
	}
}

// TestLogsCarryNoMessage checks that logs name messages without their
// content or subject, which may hold secrets, and carry request ids.
func TestLogsCarryNoMessage(t *testing.T) {
	var buf syncBuffer
	c, svc, _, _ := newEmulator(t, slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	topicARN := mustCreateTopic(t, c, "t")
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("lambda"), Endpoint: aws.String(relayFn)}); err != nil {
		t.Fatal(err)
	}
	pub, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("password=hunter2-secret"), Subject: aws.String("subject-secret")})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, svc)
	logs := buf.String()
	if strings.Contains(logs, "hunter2-secret") || strings.Contains(logs, "subject-secret") {
		t.Errorf("logs contain the message:\n%s", logs)
	}
	for _, want := range []string{`"requestId":`, `"messageId":"` + aws.ToString(pub.MessageId) + `"`, `"msg":"message delivered"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

// syncBuffer is a strings.Builder safe for the delivery goroutines' logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

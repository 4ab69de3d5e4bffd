package relay_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ecprov/ecprov/internal/awsfake"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/relay"
)

func snsEvent(messages ...string) events.SNSEvent {
	var ev events.SNSEvent
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{EventSource: "aws:sns", SNS: events.SNSEntity{
			MessageID: "m" + string(rune('0'+i)), TopicArn: "arn:aws:sns:us-east-1:000000000000:ecprov-elasticache-notices",
			Message: m, Timestamp: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
		}})
	}
	return ev
}

func TestNoticesBecomeEventsOnTheBus(t *testing.T) {
	eb := &awsfake.EventBridge{}
	r := &relay.Handler{Bus: "ecprov", Events: eb}
	out, err := r.Handle(context.Background(), snsEvent(
		`{"ElastiCache:FailoverComplete":"audio-pipeline-dev-002"}`,
		`not json: a subscription confirmation`,
	))
	if err != nil {
		t.Fatal(err)
	}
	if out.Relayed != 1 || out.Skipped != 1 || len(eb.Entries) != 1 {
		t.Fatalf("out = %+v, entries %d", out, len(eb.Entries))
	}
	e := eb.Entries[0]
	if aws.ToString(e.Source) != "ecprov.elasticache" || aws.ToString(e.DetailType) != "ElastiCache Notification" || aws.ToString(e.EventBusName) != "ecprov" {
		t.Fatalf("entry = %+v", e)
	}
	var d relay.Detail
	if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
		t.Fatal(err)
	}
	if d.Event != "ElastiCache:FailoverComplete" || d.SourceID != "audio-pipeline-dev-002" || d.ReplicationGroupID != "audio-pipeline-dev" || d.Time != "2026-11-26T12:00:00Z" {
		t.Fatalf("detail = %+v", d)
	}
}

func TestThrottledPutIsRetryable(t *testing.T) {
	eb := &awsfake.EventBridge{}
	eb.FailNext("PutEvents", awsfake.APIError("ThrottlingException", "Rate exceeded"))
	_, err := (&relay.Handler{Bus: "ecprov", Events: eb}).Handle(context.Background(), snsEvent(`{"ElastiCache:FailoverComplete":"x-001"}`))
	if failure.NameOf(err) != failure.RetryableAWSError {
		t.Fatalf("err = %v", err)
	}
}

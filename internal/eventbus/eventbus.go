// Package eventbus puts ecprov's own events on the project's EventBridge bus:
// "Provisioned", "Provisioning Failed", "Reconciled", "Torn Down", and the
// relayed ElastiCache notices. docs/events.md describes each of them.
package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
)

// Sources and detail types: a contract with every rule and consumer.
const (
	Source             = "ecprov"
	NoticeSource       = "ecprov.elasticache"
	Provisioned        = "Provisioned"
	ProvisioningFailed = "Provisioning Failed"
	Reconciled         = "Reconciled"
	TornDown           = "Torn Down"
	Notice             = "ElastiCache Notification"
)

// API is the part of EventBridge used here.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Entry is one event to put.
type Entry struct {
	Source     string
	DetailType string
	Detail     any
	Resources  []string
}

// Put puts entries on bus and fails with RetryableAWSError when any entry
// was not accepted (EventBridge answers 200 with per-entry failures).
func Put(ctx context.Context, api API, bus string, entries ...Entry) ([]string, error) {
	in := &eventbridge.PutEventsInput{}
	for _, e := range entries {
		detail, err := json.Marshal(e.Detail)
		if err != nil {
			return nil, fmt.Errorf("encode %s detail: %w", e.DetailType, err)
		}
		in.Entries = append(in.Entries, types.PutEventsRequestEntry{
			EventBusName: aws.String(bus),
			Source:       aws.String(e.Source),
			DetailType:   aws.String(e.DetailType),
			Detail:       aws.String(string(detail)),
			Resources:    e.Resources,
		})
	}
	out, err := api.PutEvents(ctx, in)
	if err != nil {
		return nil, failure.AWS(err, "put events on "+bus)
	}
	ids := make([]string, 0, len(out.Entries))
	for i, r := range out.Entries {
		if r.ErrorCode != nil {
			return ids, failure.New(failure.RetryableAWSError, "event %d (%s) not accepted by %s: %s %s", i, entries[i].DetailType, bus, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
		}
		ids = append(ids, aws.ToString(r.EventId))
	}
	return ids, nil
}

// Input is the events function's event: one ecprov event to put.
type Input struct {
	// Bus overrides the function's ECPROV_EVENT_BUS (the state machines pass
	// the bus the CDK app or the emulator substituted).
	Bus        string          `json:"bus,omitempty"`
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
}

// Output is the event id EventBridge gave it.
type Output struct {
	EventID string `json:"eventId"`
}

// Handler runs the events function: state machines put their events through
// it, since every Task state is a Lambda invocation.
type Handler struct {
	Bus    string
	Events API
	Log    *slog.Logger
}

// Handle puts one ecprov event whose detail type is one of ecprov's own.
func (p *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	switch in.DetailType {
	case Provisioned, ProvisioningFailed, Reconciled, TornDown:
	default:
		return Output{}, failure.New(failure.InvalidInput, "events: detailType %q is not an ecprov event (Provisioned, Provisioning Failed, Reconciled, Torn Down)", in.DetailType)
	}
	if len(in.Detail) == 0 || in.Detail[0] != '{' {
		return Output{}, failure.New(failure.InvalidInput, "events: detail must be a JSON object")
	}
	bus := p.Bus
	if in.Bus != "" {
		bus = in.Bus
	}
	ids, err := Put(ctx, p.Events, bus, Entry{Source: Source, DetailType: in.DetailType, Detail: in.Detail})
	if err != nil {
		return Output{}, err
	}
	logging.For(ctx, p.Log).Info("event put", "bus", bus, "detail_type", in.DetailType, "event_id", ids[0])
	return Output{EventID: ids[0]}, nil
}

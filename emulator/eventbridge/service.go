// Package eventbridge emulates Amazon EventBridge (AWS JSON 1.1, signing
// name "events"): event buses, rules with event patterns (see package
// eventpattern) or schedules, targets with Input / InputPath /
// InputTransformer, PutEvents, and the delivery of matching events to Lambda
// functions and Step Functions state machines through an Invoker, with
// retries per the target's RetryPolicy.
//
// The wire side (decoding requests, encoding results and errors) is in this
// file and wire.go; the service model (buses, rules, targets, delivery) is
// in the others.
package eventbridge

import (
	"context"
	_ "embed"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ecprov/ecprov/emulator/delivery"
	"github.com/ecprov/ecprov/emulator/protocol/awsjson"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel"
)

// apiModel is botocore's events 2015-10-07 model, trimmed to the
// operations served (internal/apimodel). Every request is checked against
// its input shape's constraints (names, patterns, lengths, Entries 1 to
// 10, Targets 1 to 100, RetryPolicy ranges, ...) before an operation
// runs, as AWS's front end does; TestAPIModel keeps the copy equal to the
// AWS CLI's.
//
//go:embed apimodel.json
var apiModelJSON []byte

var apiModel = apimodel.MustParse(apiModelJSON)

// Invoker delivers events to targets. The emulator's wiring implements it
// with the Lambda and Step Functions emulators.
type Invoker interface {
	// InvokeLambda invokes a function asynchronously (InvocationType
	// Event), as EventBridge does.
	InvokeLambda(ctx context.Context, functionARN string, payload []byte) error
	// StartExecution starts a state machine execution with input.
	StartExecution(ctx context.Context, stateMachineARN string, input []byte) error
}

// Options configure a Service.
type Options struct {
	Region    string // default us-east-1
	AccountID string // default 000000000000
	Logger    *slog.Logger
	// Invoker delivers to targets; without one every delivery fails (and
	// is recorded as failed).
	Invoker Invoker
	// ScheduleScale multiplies the waits of scheduled rules: 1 (the
	// default) is real time, 0.001 fires rate(1 minute) every 60 ms. The
	// time of a scheduled event is the schedule's own (simulated) time.
	ScheduleScale float64
	// DefaultRetries is the number of retries of a target without a
	// RetryPolicy (default 2; AWS's own default is 185 over 24 hours,
	// which would hide failures in a local run).
	DefaultRetries int
	// RetryBackoff is the wait before the first retry; it doubles on each
	// retry up to 30 s (default 200 ms).
	RetryBackoff time.Duration
	// EventLogSize bounds the events kept per bus for Events (default 1000).
	EventLogSize int
	// DeliveryLogSize bounds the records kept for Deliveries (default 1000).
	DeliveryLogSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service is the EventBridge emulator; it implements server.Service.
// Close stops its schedules and waits for deliveries in flight.
type Service struct {
	opts       Options
	log        *slog.Logger
	dispatcher awsjson.Dispatcher

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // schedules and deliveries

	mu     sync.Mutex
	buses  map[string]*bus
	events map[string]*ring[RecordedEvent]
	// scheduleGen numbers schedule goroutines, so that a stopped one
	// cannot fire for a rule that was replaced meanwhile.
	scheduleGen int

	deliveries *delivery.Log[Delivery]
}

// New returns an EventBridge with the default event bus.
func New(opts Options) *Service {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ScheduleScale <= 0 {
		opts.ScheduleScale = 1
	}
	if opts.DefaultRetries <= 0 {
		opts.DefaultRetries = 2
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 200 * time.Millisecond
	}
	if opts.EventLogSize <= 0 {
		opts.EventLogSize = 1000
	}
	if opts.DeliveryLogSize <= 0 {
		opts.DeliveryLogSize = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc := &Service{
		opts:       opts,
		log:        opts.Logger.With("service", "events"),
		ctx:        ctx,
		cancel:     cancel,
		buses:      map[string]*bus{},
		events:     map[string]*ring[RecordedEvent]{},
		deliveries: delivery.NewLog[Delivery](opts.DeliveryLogSize),
	}
	now := opts.Now().UTC()
	svc.buses[defaultBus] = &bus{name: defaultBus, arn: svc.busARN(defaultBus), created: now, modified: now,
		tags: map[string]string{}, rules: map[string]*rule{}}
	svc.dispatcher = awsjson.Dispatcher{
		TargetPrefix: "AWSEvents",
		Version:      awsjson.Version11,
		Service:      "EventBridge",
		InternalCode: "InternalException",
		Log:          svc.log,
		RequestID:    server.RequestID,
		Model:        apiModel,
		Operations: map[string]awsjson.Operation{
			"CreateEventBus":      awsjson.Handle(svc.createEventBus),
			"DescribeEventBus":    awsjson.Handle(svc.describeEventBus),
			"DeleteEventBus":      awsjson.Handle(svc.deleteEventBus),
			"ListEventBuses":      awsjson.Handle(svc.listEventBuses),
			"PutRule":             awsjson.Handle(svc.putRule),
			"DescribeRule":        awsjson.Handle(svc.describeRule),
			"ListRules":           awsjson.Handle(svc.listRules),
			"DeleteRule":          awsjson.Handle(svc.deleteRule),
			"EnableRule":          awsjson.Handle(svc.enableRule),
			"DisableRule":         awsjson.Handle(svc.disableRule),
			"PutTargets":          awsjson.Handle(svc.putTargets),
			"ListTargetsByRule":   awsjson.Handle(svc.listTargetsByRule),
			"RemoveTargets":       awsjson.Handle(svc.removeTargets),
			"PutEvents":           awsjson.Handle(svc.putEvents),
			"TestEventPattern":    awsjson.Handle(svc.testEventPattern),
			"TagResource":         awsjson.Handle(svc.tagResource),
			"UntagResource":       awsjson.Handle(svc.untagResource),
			"ListTagsForResource": awsjson.Handle(svc.listTagsForResource),
		},
	}
	return svc
}

// Close stops scheduled rules and waits for deliveries in flight, whose
// retries are abandoned.
func (svc *Service) Close() error {
	svc.cancel()
	svc.wg.Wait()
	return nil
}

// OperationNames lists the operations served.
func (svc *Service) OperationNames() []string {
	return slices.Sorted(maps.Keys(svc.dispatcher.Operations))
}

// SigningName implements server.Service.
func (*Service) SigningName() string { return "events" }

// Operation implements server.Service.
func (svc *Service) Operation(r *http.Request, body []byte) string {
	return svc.dispatcher.Operation(r, body)
}

// WriteError implements server.Service.
func (svc *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	svc.dispatcher.WriteError(w, r, status, code, message)
}

// ServeHTTP implements http.Handler.
func (svc *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { svc.dispatcher.ServeHTTP(w, r) }

// logAttrs are the attributes every log line of a request carries.
func logAttrs(ctx context.Context, args ...any) []any {
	if id := server.RequestID(ctx); id != "" {
		args = append(args, "requestId", id)
	}
	return args
}

// Package cloudwatch emulates Amazon CloudWatch metric alarms and metrics,
// in both wire protocols clients use today: Smithy RPC v2 CBOR (the Go SDK)
// and AWS JSON 1.0 (the AWS CLI).
//
// Metrics come from cache nodes (a nodestats.Source, polled every
// CollectInterval) into namespace AWS/ElastiCache, and from PutMetricData.
// Alarms are evaluated after every collection, with CloudWatch's rules for
// Period, EvaluationPeriods, DatapointsToAlarm, Statistic,
// ComparisonOperator and TreatMissingData.
package cloudwatch

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ecprov/ecprov/emulator/nodestats"
	"github.com/ecprov/ecprov/emulator/protocol/awsjson"
	"github.com/ecprov/ecprov/emulator/protocol/rpcv2cbor"
	"github.com/ecprov/ecprov/internal/apimodel"
)

// apiModel is botocore's cloudwatch 2010-08-01 model, trimmed to the
// operations served (internal/apimodel). Every request, CBOR or JSON, is
// checked against its input shape's constraints (AlarmName 1 to 255,
// actions at most 5, Dimensions at most 30, the enums, ...) before an
// operation runs; AWS answers a violation with ValidationError.
// TestAPIModel keeps the copy equal to the AWS CLI's.
//
//go:embed apimodel.json
var apiModelJSON []byte

var apiModel = apimodel.MustParse(apiModelJSON)

// Options configure a Service.
type Options struct {
	Region    string // default us-east-1
	AccountID string // default 000000000000
	Logger    *slog.Logger
	// Source reports cache node figures; nil means metrics come only from
	// PutMetricData.
	Source nodestats.Source
	// CollectInterval is how often Source is polled and alarms evaluated
	// (default 5 s).
	CollectInterval time.Duration
	// PeriodScale multiplies every period (alarm Period, GetMetricData
	// Period) to get its wall-clock length; default 1. Tests use e.g. 0.02
	// so that a 60-second period passes in 1.2 s; the semantics stay those
	// of CloudWatch.
	PeriodScale float64
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OnStateChange, if set, is called (outside any lock) for every alarm
	// state change, e.g. to publish to the alarm's SNS topics.
	OnStateChange func(StateChange)
}

// Service is the CloudWatch emulator; it implements server.Service.
type Service struct {
	region, account string
	log             *slog.Logger
	now             func() time.Time
	source          nodestats.Source
	interval        time.Duration
	scale           float64
	onStateChange   func(StateChange)
	operations      map[string]operation

	mu        sync.Mutex
	alarms    map[string]*alarm
	metrics   *metricStore
	lastNodes map[string]nodeSample

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

type operation func(ctx context.Context, p protocol, body []byte) (any, error)

// New returns a CloudWatch without alarms or metrics. Call Start to begin
// collecting from opts.Source.
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
	if opts.CollectInterval <= 0 {
		opts.CollectInterval = 5 * time.Second
	}
	if opts.PeriodScale <= 0 {
		opts.PeriodScale = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	svc := &Service{
		region:        opts.Region,
		account:       opts.AccountID,
		log:           opts.Logger.With("service", "cloudwatch"),
		now:           opts.Now,
		source:        opts.Source,
		interval:      opts.CollectInterval,
		scale:         opts.PeriodScale,
		onStateChange: opts.OnStateChange,
		alarms:        map[string]*alarm{},
		metrics:       newMetricStore(),
		lastNodes:     map[string]nodeSample{},
	}
	svc.operations = map[string]operation{
		"PutMetricAlarm": handle(svc.putMetricAlarm),
		"DescribeAlarms": handle(svc.describeAlarms),
		"DeleteAlarms":   handle(svc.deleteAlarms),
		"SetAlarmState":  handle(svc.setAlarmState),
		"GetMetricData":  handle(svc.getMetricData),
		"PutMetricData":  handle(svc.putMetricData),
	}
	return svc
}

func handle[In, Out any](fn func(context.Context, *In) (*Out, error)) operation {
	return func(ctx context.Context, p protocol, body []byte) (any, error) {
		in := new(In)
		if err := p.unmarshal(body, in); err != nil {
			return nil, errValidation("Cannot parse the request body: %v", err)
		}
		return fn(ctx, in)
	}
}

// periodLen is the wall-clock length of a period of the given seconds.
func (svc *Service) periodLen(seconds int32) time.Duration {
	return time.Duration(float64(seconds) * svc.scale * float64(time.Second))
}

// Start polls the node source and evaluates alarms every CollectInterval
// until Close.
func (svc *Service) Start() {
	svc.runMu.Lock()
	defer svc.runMu.Unlock()
	if svc.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc.cancel, svc.done = cancel, make(chan struct{})
	go func() {
		defer close(svc.done)
		t := time.NewTicker(svc.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				svc.Tick(ctx)
			}
		}
	}()
}

// Close stops what Start started.
func (svc *Service) Close() error {
	svc.runMu.Lock()
	defer svc.runMu.Unlock()
	if svc.cancel != nil {
		svc.cancel()
		<-svc.done
		svc.cancel = nil
	}
	return nil
}

// Tick collects node figures once and evaluates every alarm. Start calls
// it every CollectInterval; tests call it directly.
func (svc *Service) Tick(ctx context.Context) {
	svc.collect(ctx)
	svc.evaluateAlarms()
}

func (svc *Service) evaluateAlarms() {
	svc.mu.Lock()
	now := svc.now()
	var changes []*StateChange
	for _, a := range svc.alarms {
		e, ok := a.evaluate(svc.metrics, now, svc.periodLen)
		if !ok {
			continue
		}
		if c := a.setState(e.state, e.reason, e.data, now); c != nil {
			changes = append(changes, c)
		}
	}
	svc.mu.Unlock()
	for _, c := range changes {
		svc.notify(c)
	}
}

func (svc *Service) notify(c *StateChange) {
	if c == nil {
		return
	}
	svc.log.Info("alarm state change", "alarm", c.AlarmName, "from", c.OldState, "to", c.NewState, "reason", c.Reason)
	if svc.onStateChange != nil {
		svc.onStateChange(*c)
	}
}

// protocol is the wire protocol of one request.
type protocol int

const (
	protocolUnknown protocol = iota
	protocolCBOR             // Smithy RPC v2 CBOR: the Go SDK
	protocolJSON             // AWS JSON 1.0: the AWS CLI
)

// targetPrefix is CloudWatch's X-Amz-Target prefix and RPC v2 service name.
const targetPrefix = "GraniteServiceVersion20100801"

func protocolOf(r *http.Request) protocol {
	switch {
	case rpcv2cbor.IsRequest(r):
		return protocolCBOR
	case awsjson.IsRequest(r):
		return protocolJSON
	}
	return protocolUnknown
}

func (p protocol) unmarshal(body []byte, v any) error {
	if p == protocolCBOR {
		return rpcv2cbor.Unmarshal(body, v)
	}
	return awsjson.Unmarshal(body, v)
}

// validate parses the body and checks it against the operation's input
// shape, as AWS's front end does before the service sees a request.
func (p protocol) validate(operation string, body []byte) *apiError {
	var tree map[string]any
	var err error
	if p == protocolCBOR {
		tree, err = rpcv2cbor.DecodeTree(body)
	} else {
		tree, err = awsjson.DecodeTree(body)
	}
	if err != nil {
		return newError(http.StatusBadRequest, "SerializationException", "Cannot parse the request body: %v", err)
	}
	in, err := apiModel.Input(operation)
	if err != nil {
		return nil
	}
	if tree == nil {
		tree = map[string]any{}
	}
	if vs := in.Validate(tree, apimodel.Options{Required: true}); len(vs) > 0 {
		return errValidation("%s", apimodel.Message(vs))
	}
	return nil
}

func (p protocol) writeResult(w http.ResponseWriter, v any) {
	if p == protocolCBOR {
		rpcv2cbor.WriteResult(w, v)
		return
	}
	awsjson.WriteResult(w, awsjson.Version10, v)
}

func (p protocol) writeError(w http.ResponseWriter, e *apiError) {
	if p == protocolCBOR {
		rpcv2cbor.WriteError(w, rpcv2cbor.Error{Status: e.Status, Type: e.Shape, Message: e.Message, QueryError: e.queryError()})
		return
	}
	awsjson.WriteError(w, awsjson.Version10, awsjson.Error{Status: e.Status, Type: e.Shape, Message: e.Message, QueryError: e.queryError()})
}

// OperationNames lists the operations served.
func (svc *Service) OperationNames() []string { return slices.Sorted(maps.Keys(svc.operations)) }

// SigningName implements server.Service.
func (*Service) SigningName() string { return "monitoring" }

// Operation implements server.Service.
func (*Service) Operation(r *http.Request, _ []byte) string {
	switch protocolOf(r) {
	case protocolCBOR:
		if svc, op, ok := rpcv2cbor.Operation(r); ok && svc == targetPrefix {
			return op
		}
	case protocolJSON:
		if prefix, op := awsjson.Target(r); prefix == targetPrefix {
			return op
		}
	}
	return ""
}

// WriteError implements server.Service. code is a Query error code
// ("Throttling", "ResourceNotFound"), which is what clients report.
func (*Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	protocolOf(r).writeError(w, newError(status, code, "%s", message))
}

// ServeHTTP implements http.Handler.
func (svc *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := protocolOf(r)
	name := svc.Operation(r, nil)
	op, ok := svc.operations[name]
	if !ok {
		msg := fmt.Sprintf("ecprov emulator: CloudWatch operation %q is not supported", name)
		if p == protocolUnknown {
			msg = "ecprov emulator: CloudWatch is served over RPC v2 CBOR (POST /service/GraniteServiceVersion20100801/operation/OP) " +
				"and JSON 1.0 (X-Amz-Target: GraniteServiceVersion20100801.OP), not this request's protocol"
		}
		p.writeError(w, newError(http.StatusBadRequest, "UnknownOperationException", "%s", msg))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		p.writeError(w, errValidation("reading request body: %v", err))
		return
	}
	if err := p.validate(name, body); err != nil {
		p.writeError(w, err)
		return
	}
	out, err := op(r.Context(), p, body)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = newError(http.StatusInternalServerError, "InternalServiceError", "%v", err)
		}
		p.writeError(w, ae)
		return
	}
	p.writeResult(w, out)
}

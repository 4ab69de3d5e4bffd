// Package sns emulates Amazon SNS (Query protocol, version 2010-03-31):
// topics with attributes and tags, subscriptions, and Publish with
// delivery to Lambda subscribers in the SNS-to-Lambda event shape, through
// a LambdaInvoker, with retries. In-process publishers (the ElastiCache
// emulator) use Publish directly.
//
// The wire side (reading Query parameters, writing XML results and
// errors) is in this file and wire.go; the service model (topics,
// subscriptions, delivery) is in the others.
package sns

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

	"github.com/ecprov/ecprov/emulator/delivery"
	"github.com/ecprov/ecprov/emulator/protocol/query"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel"
)

// apiModel is botocore's sns 2010-03-31 model, trimmed to the actions
// served (internal/apimodel). Every request is checked against its input
// shape's constraints (TagKey 1 to 128, TagValue at most 256,
// AmazonResourceName 1 to 1011) before an action runs, as AWS's front end
// does; a violation is ValidationError ("Common Errors", Amazon SNS API
// Reference). TestAPIModel keeps the copy equal to the AWS CLI's.
//
//go:embed apimodel.json
var apiModelJSON []byte

var apiModel = apimodel.MustParse(apiModelJSON)

// XMLNamespace is the namespace of SNS Query responses.
const XMLNamespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// LambdaInvoker invokes Lambda functions for lambda subscriptions. The
// emulator's wiring implements it with the Lambda emulator; an error marked
// delivery.Permanent (no such function) is not retried.
type LambdaInvoker interface {
	// InvokeLambda invokes a function asynchronously (InvocationType
	// Event), as SNS does.
	InvokeLambda(ctx context.Context, functionARN string, payload []byte) error
}

// Options configure a Service.
type Options struct {
	Region    string // default us-east-1
	AccountID string // default 000000000000
	Logger    *slog.Logger
	// Lambda delivers to lambda subscriptions; without it those
	// deliveries fail (and are recorded as failed).
	Lambda LambdaInvoker
	// Retries is the number of retries of a failed Lambda delivery
	// (default 2; SNS retries Lambda deliveries 3 times right away, then
	// with back-off over hours).
	Retries int
	// RetryBackoff is the wait before the first retry; it doubles on each
	// retry up to 30 s (default 200 ms).
	RetryBackoff time.Duration
	// DeliveryLogSize bounds the records kept for Deliveries (default 1000).
	DeliveryLogSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service is the SNS emulator; it implements server.Service. Close waits
// for deliveries in flight.
type Service struct {
	opts       Options
	log        *slog.Logger
	operations map[string]operation

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu            sync.Mutex
	topics        map[string]*topic        // by ARN
	subscriptions map[string]*subscription // by ARN

	deliveries *delivery.Log[Delivery]
}

// operation is one Query action: it returns the result element's content
// (nil for actions without one).
type operation func(ctx context.Context, p query.Params) (any, error)

// New returns an SNS without topics.
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
	if opts.Retries <= 0 {
		opts.Retries = 2
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 200 * time.Millisecond
	}
	if opts.DeliveryLogSize <= 0 {
		opts.DeliveryLogSize = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc := &Service{
		opts:          opts,
		log:           opts.Logger.With("service", "sns"),
		ctx:           ctx,
		cancel:        cancel,
		topics:        map[string]*topic{},
		subscriptions: map[string]*subscription{},
		deliveries:    delivery.NewLog[Delivery](opts.DeliveryLogSize),
	}
	svc.operations = map[string]operation{
		"CreateTopic":               svc.createTopic,
		"DeleteTopic":               svc.deleteTopic,
		"ListTopics":                svc.listTopics,
		"GetTopicAttributes":        svc.getTopicAttributes,
		"SetTopicAttributes":        svc.setTopicAttributes,
		"Subscribe":                 svc.subscribe,
		"Unsubscribe":               svc.unsubscribe,
		"ListSubscriptions":         svc.listSubscriptions,
		"ListSubscriptionsByTopic":  svc.listSubscriptionsByTopic,
		"GetSubscriptionAttributes": svc.getSubscriptionAttributes,
		"Publish":                   svc.publish,
		"TagResource":               svc.tagResource,
		"UntagResource":             svc.untagResource,
		"ListTagsForResource":       svc.listTagsForResource,
	}
	return svc
}

// Close waits for deliveries in flight; their retries are abandoned.
func (svc *Service) Close() error {
	svc.cancel()
	svc.wg.Wait()
	return nil
}

// OperationNames lists the actions served.
func (svc *Service) OperationNames() []string { return slices.Sorted(maps.Keys(svc.operations)) }

// SigningName implements server.Service.
func (*Service) SigningName() string { return "sns" }

// Operation implements server.Service.
func (*Service) Operation(r *http.Request, body []byte) string {
	p, err := query.Parse(r, body)
	if err != nil {
		return ""
	}
	return p.Action()
}

// WriteError implements server.Service.
func (*Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	query.WriteError(w, status, XMLNamespace, code, message, requestID(r.Context()))
}

// requestID is the router's id for the request, or a fresh one when the
// service is used without the router.
func requestID(ctx context.Context) string {
	if id := server.RequestID(ctx); id != "" {
		return id
	}
	return query.NewRequestID()
}

// ServeHTTP implements http.Handler.
func (svc *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	reqID := requestID(ctx)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, "MalformedQueryString", "could not read the request body: "+err.Error(), reqID)
		return
	}
	p, err := query.Parse(r, body)
	if err != nil {
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, "MalformedQueryString", err.Error(), reqID)
		return
	}
	action := p.Action()
	if action == "" {
		// "MissingAction: The request is missing an action or a required
		// parameter", HTTP 400 ("Common Errors", Amazon SNS API Reference).
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, "MissingAction", "The request must contain the parameter Action.", reqID)
		return
	}
	op, ok := svc.operations[action]
	if !ok {
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, "InvalidAction",
			fmt.Sprintf("The action %s is not valid for this web service (not implemented by the ecprov emulator).", action), reqID)
		return
	}
	if vs := p.Violations(apiModel, false); len(vs) > 0 {
		query.WriteError(w, http.StatusBadRequest, XMLNamespace, "ValidationError", apimodel.Message(vs), reqID)
		return
	}
	out, err := op(ctx, p)
	if err != nil {
		var ae *apiError
		var pe *query.ParamError
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &pe):
			ae = invalidParameter("%s", pe.Error())
		default:
			svc.log.ErrorContext(ctx, "operation failed", "requestId", reqID, "action", action, "err", err)
			ae = &apiError{Code: "InternalError", Message: err.Error(), Status: http.StatusInternalServerError}
		}
		query.WriteError(w, ae.Status, XMLNamespace, ae.Code, ae.Message, reqID)
		return
	}
	query.WriteResult(w, action, XMLNamespace, reqID, out)
}

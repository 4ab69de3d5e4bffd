package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"
)

// The emulator buffers request bodies (services decode them whole, as AWS's
// front door does), so without bounds a few slow or large requests would hold
// connections and memory without end. These bounds are the emulator's own;
// each is far above what an AWS SDK needs from it.
const (
	// MaxInFlight caps the AWS-service requests served at once; one more
	// gets a retryable 503 in the service's shape. A provision of 50
	// environments at once has about 100 in flight (a Lambda Invoke and the
	// calls that function makes back).
	MaxInFlight = 256
	// DefaultBodyLimit caps a request body. It is the largest request the
	// emulated Query, JSON and CBOR APIs take: the Step Functions quotas page
	// ("Maximum request size: 1 MB per request") and CloudWatch's
	// PutMetricData ("1 MB for HTTP POST requests") are the largest; Secrets
	// Manager, SNS, EventBridge and ElastiCache take less.
	DefaultBodyLimit = 1 << 20
	// BodyBudget caps the bytes of request bodies buffered at once. A request
	// larger than the budget (a Lambda CreateFunction) waits until it has
	// the whole budget, so at most one such request is in memory.
	BodyBudget = 64 << 20
	// BodyWait is how long a request waits for BodyBudget before a 503.
	BodyWait = 10 * time.Second
	// BodyReadTimeout bounds reading one body: a client that sends a byte a
	// second, or stops, is cut off. 70 MB over loopback takes well under a
	// second.
	BodyReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds serving and writing one answer. Operations
	// that legitimately run longer extend it with
	// http.ResponseController.SetWriteDeadline (Lambda's Invoke, up to the
	// function's timeout).
	DefaultWriteTimeout = 60 * time.Second
)

// bodyLimits are the services whose requests may be larger than
// DefaultBodyLimit, keyed by signing name.
var bodyLimits = map[string]int64{
	// CreateFunction takes a .zip of at most 50 MB for direct upload (Lambda
	// quotas, "Deployment package (.zip file archive) size"), base64-encoded
	// in JSON: 50 MB * 4/3 plus the rest of the request.
	"lambda": 70 << 20,
}

// BodyLimit is the largest request body the router reads for a service.
func BodyLimit(service string) int64 {
	if n, ok := bodyLimits[service]; ok {
		return n
	}
	return DefaultBodyLimit
}

// Limits are the router's request bounds; New uses the constants above, and
// tests shrink them with SetLimits.
type Limits struct {
	MaxInFlight     int
	BodyBudget      int64
	BodyWait        time.Duration
	BodyReadTimeout time.Duration
}

// DefaultLimits are the bounds New starts with.
var DefaultLimits = Limits{MaxInFlight: MaxInFlight, BodyBudget: BodyBudget, BodyWait: BodyWait, BodyReadTimeout: BodyReadTimeout}

type limits struct {
	Limits
	inFlight chan struct{}
	bodies   *semaphore.Weighted
}

func newLimits(l Limits) *limits {
	return &limits{Limits: l, inFlight: make(chan struct{}, l.MaxInFlight), bodies: semaphore.NewWeighted(l.BodyBudget)}
}

// SetLimits replaces the router's request bounds; call it before serving.
func (rt *Router) SetLimits(l Limits) { rt.limits = newLimits(l) }

// admit takes one of the MaxInFlight places, or refuses at once.
func (l *limits) admit() (release func(), ref *refusal) {
	select {
	case l.inFlight <- struct{}{}:
		return func() { <-l.inFlight }, nil
	default:
		return func() {}, &refusal{http.StatusServiceUnavailable, "ServiceUnavailable",
			fmt.Sprintf("ecprov emulator: more than %d requests in flight; retry with back-off (AWS SDKs do)", l.MaxInFlight)}
	}
}

// readBody reads a request's body within the service's limit, the body
// budget and BodyReadTimeout, and inflates a gzip body (SDKs gzip
// CloudWatch's PutMetricData; AWS's front door inflates it before the
// service sees it). done returns the body's share of the budget.
func (l *limits) readBody(w http.ResponseWriter, r *http.Request, service string) (body []byte, done func(), ref *refusal) {
	done = func() {}
	limit := BodyLimit(service)
	tooLarge := &refusal{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
		fmt.Sprintf("ecprov emulator: the request body is larger than %d bytes, the most this API takes", limit)}
	if r.ContentLength > limit {
		return nil, done, tooLarge
	}
	size := limit
	if r.ContentLength >= 0 {
		size = r.ContentLength
	}
	weight := min(size, l.BodyBudget)
	ctx, cancel := context.WithTimeout(r.Context(), l.BodyWait)
	defer cancel()
	if err := l.bodies.Acquire(ctx, weight); err != nil {
		return nil, done, &refusal{http.StatusServiceUnavailable, "ServiceUnavailable",
			"ecprov emulator: too many large requests at once; retry with back-off (AWS SDKs do)"}
	}
	done = func() { l.bodies.Release(weight) }

	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(l.BodyReadTimeout))
	body, err := readAll(r.Body, r.ContentLength, limit)
	_ = r.Body.Close()
	_ = rc.SetReadDeadline(time.Time{})
	switch {
	case err == errTooLarge:
		return nil, done, tooLarge
	case err != nil:
		return nil, done, &refusal{http.StatusBadRequest, "InvalidRequest", "reading request body: " + err.Error()}
	}
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		if body, err = gunzip(body, limit); err != nil {
			return nil, done, &refusal{http.StatusBadRequest, "InvalidRequest", "Content-Encoding gzip: " + err.Error()}
		}
		r.Header.Del("Content-Encoding")
	}
	return body, done, nil
}

var errTooLarge = fmt.Errorf("body too large")

// readAll reads at most limit bytes. With an announced size (size >= 0) it
// reads into one buffer of that size, so that a body costs its own size in
// memory, not the doublings of a growing buffer.
func readAll(rd io.Reader, size, limit int64) ([]byte, error) {
	initial := int64(64 << 10)
	if size >= 0 {
		initial = min(size, limit)
	}
	buf := make([]byte, 0, initial+1)
	for {
		if int64(len(buf)) > limit {
			return nil, errTooLarge
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow only when the length was not announced
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) > limit {
				return nil, errTooLarge
			}
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Package server is the emulator's single HTTP endpoint. It works out which
// AWS service a request is for, the way AWS's front door does (the SigV4
// credential scope, X-Amz-Target, the RPC v2 path), hands the request to that
// service, and around it adds request ids, structured logs and injected
// faults.
//
// The emulator's own endpoints live under /_emulator/:
//
//	GET    /_emulator/health   {"status":"ok","services":[...]}
//	GET    /_emulator/faults   the active faults
//	POST   /_emulator/faults   add one, e.g.
//	       {"service":"elasticache","operation":"CreateReplicationGroup","count":3,"code":"Throttling","status":400}
//	       {"status":500,"code":"InternalFailure"}      every request, until cleared
//	       {"service":"secretsmanager","latencyMs":3000,"count":1}
//	DELETE /_emulator/faults   clear them all
//
// A request takes at most one fault, the first added that matches it; the
// error is written by the target service, in its wire shape.
package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecprov/ecprov/emulator/protocol/awsjson"
	"github.com/ecprov/ecprov/emulator/protocol/rpcv2cbor"
)

// Service is one emulated AWS service.
type Service interface {
	// SigningName is the service name in SigV4 credential scopes:
	// "elasticache", "ec2", "secretsmanager", "monitoring".
	SigningName() string
	// Operation names the AWS operation of a request ("" if unknown). body
	// is the buffered request body; r.Body must not be read.
	Operation(r *http.Request, body []byte) string
	// WriteError writes an error in the service's wire shape, so that SDKs
	// classify it as they would the same error from AWS.
	WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string)
	ServeHTTP(w http.ResponseWriter, r *http.Request)
}

// AdminPrefix is the path prefix of the emulator's own endpoints.
const AdminPrefix = "/_emulator/"

// Router routes requests to services. Create it with New.
type Router struct {
	log    *slog.Logger
	faults *Faults
	admin  *http.ServeMux
	limits *limits

	mu           sync.RWMutex
	services     map[string]Service
	allowedHosts []string
}

// New returns a router serving the given services.
func New(logger *slog.Logger, services ...Service) *Router {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rt := &Router{
		log:      logger,
		faults:   &Faults{},
		admin:    http.NewServeMux(),
		limits:   newLimits(DefaultLimits),
		services: map[string]Service{},
	}
	for _, s := range services {
		rt.Register(s)
	}
	rt.admin.HandleFunc("GET /_emulator/health", rt.health)
	rt.admin.HandleFunc("GET /_emulator/faults", rt.listFaults)
	rt.admin.HandleFunc("POST /_emulator/faults", rt.addFault)
	rt.admin.HandleFunc("DELETE /_emulator/faults", rt.clearFaults)
	return rt
}

// Register adds (or replaces) a service, keyed by its signing name.
func (rt *Router) Register(s Service) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.services[s.SigningName()] = s
}

// Handle adds an endpoint of the emulator's own under AdminPrefix; pattern
// is an http.ServeMux pattern such as "POST /_emulator/reset". It panics on
// a pattern outside AdminPrefix, which would never be reached.
func (rt *Router) Handle(pattern string, h http.Handler) {
	if !strings.Contains(pattern, AdminPrefix) {
		panic(fmt.Sprintf("server: Handle(%q): emulator endpoints must be under %s", pattern, AdminPrefix))
	}
	rt.admin.Handle(pattern, h)
}

// Faults is the router's fault list, for tests that inject faults without
// going through HTTP.
func (rt *Router) Faults() *Faults { return rt.faults }

// ServiceNames lists the registered signing names, sorted.
func (rt *Router) ServiceNames() []string {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	names := make([]string, 0, len(rt.services))
	for n := range rt.services {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (rt *Router) service(name string) (Service, bool) {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	s, ok := rt.services[name]
	return s, ok
}

type ctxKey struct{}

// RequestID returns the id the router gave the request of ctx ("" outside
// a request). Query-protocol services put it in their response bodies.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // UUID version 4
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ServeHTTP implements http.Handler.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newRequestID()
	w.Header().Set("x-amzn-RequestId", id)
	w.Header().Set("x-amz-request-id", id)
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
	rec := &statusRecorder{ResponseWriter: w}

	entry := requestLog{id: id, method: r.Method, path: r.URL.Path}
	defer func() {
		entry.status = rec.status()
		entry.duration = time.Since(start)
		rt.logRequest(r.Context(), entry)
	}()
	var svc Service
	// A panicking service would otherwise drop the connection, which SDKs
	// report as a bare EOF; answer a 500 in its shape and log the stack.
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		rt.log.Error("panic serving request", "requestId", id, "service", entry.service, "operation", entry.operation,
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if rec.code != 0 {
			return // too late for an error response
		}
		msg := "ecprov emulator: internal error; the emulator log has the details under request id " + id
		if svc != nil {
			svc.WriteError(rec, r, http.StatusInternalServerError, "InternalFailure", msg)
		} else {
			writePlainError(rec, http.StatusInternalServerError, "InternalFailure", msg)
		}
	}()

	if ref := rt.checkClient(r); ref != nil {
		entry.service = "emulator"
		writePlainError(rec, ref.status, ref.code, ref.message)
		return
	}
	if strings.HasPrefix(r.URL.Path, AdminPrefix) {
		entry.service = "emulator"
		if ref := checkAdmin(r); ref != nil {
			writePlainError(rec, ref.status, ref.code, ref.message)
			return
		}
		rt.admin.ServeHTTP(rec, r)
		return
	}
	rt.serveService(rec, r, &entry, &svc)
}

// serveService serves an AWS-service request: it checks the signature,
// admits the request under the limits, reads its body, applies a fault if
// one matches, and hands it to its service, which it stores in *served for
// the caller's panic handler.
func (rt *Router) serveService(w http.ResponseWriter, r *http.Request, entry *requestLog, served *Service) {
	if ref := checkSignature(r); ref != nil {
		name, _ := signingName(r, nil)
		entry.service = name
		rt.writeError(w, r, name, ref.status, ref.code, ref.message)
		return
	}
	release, ref := rt.limits.admit()
	if ref != nil {
		rt.writeError(w, r, scopeService(r), ref.status, ref.code, ref.message)
		return
	}
	defer release()
	body, done, ref := rt.limits.readBody(w, r, scopeService(r))
	defer done()
	if ref != nil {
		rt.writeError(w, r, scopeService(r), ref.status, ref.code, ref.message)
		return
	}

	name, how := signingName(r, body)
	svc, ok := rt.service(name)
	entry.service = name
	if !ok {
		msg := fmt.Sprintf("ecprov emulator: no service for this request (%s); it serves %s. "+
			"Sign requests for one of those services (SigV4 credential scope .../REGION/SERVICE/aws4_request)",
			how, strings.Join(rt.ServiceNames(), ", "))
		writePlainError(w, http.StatusBadRequest, "UnknownServiceException", msg)
		return
	}
	*served = svc
	entry.operation = svc.Operation(r, body)

	if f, ok := rt.faults.take(name, entry.operation); ok {
		entry.fault = f.describe()
		if !sleep(r.Context(), time.Duration(f.LatencyMs)*time.Millisecond) {
			return
		}
		if f.Status != 0 {
			svc.WriteError(w, r, f.Status, f.Code, f.Message)
			return
		}
	}

	// A client that stops reading its answer must not hold the request
	// forever; operations that run long (Lambda's Invoke) extend this.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(DefaultWriteTimeout))
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	svc.ServeHTTP(w, r)
}

// writeError answers in the named service's wire shape when it is known, so
// that SDKs classify the error (a 503 is retried), and in a plain JSON shape
// otherwise.
func (rt *Router) writeError(w http.ResponseWriter, r *http.Request, service string, status int, code, message string) {
	if svc, ok := rt.service(service); ok {
		svc.WriteError(w, r, status, code, message)
		return
	}
	writePlainError(w, status, code, message)
}

// scopeService is the service named by a signed request's credential scope.
func scopeService(r *http.Request) string {
	parts := strings.Split(credentialScope(r), "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[len(parts)-2]
}

// sleep waits d, or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Tables for requests that carry no SigV4 scope (unsigned or anonymous
// clients). Signed requests never need them.
var (
	targetPrefixes = map[string]string{
		"secretsmanager":                "secretsmanager",
		"GraniteServiceVersion20100801": "monitoring",
		"AWSStepFunctions":              "states",
		"AWSEvents":                     "events",
	}
	rpcServices = map[string]string{
		"GraniteServiceVersion20100801": "monitoring",
	}
	queryVersions = map[string]string{
		"2015-02-02": "elasticache",
		"2016-11-15": "ec2",
		"2010-08-01": "monitoring",
		"2010-03-31": "sns",
	}
)

// signingName works out the service a request is for, and says how (for
// error messages).
func signingName(r *http.Request, body []byte) (name, how string) {
	if scope := credentialScope(r); scope != "" {
		// AKID/DATE/REGION/SERVICE/aws4_request
		parts := strings.Split(scope, "/")
		if len(parts) >= 5 {
			return parts[len(parts)-2], fmt.Sprintf("credential scope service %q", parts[len(parts)-2])
		}
		return "", fmt.Sprintf("malformed credential scope %q", scope)
	}
	if prefix, _ := awsjson.Target(r); prefix != "" {
		return targetPrefixes[prefix], fmt.Sprintf("X-Amz-Target prefix %q", prefix)
	}
	if svc, _, ok := rpcv2cbor.Operation(r); ok {
		return rpcServices[svc], fmt.Sprintf("RPC v2 service %q", svc)
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Version") != "" {
			return queryVersions[form.Get("Version")], fmt.Sprintf("Query API version %q", form.Get("Version"))
		}
	}
	if v := r.URL.Query().Get("Version"); v != "" {
		return queryVersions[v], fmt.Sprintf("Query API version %q", v)
	}
	return "", "no SigV4 Authorization header, X-Amz-Target or RPC v2 path"
}

func gunzip(body []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("inflated body is larger than %d bytes", limit)
	}
	return out, nil
}

// credentialScope is AKID/DATE/REGION/SERVICE/aws4_request from a SigV4
// Authorization header ("" without one).
func credentialScope(r *http.Request) string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	scope, _, _ := strings.Cut(rest, ",")
	return strings.TrimSpace(scope)
}

// writePlainError answers requests that reach no service. No SDK shape fits
// them all, so it is JSON with the conventional fields.
func writePlainError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (rt *Router) health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "ok", "services": rt.ServiceNames()})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

type requestLog struct {
	id, method, path   string
	service, operation string
	fault              string
	status             int
	duration           time.Duration
}

// logRequest logs one line per request. Bodies are never logged: they hold
// secret values.
func (rt *Router) logRequest(ctx context.Context, e requestLog) {
	attrs := []slog.Attr{
		slog.String("requestId", e.id),
		slog.String("method", e.method),
		slog.String("path", e.path),
		slog.String("service", e.service),
		slog.String("operation", e.operation),
		slog.Int("status", e.status),
		slog.Float64("durationMs", float64(e.duration.Microseconds())/1e3),
	}
	if e.fault != "" {
		attrs = append(attrs, slog.String("fault", e.fault))
	}
	level := slog.LevelInfo
	switch {
	case e.status >= 500:
		level = slog.LevelWarn
	case e.service == "emulator":
		level = slog.LevelDebug // health polls and fault admin would drown the AWS calls
	}
	rt.log.LogAttrs(ctx, level, "request", attrs...)
}

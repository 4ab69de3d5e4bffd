package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Fault makes matching requests fail or slow down. It is rendered through
// the target service's WriteError, so an SDK sees the same bytes as from AWS
// and retries (or not) exactly as it would there.
type Fault struct {
	ID int `json:"id"`
	// Service is a signing name ("elasticache", "monitoring"; "cloudwatch"
	// is accepted for "monitoring"); empty matches every service.
	Service string `json:"service,omitempty"`
	// Operation is an AWS operation name; empty matches every operation.
	Operation string `json:"operation,omitempty"`
	// Count is how many requests the fault still applies to; 0 means until
	// the faults are cleared.
	Count int `json:"count"`
	// Status and Code make the request fail; both zero means no error (a
	// pure latency fault). Status defaults to 400 when Code is set, Code to
	// "InternalFailure" or "ServiceUnavailable" for a 5xx Status.
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// LatencyMs delays the request before it is served (or failed).
	LatencyMs int `json:"latencyMs,omitempty"`
	// Matched counts the requests the fault has applied to so far.
	Matched int `json:"matched"`
}

// MaxFaultLatencyMs bounds an injected delay: 10 minutes outlasts any SDK
// time-out a test wants to trip, and keeps the delay far from overflowing a
// time.Duration.
const MaxFaultLatencyMs = 10 * 60 * 1000

var serviceAliases = map[string]string{"cloudwatch": "monitoring"}

func (f *Fault) normalize() error {
	if alias, ok := serviceAliases[f.Service]; ok {
		f.Service = alias
	}
	if f.Count < 0 {
		return fmt.Errorf("count %d is negative; use 0 for a fault that lasts until cleared", f.Count)
	}
	if f.LatencyMs < 0 || f.LatencyMs > MaxFaultLatencyMs {
		return fmt.Errorf("latencyMs %d is out of range; use 0-%d (10 minutes)", f.LatencyMs, MaxFaultLatencyMs)
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return fmt.Errorf("status %d is not an error status; use 400-599 (e.g. 400 with code Throttling, or 500)", f.Status)
	}
	if f.Code != "" && f.Status == 0 {
		f.Status = http.StatusBadRequest
	}
	if f.Code == "" {
		switch {
		case f.Status == http.StatusServiceUnavailable:
			f.Code = "ServiceUnavailable"
		case f.Status >= 500:
			f.Code = "InternalFailure"
		case f.Status != 0:
			return fmt.Errorf("status %d needs a code (e.g. \"Throttling\" or \"ThrottlingException\")", f.Status)
		}
	}
	if f.Status == 0 && f.LatencyMs == 0 {
		return errors.New("fault does nothing: set status and/or code for an error, latencyMs for a delay")
	}
	if f.Message == "" && f.Status != 0 {
		if strings.Contains(strings.ToLower(f.Code), "throttl") {
			f.Message = "Rate exceeded"
		} else {
			f.Message = "ecprov emulator: injected fault " + f.Code
		}
	}
	return nil
}

func (f *Fault) matches(service, operation string) bool {
	return (f.Service == "" || f.Service == service) &&
		(f.Operation == "" || f.Operation == operation)
}

func (f *Fault) describe() string {
	var parts []string
	if f.Status != 0 {
		parts = append(parts, fmt.Sprintf("%d %s", f.Status, f.Code))
	}
	if f.LatencyMs != 0 {
		parts = append(parts, fmt.Sprintf("+%dms", f.LatencyMs))
	}
	return fmt.Sprintf("#%d %s", f.ID, strings.Join(parts, " "))
}

// Faults is an ordered list of faults. A request takes the first fault that
// matches it, at most one.
type Faults struct {
	mu     sync.Mutex
	list   []*Fault
	nextID int
}

// Add validates f, fills in its defaults and appends it.
func (fs *Faults) Add(f Fault) (Fault, error) {
	if err := f.normalize(); err != nil {
		return Fault{}, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	f.ID = fs.nextID
	f.Matched = 0
	fs.list = append(fs.list, &f)
	return f, nil
}

// List returns the active faults.
func (fs *Faults) List() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.list))
	for _, f := range fs.list {
		out = append(out, *f)
	}
	return out
}

// Clear removes every fault.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = nil
}

// take consumes one application of the first fault matching the request.
func (fs *Faults) take(service, operation string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.list {
		if !f.matches(service, operation) {
			continue
		}
		f.Matched++
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				fs.list = slices.Delete(fs.list, i, i+1)
			}
		}
		return *f, true
	}
	return Fault{}, false
}

func (rt *Router) listFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": rt.faults.List()})
}

func (rt *Router) addFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "fault: " + err.Error() +
			`; want e.g. {"service":"elasticache","operation":"CreateReplicationGroup","count":3,"code":"Throttling","status":400}`})
		return
	}
	if f.Service != "" {
		if alias, ok := serviceAliases[f.Service]; ok {
			f.Service = alias
		}
		if _, ok := rt.service(f.Service); !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf(
				"fault: unknown service %q; the emulator serves %s", f.Service, strings.Join(rt.ServiceNames(), ", "))})
			return
		}
	}
	added, err := rt.faults.Add(f)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "fault: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, added)
}

func (rt *Router) clearFaults(w http.ResponseWriter, _ *http.Request) {
	rt.faults.Clear()
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

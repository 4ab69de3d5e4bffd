package eventbridge

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// Event is an event put on a bus by an in-process producer (Put).
type Event struct {
	Source     string
	DetailType string
	// Detail is a JSON object; nil means {}.
	Detail    json.RawMessage
	Resources []string
	// Time is the event's time; zero means now.
	Time time.Time
}

// RecordedEvent is an event a bus accepted, as Events reports it.
type RecordedEvent struct {
	Bus        string
	ID         string
	Source     string
	DetailType string
	Time       time.Time
	// JSON is the full event, as targets without an input
	// transformation receive it.
	JSON json.RawMessage
}

// envelope is the event as EventBridge delivers it; the field order is
// AWS's.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// envelopeNoDetail is the value of <aws.events.event>, in the shape and
// order AWS renders it (note detailType).
type envelopeNoDetail struct {
	ID         string   `json:"id"`
	Account    string   `json:"account"`
	DetailType string   `json:"detailType"`
	Time       string   `json:"time"`
	Source     string   `json:"source"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Version    string   `json:"version"`
}

// accepted is an event on its way to rules.
type accepted struct {
	bus       string
	env       envelope
	json      []byte
	decoded   any
	ingestion time.Time
}

// maxEventsSize is the total size of a PutEvents request's entries. (The
// number of entries, 1 to 10, is the model's PutEventsRequestEntryList,
// checked by the dispatcher.)
const maxEventsSize = 256 * 1024

func (svc *Service) putEvents(ctx context.Context, in *putEventsInput) (*putEventsOutput, error) {
	size := 0
	for _, e := range in.Entries {
		size += entrySize(e)
	}
	if size > maxEventsSize {
		return nil, errValidation("Total size of the entries in the request is over the limit.")
	}
	out := &putEventsOutput{Entries: make([]putEventsResultEntry, len(in.Entries))}
	for i, e := range in.Entries {
		ev := Event{Source: e.Source, DetailType: e.DetailType, Resources: e.Resources}
		if e.Time != nil {
			ev.Time = *e.Time
		}
		if e.Detail != nil {
			ev.Detail = json.RawMessage(*e.Detail)
		}
		id, err := svc.put(ctx, e.EventBusName, ev, e.Detail == nil)
		var ee *entryError
		switch {
		case errors.As(err, &ee):
			out.FailedEntryCount++
			out.Entries[i] = putEventsResultEntry{ErrorCode: ee.code, ErrorMessage: ee.message}
		case err != nil:
			// AWS accepts events for a bus that does not exist and drops
			// them; say so in the log, since it is a common slip.
			svc.log.WarnContext(ctx, "event for a bus that does not exist dropped, as AWS does",
				logAttrs(ctx, "bus", busName(e.EventBusName), "eventId", id)...)
			out.Entries[i] = putEventsResultEntry{EventID: id}
		default:
			out.Entries[i] = putEventsResultEntry{EventID: id}
		}
	}
	return out, nil
}

// entrySize approximates AWS's PutEvents entry size: the bytes of Time,
// Source, DetailType, Detail and Resources.
func entrySize(e putEventsEntry) int {
	n := len(e.Source) + len(e.DetailType)
	if e.Time != nil {
		n += 14
	}
	if e.Detail != nil {
		n += len(*e.Detail)
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// entryError is a PutEvents entry failure: the entry is reported failed,
// the request succeeds.
type entryError struct {
	code, message string
}

func (e *entryError) Error() string { return e.code + ": " + e.message }

// Put puts an event on a bus (a name or an ARN; "" is default) for
// in-process producers, such as the CloudTrail event of an API call. It
// validates the event as PutEvents does and, unlike PutEvents, reports a
// bus that does not exist as an error (errors.Is(err, ErrBusNotFound)).
func (svc *Service) Put(ctx context.Context, bus string, event Event) (id string, err error) {
	return svc.put(ctx, bus, event, false)
}

// put validates and accepts one event. detailMissing says a PutEvents
// entry had no Detail, which AWS refuses (the Go API takes nil as {}).
func (svc *Service) put(ctx context.Context, busNameOrARN string, e Event, detailMissing bool) (string, error) {
	switch {
	case e.Source == "":
		return "", &entryError{"InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."}
	case e.DetailType == "":
		return "", &entryError{"InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."}
	case detailMissing:
		return "", &entryError{"InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."}
	}
	detail := e.Detail
	if detail == nil {
		detail = json.RawMessage(`{}`)
	}
	if !isJSONObject(detail) {
		return "", &entryError{"MalformedDetail", "Detail is malformed."}
	}
	now := svc.opts.Now().UTC()
	t := e.Time
	if t.IsZero() {
		t = now
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	env := envelope{
		Version: "0", ID: newID(), DetailType: e.DetailType, Source: e.Source,
		Account: svc.opts.AccountID, Time: t.UTC().Format(time.RFC3339), Region: svc.opts.Region,
		Resources: resources, Detail: compactJSON(detail),
	}
	name := busName(busNameOrARN)
	svc.mu.Lock()
	_, ok := svc.buses[name]
	svc.mu.Unlock()
	if !ok {
		return env.ID, errBusNotFound(name)
	}
	a := &accepted{bus: name, env: env, json: marshal(env), ingestion: now}
	a.decoded = decode(a.json)
	svc.record(a)
	svc.log.DebugContext(ctx, "event accepted", logAttrs(ctx, "bus", name, "eventId", env.ID, "source", env.Source, "detailType", env.DetailType)...)
	svc.route(a)
	return env.ID, nil
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

func decode(b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v)
	return v
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (svc *Service) record(a *accepted) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	log, ok := svc.events[a.bus]
	if !ok {
		log = newRing[RecordedEvent](svc.opts.EventLogSize)
		svc.events[a.bus] = log
	}
	t, _ := time.Parse(time.RFC3339, a.env.Time)
	log.add(RecordedEvent{Bus: a.bus, ID: a.env.ID, Source: a.env.Source, DetailType: a.env.DetailType, Time: t, JSON: a.json})
}

// Events returns the events a bus (name or ARN) accepted, oldest first;
// the last Options.EventLogSize are kept.
func (svc *Service) Events(bus string) []RecordedEvent {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	log, ok := svc.events[busName(bus)]
	if !ok {
		return nil
	}
	return log.all()
}

// route matches an accepted event against the enabled pattern rules of
// its bus and starts a delivery per target of each matching rule.
func (svc *Service) route(a *accepted) {
	type job struct {
		r *rule
		t *target
	}
	var jobs []job
	svc.mu.Lock()
	if b, ok := svc.buses[a.bus]; ok {
		for _, r := range b.rules {
			if r.compiled == nil || !r.enabled() || !r.compiled.MatchesValue(a.decoded) {
				continue
			}
			for _, t := range r.targets {
				jobs = append(jobs, job{r, t})
			}
		}
	}
	svc.mu.Unlock()
	for _, j := range jobs {
		svc.startDelivery(a, j.r.name, j.r.arn, j.t)
	}
}

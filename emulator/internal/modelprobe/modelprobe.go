// Package modelprobe tests an emulated service against AWS's API model:
// for every constraint the model states on an operation's input (length,
// value range, items, enum, pattern, required), it sends a request that
// breaks it just past its bound, as a raw request with a SigV4-shaped
// Authorization header, and checks the answer is AWS's error. The probes
// come from the installed botocore model at test time, not from a list
// typed by hand.
package modelprobe

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel"
)

// Protocol is a wire protocol of the emulator.
type Protocol int

// The protocols.
const (
	JSON  Protocol = iota // AWS JSON 1.0 / 1.1
	CBOR                  // Smithy RPC v2 CBOR
	Query                 // AWS Query
	EC2                   // EC2's Query dialect
)

// Target is a service behind an endpoint.
type Target struct {
	Endpoint     string // "http://127.0.0.1:4566"
	SigningName  string // SigV4 service: "secretsmanager", "monitoring"
	Protocol     Protocol
	TargetPrefix string // JSON: of X-Amz-Target; CBOR: the service in the path
	JSONVersion  string // JSON: "1.0" or "1.1"
	APIVersion   string // Query: the Version parameter
}

// Answer is a service's error answer.
type Answer struct {
	Status        int
	Code, Message string
	Body          string
}

// Send sends an operation's request, encoded from tree by the model's
// input shape, and reads the error code and message of the answer.
func (tg Target) Send(t testing.TB, m *apimodel.Model, op string, tree map[string]any) Answer {
	t.Helper()
	req, err := tg.request(m, op, tree)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	req.Header.Set("Authorization", server.DummyAuthorization(tg.SigningName))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	a := Answer{Status: resp.StatusCode, Body: string(body)}
	a.Code, a.Message = tg.parseError(resp.Header, body)
	return a
}

func (tg Target) request(m *apimodel.Model, op string, tree map[string]any) (*http.Request, error) {
	switch tg.Protocol {
	case JSON:
		b, err := json.Marshal(tree)
		if err != nil {
			return nil, err
		}
		r, err := http.NewRequest(http.MethodPost, tg.Endpoint+"/", bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		r.Header.Set("X-Amz-Target", tg.TargetPrefix+"."+op)
		r.Header.Set("Content-Type", "application/x-amz-json-"+tg.JSONVersion)
		return r, nil
	case CBOR:
		b, err := cbor.Marshal(cborTree(tree))
		if err != nil {
			return nil, err
		}
		r, err := http.NewRequest(http.MethodPost, tg.Endpoint+"/service/"+tg.TargetPrefix+"/operation/"+op, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		r.Header.Set("Content-Type", "application/cbor")
		return r, nil
	}
	in, err := m.Input(op)
	if err != nil {
		return nil, err
	}
	v := in.ToQuery(tree, tg.Protocol == EC2)
	v.Set("Action", op)
	v.Set("Version", tg.APIVersion)
	r, err := http.NewRequest(http.MethodPost, tg.Endpoint+"/", strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r, nil
}

// cborTree turns json.Number leaves into CBOR numbers.
func cborTree(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cborTree(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cborTree(e)
		}
		return out
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// parseError reads the code and message of an error answer; a Query code
// in x-amzn-query-error wins, as the SDKs of awsQueryCompatible services
// read it.
func (tg Target) parseError(h http.Header, body []byte) (code, message string) {
	var e struct {
		Type    string `json:"__type" xml:"Error>Code"`
		Message string `json:"message" xml:"Error>Message"`
		Msg     string `json:"Message"`
		EC2Code string `xml:"Errors>Error>Code"`
		EC2Msg  string `xml:"Errors>Error>Message"`
	}
	switch tg.Protocol {
	case JSON:
		_ = json.Unmarshal(body, &e)
	case CBOR:
		var m map[string]string
		_ = cbor.Unmarshal(body, &m)
		e.Type, e.Message = m["__type"], m["message"]
	case Query, EC2:
		_ = xml.Unmarshal(body, &e)
	}
	code, message = e.Type, e.Message+e.Msg
	if tg.Protocol == EC2 {
		code, message = e.EC2Code, e.EC2Msg
	}
	if _, after, ok := strings.Cut(code, "#"); ok {
		code = after
	}
	if q := h.Get("X-Amzn-Query-Error"); q != "" {
		code, _, _ = strings.Cut(q, ";")
	}
	return code, message
}

// Case is an operation and a request the model accepts. Lists and maps in
// it are probed through their first element, so it should hold one of
// each that is to be probed.
type Case struct {
	Operation string
	Request   map[string]any
}

// Probe breaks every constraint of each case's input shape and checks
// that the service answers each with status 400, the code want, and (but
// for EC2, which words errors its own way) AWS's message naming the
// member. Query services answer a missing required parameter with their
// own error, so for them required members are not probed. It returns how
// many requests were sent.
func Probe(t *testing.T, tg Target, m *apimodel.Model, want string, cases ...Case) int {
	t.Helper()
	sent := 0
	for _, c := range cases {
		in, err := m.Input(c.Operation)
		if err != nil {
			t.Fatal(err)
		}
		if vs := in.Validate(c.Request, apimodel.Options{Required: true}); len(vs) > 0 {
			t.Fatalf("%s: the base request breaks the model: %s", c.Operation, apimodel.Message(vs))
		}
		probed, unreachable := 0, 0
		for _, con := range in.Constraints() {
			if con.Kind == apimodel.Required && (tg.Protocol == Query || tg.Protocol == EC2) {
				continue
			}
			broken, ok := apimodel.Violate(con, c.Request)
			if !ok {
				unreachable++
				continue
			}
			probed++
			a := tg.Send(t, m, c.Operation, broken)
			what := fmt.Sprintf("%s %s %s (%s)", c.Operation, con.MemberPath(), con.Kind, con.Shape.Name)
			switch {
			case a.Status != http.StatusBadRequest || a.Code != want:
				t.Errorf("%s: got %d %s %q, want 400 %s\n%s", what, a.Status, a.Code, a.Message, want, a.Body)
			case tg.Protocol != EC2 && !strings.Contains(a.Message, "at '"+con.MemberPath()+"'"):
				t.Errorf("%s: message %q does not name the member", what, a.Message)
			}
		}
		if probed == 0 {
			t.Errorf("%s: no constraint probed; the base request holds none of the constrained members", c.Operation)
		}
		t.Logf("%s: %d constraints probed, %d not reachable from the base request", c.Operation, probed, unreachable)
		sent += probed
	}
	return sent
}

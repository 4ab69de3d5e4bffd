package rpcv2cbor

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

func TestOperation(t *testing.T) {
	tests := []struct {
		path, service, op string
		ok                bool
	}{
		{"/service/GraniteServiceVersion20100801/operation/PutMetricAlarm", "GraniteServiceVersion20100801", "PutMetricAlarm", true},
		{"/service/S/operation/", "", "", false},
		{"/service//operation/Op", "", "", false},
		{"/service/S/operation/Op/extra", "", "", false},
		{"/", "", "", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, tt.path, nil)
		s, op, ok := Operation(r)
		if s != tt.service || op != tt.op || ok != tt.ok {
			t.Errorf("Operation(%q) = %q %q %v", tt.path, s, op, ok)
		}
	}
}

type out struct {
	Name  string     `json:"Name"`
	When  time.Time  `json:"When"`
	Maybe *time.Time `json:"Maybe,omitempty"`
	Value float64    `json:"Value"`
}

// TestTimestamps checks the encoding the Go SDK's deserializer requires: tag
// 1 around an integer or a float of epoch seconds.
func TestTimestamps(t *testing.T) {
	b, err := Marshal(out{Name: "x", When: time.Unix(1700000000, 500e6), Value: 80})
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]cbor.RawMessage
	if err := cbor.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	when := raw["When"]
	if when[0] != 0xc1 || when[1] != 0xfb { // tag 1, float64
		t.Errorf("When encodes as % x, want tag 1 (c1) around a float64 (fb)", when)
	}
	if _, ok := raw["Maybe"]; ok {
		t.Error("nil *time.Time with omitempty was encoded")
	}
	whole, _ := Marshal(out{When: time.Unix(1700000000, 0)})
	if err := cbor.Unmarshal(whole, &raw); err != nil || raw["When"][0] != 0xc1 || raw["When"][1] != 0x1a {
		t.Errorf("whole-second time encodes as % x, want tag 1 around a uint32", raw["When"])
	}

	var back out
	if err := Unmarshal(b, &back); err != nil || !back.When.Equal(time.Unix(1700000000, 500e6)) || back.Value != 80 {
		t.Errorf("round trip: %+v %v", back, err)
	}
}

func TestWriteResponses(t *testing.T) {
	w := httptest.NewRecorder()
	WriteResult(w, out{Name: "x"})
	if w.Code != 200 || w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" || w.Header().Get("Content-Type") != "application/cbor" {
		t.Errorf("result: %d %v", w.Code, w.Header())
	}

	w = httptest.NewRecorder()
	WriteError(w, Error{Status: 400, Type: "com.amazon.coral.validate#ValidationException", Message: "bad", QueryError: "ValidationError;Sender"})
	var body map[string]string
	if err := cbor.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != 400 || w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" || w.Header().Get("X-Amzn-Query-Error") != "ValidationError;Sender" ||
		body["__type"] != "com.amazon.coral.validate#ValidationException" || body["message"] != "bad" {
		t.Errorf("error: %d %v %v", w.Code, w.Header(), body)
	}
	if err := Unmarshal(bytes.TrimSpace(nil), &out{}); err != nil {
		t.Errorf("empty body: %v", err)
	}
}

// TestTrailingData: a body is one CBOR map and nothing after it, as for
// the JSON protocols; both decoders refuse the rest.
func TestTrailingData(t *testing.T) {
	body, err := Marshal(map[string]any{"Name": "x", "Max": 5})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := DecodeTree(body)
	if err != nil || tree["Name"] != "x" {
		t.Fatalf("DecodeTree = %v, %v", tree, err)
	}
	junk := append(bytes.Clone(body), 0x61, 'x')
	var v struct{ Name string }
	if err := Unmarshal(junk, &v); err == nil {
		t.Errorf("Unmarshal accepted data after the map: %+v", v)
	}
	if _, err := DecodeTree(junk); err == nil {
		t.Error("DecodeTree accepted data after the map")
	}
	notMap, _ := Marshal([]string{"x"})
	if _, err := DecodeTree(notMap); err == nil {
		t.Error("DecodeTree accepted an array")
	}
	if tree, err := DecodeTree(nil); tree != nil || err != nil {
		t.Errorf("DecodeTree(empty) = %v, %v", tree, err)
	}
}

package awsjson

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/internal/apimodel"
)

type echoInput struct{ Name string }
type echoOutput struct{ Greeting string }

// notFound stands for a service's own error type.
type notFound struct{ name string }

func (e *notFound) Error() string { return "no " + e.name }
func (e *notFound) JSONError() Error {
	return Error{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Message: "No thing " + e.name + "."}
}

func TestDispatcher(t *testing.T) {
	var logged bytes.Buffer
	d := &Dispatcher{
		TargetPrefix: "Things",
		Version:      Version10,
		Service:      "Things",
		InternalCode: "InternalFailure",
		Log:          slog.New(slog.NewTextHandler(&logged, nil)),
		RequestID:    func(context.Context) string { return "req-1" },
		Operations: map[string]Operation{
			"Echo": Handle(func(_ context.Context, in *echoInput) (*echoOutput, error) {
				return &echoOutput{Greeting: "hello " + in.Name}, nil
			}),
			"Find": Handle(func(_ context.Context, in *echoInput) (*echoOutput, error) {
				return nil, fmt.Errorf("finding: %w", &notFound{in.Name})
			}),
			"Crash": Handle(func(_ context.Context, in *echoInput) (*echoOutput, error) {
				return nil, errors.New("disk on fire")
			}),
		},
	}
	tests := []struct {
		name, target, body string
		status             int
		response           string
		logged             string // a line of the log, "" for none
	}{
		{"result", "Things.Echo", `{"Name":"x"}`, 200, `{"Greeting":"hello x"}`, ""},
		{"service error, wrapped", "Things.Find", `{"Name":"x"}`, 404, `{"__type":"ResourceNotFoundException","message":"No thing x."}`, ""},
		{"body that does not decode", "Things.Echo", `{"Name":3}`, 400, `{"__type":"SerializationException","message":"Cannot parse the request body: json: cannot unmarshal number into Go struct field echoInput.Name of type string"}`, ""},
		{"unknown operation", "Things.Nope", `{}`, 400, `{"__type":"UnknownOperationException","message":"ecprov emulator: Things operation \"Nope\" is not supported (X-Amz-Target \"Things.Nope\")"}`, ""},
		{"other service's prefix", "Other.Echo", `{}`, 400, `{"__type":"UnknownOperationException","message":"ecprov emulator: Things operation \"Echo\" is not supported (X-Amz-Target \"Other.Echo\")"}`, ""},
		{"trailing junk after the object", "Things.Echo", `{"Name":"x"} xyz`, 400, `{"__type":"SerializationException","message":"Cannot parse the request body: unexpected data after the JSON object at offset 12"}`, ""},
		{"two objects", "Things.Echo", `{"Name":"x"}{"Name":"y"}`, 400, `{"__type":"SerializationException","message":"Cannot parse the request body: unexpected data after the JSON object at offset 12"}`, ""},
		{"not an object", "Things.Echo", `["x"]`, 400, `{"__type":"SerializationException","message":"Cannot parse the request body: request body is an array, want a JSON object"}`, ""},
		{"trailing white space is fine", "Things.Echo", "{\"Name\":\"x\"}\n ", 200, `{"Greeting":"hello x"}`, ""},
		{"internal error", "Things.Crash", `{"Name":"secret-body"}`, 500, `{"__type":"InternalFailure","message":"disk on fire"}`,
			`level=ERROR msg="operation failed" requestId=req-1 operation=Crash err="disk on fire"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logged.Reset()
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			r.Header.Set("X-Amz-Target", tt.target)
			w := httptest.NewRecorder()
			d.ServeHTTP(w, r)
			if w.Code != tt.status || w.Header().Get("Content-Type") != "application/x-amz-json-1.0" || w.Body.String() != tt.response {
				t.Errorf("got %d %q %s\nwant %d %s", w.Code, w.Header().Get("Content-Type"), w.Body, tt.status, tt.response)
			}
			if !strings.Contains(logged.String(), tt.logged) || (tt.logged == "") != (logged.Len() == 0) {
				t.Errorf("log = %q, want a line with %q", logged.String(), tt.logged)
			}
			if strings.Contains(logged.String(), "secret-body") {
				t.Errorf("the log holds the request body: %s", logged.String())
			}
		})
	}
}

func TestDispatcherOperation(t *testing.T) {
	d := &Dispatcher{TargetPrefix: "Things"}
	for target, want := range map[string]string{"Things.Echo": "Echo", "Other.Echo": "", "": ""} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("X-Amz-Target", target)
		if got := d.Operation(r, nil); got != want {
			t.Errorf("Operation(%q) = %q, want %q", target, got, want)
		}
	}
}

// thingsModel states Echo's input constraints the way botocore does.
const thingsModel = `{"metadata":{"apiVersion":"2020-01-01","protocol":"json"},
 "operations":{"Echo":{"name":"Echo","input":{"shape":"EchoRequest"}}},
 "shapes":{"EchoRequest":{"type":"structure","required":["Name"],"members":{"Name":{"shape":"NameType"}}},
           "NameType":{"type":"string","min":1,"max":5}}}`

// TestDispatcherValidates: with a model, a request that breaks a
// constraint never reaches the operation, and gets AWS's error.
func TestDispatcherValidates(t *testing.T) {
	ran := false
	d := &Dispatcher{
		TargetPrefix: "Things", Version: Version11, Service: "Things", InternalCode: "InternalFailure",
		Log: slog.New(slog.DiscardHandler), RequestID: func(context.Context) string { return "" },
		Model: apimodel.MustParse([]byte(thingsModel)),
		Operations: map[string]Operation{"Echo": Handle(func(_ context.Context, in *echoInput) (*echoOutput, error) {
			ran = true
			return &echoOutput{Greeting: "hello " + in.Name}, nil
		})},
	}
	tests := []struct{ body, response string }{
		{`{"Name":"abcdef"}`, `{"__type":"ValidationException","message":"1 validation error detected: Value 'abcdef' at 'name' failed to satisfy constraint: Member must have length less than or equal to 5"}`},
		{``, `{"__type":"ValidationException","message":"1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"}`},
		{`{"Name":""}`, `{"__type":"ValidationException","message":"1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"}`},
	}
	for _, tt := range tests {
		ran = false
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
		r.Header.Set("X-Amz-Target", "Things.Echo")
		w := httptest.NewRecorder()
		d.ServeHTTP(w, r)
		if w.Code != 400 || w.Body.String() != tt.response || ran {
			t.Errorf("%s: got %d %s (operation ran: %v)\nwant 400 %s", tt.body, w.Code, w.Body, ran, tt.response)
		}
	}
	d.ValidationCode = "ValidationError"
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Name":"abc"}`))
	r.Header.Set("X-Amz-Target", "Things.Echo")
	w := httptest.NewRecorder()
	d.ServeHTTP(w, r)
	if w.Code != 200 || !ran {
		t.Errorf("a valid request: %d %s, ran %v", w.Code, w.Body, ran)
	}
}

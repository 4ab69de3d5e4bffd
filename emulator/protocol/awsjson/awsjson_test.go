package awsjson

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestTarget(t *testing.T) {
	tests := []struct{ header, prefix, op string }{
		{"secretsmanager.CreateSecret", "secretsmanager", "CreateSecret"},
		{"GraniteServiceVersion20100801.PutMetricAlarm", "GraniteServiceVersion20100801", "PutMetricAlarm"},
		{"", "", ""},
		{"NoDot", "", ""},
		{"trailing.", "", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("X-Amz-Target", tt.header)
		if p, op := Target(r); p != tt.prefix || op != tt.op {
			t.Errorf("Target(%q) = %q, %q; want %q, %q", tt.header, p, op, tt.prefix, tt.op)
		}
	}
}

type inner struct {
	At *time.Time `json:"At,omitempty"`
}

type shape struct {
	Name    string              `json:"Name"`
	Opt     string              `json:"Opt,omitempty"`
	When    time.Time           `json:"When"`
	Maybe   *time.Time          `json:"Maybe,omitempty"`
	Times   []time.Time         `json:"Times,omitempty"`
	Blob    []byte              `json:"Blob,omitempty"`
	Nested  []inner             `json:"Nested,omitempty"`
	Stages  map[string][]string `json:"Stages,omitempty"`
	Count   *int32              `json:"Count,omitempty"`
	private int
}

func TestMarshal(t *testing.T) {
	at := time.Unix(1700000000, 250e6)
	b, err := Marshal(shape{Name: "n", When: at, Times: []time.Time{at}, Blob: []byte{0, 1}, Nested: []inner{{At: &at}}, Stages: map[string][]string{"v": {"AWSCURRENT"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Blob":"AAE=","Name":"n","Nested":[{"At":1700000000.25}],"Stages":{"v":["AWSCURRENT"]},"Times":[1700000000.25],"When":1700000000.25}`
	if string(b) != want {
		t.Errorf("Marshal\n got %s\nwant %s", b, want)
	}
}

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(s shape) bool
		wantErr    bool
	}{
		{"epoch seconds", `{"When":1700000000.25,"Maybe":1700000000}`, func(s shape) bool {
			return s.When.Equal(time.Unix(1700000000, 250e6)) && s.Maybe != nil && s.Maybe.Equal(time.Unix(1700000000, 0))
		}, false},
		{"RFC 3339 string", `{"When":"2023-11-14T22:13:20Z"}`, func(s shape) bool { return s.When.Equal(time.Unix(1700000000, 0)) }, false},
		{"nested and list timestamps", `{"Times":[1700000000],"Nested":[{"At":1700000001}]}`, func(s shape) bool {
			return len(s.Times) == 1 && s.Times[0].Unix() == 1700000000 && s.Nested[0].At.Unix() == 1700000001
		}, false},
		{"base64 blob", `{"Blob":"AAE="}`, func(s shape) bool { return len(s.Blob) == 2 && s.Blob[1] == 1 }, false},
		{"member names ignore case", `{"name":"x","count":3}`, func(s shape) bool { return s.Name == "x" && *s.Count == 3 }, false},
		{"empty body", ``, func(s shape) bool { return s.Name == "" }, false},
		{"not an object", `[1]`, nil, true},
		{"wrong type", `{"Count":"three"}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s shape
			err := Unmarshal([]byte(tt.body), &s)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && !tt.check(s) {
				t.Errorf("decoded %+v", s)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, Version10, Error{Status: 404, Type: "com.amazonaws.cloudwatch#ResourceNotFound", Message: "gone", QueryError: "ResourceNotFound;Sender"})
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/x-amz-json-1.0" || w.Header().Get("X-Amzn-Query-Error") != "ResourceNotFound;Sender" ||
		strings.TrimSpace(w.Body.String()) != `{"__type":"com.amazonaws.cloudwatch#ResourceNotFound","message":"gone"}` {
		t.Errorf("got %d %v %s", w.Code, w.Header(), w.Body)
	}
}

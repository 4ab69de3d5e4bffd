package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecprov/ecprov/emulator/server"
)

// recorder is a Query-protocol service that counts the requests that reach
// it, standing in for ElastiCache ("2015-02-02" is its API version, which the
// router also recognises on unsigned requests). hold, when set, blocks each
// request until it is closed.
type recorder struct {
	served atomic.Int64
	hold   chan struct{}
}

func (*recorder) SigningName() string                    { return "elasticache" }
func (*recorder) Operation(*http.Request, []byte) string { return "DeleteReplicationGroup" }
func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.served.Add(1)
	if rc.hold != nil {
		<-rc.hold
	}
	_, _ = io.WriteString(w, "<DeleteReplicationGroupResponse/>")
}
func (*recorder) WriteError(w http.ResponseWriter, _ *http.Request, status int, code, message string) {
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "<Error><Code>"+code+"</Code><Message>"+message+"</Message></Error>")
}

func newGuarded(t *testing.T, rc *recorder) (*server.Router, string) {
	t.Helper()
	rt := server.New(slog.New(slog.DiscardHandler), rc)
	ts := httptest.NewServer(rt)
	t.Cleanup(ts.Close)
	return rt, ts.URL
}

func send(t *testing.T, method, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestBrowserPathsAreRefused sends what a web page in the developer's browser
// can send to 127.0.0.1 without the emulator's consent, and checks that
// none of it reaches a service.
func TestBrowserPathsAreRefused(t *testing.T) {
	rc := &recorder{}
	_, url := newGuarded(t, rc)
	const form = "Action=DeleteReplicationGroup&ReplicationGroupId=audio-pipeline-dev&Version=2015-02-02"
	auth := server.DummyAuthorization("elasticache")
	formCT := "application/x-www-form-urlencoded"
	tests := []struct {
		name     string
		method   string
		path     string
		header   map[string]string
		body     string
		wantCode string
	}{
		{"an <img> GET with the action in the URL", http.MethodGet, "/?" + form, nil, "", "MissingAuthenticationToken"},
		{"a cross-site form POST", http.MethodPost, "/", map[string]string{"Content-Type": formCT, "Origin": "https://evil.example"}, form, "ForbiddenOrigin"},
		{"a form POST with no Origin, marked cross-site by the browser", http.MethodPost, "/", map[string]string{"Content-Type": formCT, "Sec-Fetch-Site": "cross-site"}, form, "ForbiddenOrigin"},
		{"a request with a foreign Referer", http.MethodPost, "/", map[string]string{"Content-Type": formCT, "Referer": "https://evil.example/page", "Authorization": auth}, form, "ForbiddenOrigin"},
		{"a page of a file: URL (Origin null)", http.MethodPost, "/", map[string]string{"Content-Type": formCT, "Origin": "null", "Authorization": auth}, form, "ForbiddenOrigin"},
		{"a text/plain POST (a simple fetch)", http.MethodPost, "/", map[string]string{"Content-Type": "text/plain"}, form, "MissingAuthenticationToken"},
		{"DNS rebinding: the attacker's name in Host", http.MethodPost, "/", map[string]string{"Host": "rebind.evil.example:4566", "Content-Type": formCT, "Authorization": auth}, form, "ForbiddenHost"},
		{"DNS rebinding to a name that embeds 127.0.0.1", http.MethodPost, "/", map[string]string{"Host": "127.0.0.1.nip.io", "Content-Type": formCT, "Authorization": auth}, form, "ForbiddenHost"},
		{"a presigned URL in a link", http.MethodGet, "/?" + form + "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260101%2Fus-east-1%2Felasticache%2Faws4_request&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("0", 64), nil, "", "MissingAuthenticationToken"},
		{"a malformed signature", http.MethodPost, "/", map[string]string{"Content-Type": formCT, "Authorization": "AWS4-HMAC-SHA256 Credential=x"}, form, "IncompleteSignature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := send(t, tt.method, url+tt.path, tt.header, tt.body)
			if status < 400 || !strings.Contains(body, tt.wantCode) {
				t.Errorf("got %d %s; want a refusal with %s", status, body, tt.wantCode)
			}
		})
	}
	if n := rc.served.Load(); n != 0 {
		t.Fatalf("%d refused requests reached the service", n)
	}
}

// TestLocalClientsAreServed: what the SDKs, the AWS CLI, the functions and a
// container allowed by name send gets through.
func TestLocalClientsAreServed(t *testing.T) {
	rc := &recorder{}
	rt, url := newGuarded(t, rc)
	rt.AllowHosts("host.docker.internal")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	base := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": server.DummyAuthorization("elasticache")}
	for _, host := range []string{"", "localhost:" + port, "127.0.0.2:" + port, "[::1]:" + port, "LOCALHOST", "host.docker.internal:" + port} {
		h := map[string]string{}
		for k, v := range base {
			h[k] = v
		}
		if host != "" {
			h["Host"] = host
		}
		if status, body := send(t, http.MethodPost, url, h, "Action=DeleteReplicationGroup&Version=2015-02-02"); status != http.StatusOK {
			t.Errorf("Host %q: %d %s", host, status, body)
		}
	}
	local := map[string]string{"Origin": "http://localhost:3000", "Referer": "http://127.0.0.1:8080/x", "Sec-Fetch-Site": "same-origin"}
	for k, v := range base {
		local[k] = v
	}
	if status, body := send(t, http.MethodPost, url, local, "Action=DeleteReplicationGroup&Version=2015-02-02"); status != http.StatusOK {
		t.Errorf("local Origin and Referer: %d %s", status, body)
	}
	if n := rc.served.Load(); n != 7 {
		t.Errorf("served %d requests, want 7", n)
	}
}

// TestAdminTakesOnlyJSON: the fault endpoint cannot be driven by a text/plain
// or form POST, which a browser sends cross-site without a preflight.
func TestAdminTakesOnlyJSON(t *testing.T) {
	rt, url := newGuarded(t, &recorder{})
	fault := `{"status":500}`
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		if status, body := send(t, http.MethodPost, url+"/_emulator/faults", map[string]string{"Content-Type": ct}, fault); status != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: %d %s; want 415", ct, status, body)
		}
	}
	if status, body := send(t, http.MethodPost, url+"/_emulator/faults", map[string]string{"Content-Type": "application/json", "Host": "evil.example"}, fault); status != http.StatusForbidden {
		t.Errorf("JSON from a foreign Host: %d %s; want 403", status, body)
	}
	if n := len(rt.Faults().List()); n != 0 {
		t.Fatalf("%d faults were added by refused requests", n)
	}
	if status, body := send(t, http.MethodPost, url+"/_emulator/faults", map[string]string{"Content-Type": "application/json; charset=utf-8"}, fault); status != http.StatusCreated {
		t.Errorf("JSON: %d %s; want 201", status, body)
	}
	if status, body := send(t, http.MethodPost, url+"/_emulator/faults", map[string]string{"Content-Type": "application/json"}, `{"latencyMs":9223372036854775807}`); status != http.StatusBadRequest || !strings.Contains(body, "latencyMs") {
		t.Errorf("latencyMs near 2^63: %d %s; want 400 naming latencyMs", status, body)
	}
}

// TestBodyBounds: a body over the service's limit is refused before it is
// read, a body that stalls is cut off, and the read costs no more than the
// limit.
func TestBodyBounds(t *testing.T) {
	rc := &recorder{}
	rt, url := newGuarded(t, rc)
	lim := server.DefaultLimits
	lim.BodyReadTimeout = 300 * time.Millisecond
	rt.SetLimits(lim)
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": server.DummyAuthorization("elasticache")}

	big := strings.Repeat("a", server.DefaultBodyLimit+1)
	if status, body := send(t, http.MethodPost, url, h, big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("body of limit+1 bytes: %d %.200s; want 413", status, body)
	}

	// A chunked body (no Content-Length) that goes over the limit.
	req, _ := http.NewRequest(http.MethodPost, url, io.MultiReader(strings.NewReader(big), strings.NewReader("")))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the limit: %d; want 413", resp.StatusCode)
	}

	// A body announced at 100 bytes of which 10 arrive, then nothing.
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Authorization: "+server.DummyAuthorization("elasticache")+"\r\nContent-Length: 100\r\n\r\nAction=Del")
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	got, _ := io.ReadAll(conn) // ends when the emulator closes the connection
	if !strings.Contains(string(got), "400") {
		t.Errorf("a stalled body got %q; want a 400 and the connection closed", got)
	}
	if n := rc.served.Load(); n != 0 {
		t.Errorf("%d oversized or stalled requests reached the service", n)
	}
}

// TestInFlightCap: one request over the cap gets a 503 in the service's
// shape, which SDKs retry; the others are served.
func TestInFlightCap(t *testing.T) {
	rc := &recorder{hold: make(chan struct{})}
	rt, url := newGuarded(t, rc)
	lim := server.DefaultLimits
	lim.MaxInFlight = 4
	rt.SetLimits(lim)
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": server.DummyAuthorization("elasticache")}
	var wg sync.WaitGroup
	statuses := make(chan int, 4)
	for range 4 {
		wg.Go(func() {
			status, _ := send(t, http.MethodPost, url, h, "Action=DeleteReplicationGroup&Version=2015-02-02")
			statuses <- status
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for rc.served.Load() < 4 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	status, body := send(t, http.MethodPost, url, h, "Action=DeleteReplicationGroup&Version=2015-02-02")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "<Code>ServiceUnavailable</Code>") {
		t.Errorf("request over the cap: %d %s; want 503 ServiceUnavailable in the service's shape", status, body)
	}
	close(rc.hold)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("a request under the cap got %d", s)
		}
	}
}

// TestStalledConnectionsAreClosed: the emulator's HTTP server closes a
// connection that never finishes its headers.
func TestStalledConnectionsAreClosed(t *testing.T) {
	srv := server.NewHTTPServer(server.New(slog.New(slog.DiscardHandler)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(server.LimitListener(ln, 2)) }()
	t.Cleanup(func() { _ = srv.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n") // never ends the headers
	_ = conn.SetReadDeadline(time.Now().Add(server.HeaderTimeout + 20*time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("connection with unfinished headers was not closed by the server: %v", err)
	}
}

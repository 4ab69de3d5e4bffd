package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/ecprov/ecprov/emulator/cloudwatch"
	"github.com/ecprov/ecprov/emulator/secretsmanager"
	"github.com/ecprov/ecprov/emulator/server"
)

var ctx = context.Background()

// syncBuffer collects log output written from server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	router   *server.Router
	url      string
	logs     *syncBuffer
	attempts atomic.Int64 // requests that reached the router, admin ones excluded
	sm       *sm.Client
	cw       *cw.Client
	// throttled records, per retry, whether the SDK classified the error
	// as throttling.
	mu        sync.Mutex
	throttled []bool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{logs: &syncBuffer{}}
	logger := slog.New(slog.NewJSONHandler(e.logs, nil))
	e.router = server.New(logger, secretsmanager.New(secretsmanager.Options{Logger: logger}), cloudwatch.New(cloudwatch.Options{Logger: logger}))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, server.AdminPrefix) {
			e.attempts.Add(1)
		}
		e.router.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.url = ts.URL

	// The default retry classification, without the waiting.
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(_ int, err error) (time.Duration, error) {
				e.mu.Lock()
				defer e.mu.Unlock()
				e.throttled = append(e.throttled, retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary)
				return 0, nil
			})
		})
	}
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	e.sm = sm.New(sm.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(ts.URL), Retryer: retryer()})
	e.cw = cw.New(cw.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(ts.URL), Retryer: retryer()})
	return e
}

func (e *env) addFault(t *testing.T, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(e.url+"/_emulator/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (e *env) throttleFlags() []bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]bool(nil), e.throttled...)
}

func TestFaultsRetriedBySDK(t *testing.T) {
	tests := []struct {
		name          string
		fault         string
		call          func(e *env) error
		wantAttempts  int64
		wantThrottled []bool
	}{
		{
			name:  "Secrets Manager throttled twice",
			fault: `{"service":"secretsmanager","operation":"CreateSecret","count":2,"code":"ThrottlingException","status":400}`,
			call: func(e *env) error {
				_, err := e.sm.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("v")})
				return err
			},
			wantAttempts: 3, wantThrottled: []bool{true, true},
		},
		{
			name:  "Secrets Manager 500 once",
			fault: `{"service":"secretsmanager","count":1,"status":500}`,
			call: func(e *env) error {
				_, err := e.sm.ListSecrets(ctx, &sm.ListSecretsInput{})
				return err
			},
			wantAttempts: 2, wantThrottled: []bool{false},
		},
		{
			name:  "CloudWatch (CBOR) throttled twice",
			fault: `{"service":"cloudwatch","operation":"PutMetricAlarm","count":2,"code":"Throttling","status":400}`,
			call: func(e *env) error {
				_, err := e.cw.PutMetricAlarm(ctx, &cw.PutMetricAlarmInput{
					AlarmName: aws.String("a"), Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String("Evictions"),
					Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(100),
					ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
				})
				return err
			},
			wantAttempts: 3, wantThrottled: []bool{true, true},
		},
		{
			name:  "CloudWatch 503 once",
			fault: `{"service":"monitoring","operation":"DescribeAlarms","count":1,"status":503}`,
			call: func(e *env) error {
				_, err := e.cw.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
				return err
			},
			wantAttempts: 2, wantThrottled: []bool{false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if resp := e.addFault(t, tt.fault); resp.StatusCode != http.StatusCreated {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("adding fault: %d %s", resp.StatusCode, b)
			}
			if err := tt.call(e); err != nil {
				t.Fatalf("call failed despite retries: %v", err)
			}
			if got := e.attempts.Load(); got != tt.wantAttempts {
				t.Errorf("%d attempts, want %d", got, tt.wantAttempts)
			}
			if got := e.throttleFlags(); !equalBools(got, tt.wantThrottled) {
				t.Errorf("retries classified as throttling: %v, want %v", got, tt.wantThrottled)
			}
			if left := e.router.Faults().List(); len(left) != 0 {
				t.Errorf("faults left after being used up: %+v", left)
			}
		})
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNonRetryableFaultSurfacesAsAPIError(t *testing.T) {
	tests := []struct {
		name  string
		fault string
		call  func(e *env) error
		code  string
	}{
		{"Secrets Manager", `{"service":"secretsmanager","code":"AccessDeniedException","status":400,"message":"no"}`,
			func(e *env) error {
				_, err := e.sm.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("x")})
				return err
			}, "AccessDeniedException"},
		{"CloudWatch", `{"service":"cloudwatch","code":"AccessDenied","status":403}`,
			func(e *env) error {
				_, err := e.cw.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
				return err
			}, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.addFault(t, tt.fault)
			err := tt.call(e)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
				t.Fatalf("got %v, want API error %s", err, tt.code)
			}
			if got := e.attempts.Load(); got != 1 {
				t.Errorf("%d attempts, want 1 (not retryable)", got)
			}
			// count 0: the fault stays until cleared.
			if err := tt.call(e); err == nil {
				t.Error("second call succeeded; a count-0 fault must persist")
			}
			req, _ := http.NewRequest(http.MethodDelete, e.url+"/_emulator/faults", nil)
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("DELETE faults: %v %v", resp, err)
			}
			if err := tt.call(e); err != nil {
				var ae smithy.APIError
				if errors.As(err, &ae) && ae.ErrorCode() == tt.code {
					t.Errorf("fault still applied after DELETE: %v", err)
				}
			}
		})
	}
}

func TestLatencyFault(t *testing.T) {
	e := newEnv(t)
	e.addFault(t, `{"service":"secretsmanager","operation":"ListSecrets","count":1,"latencyMs":300}`)
	start := time.Now()
	if _, err := e.sm.ListSecrets(ctx, &sm.ListSecretsInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("call took %v, want >= 300ms", d)
	}
	start = time.Now()
	if _, err := e.sm.ListSecrets(ctx, &sm.ListSecretsInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("second call took %v; the count-1 latency fault should be used up", d)
	}
}

func TestFaultAdminAPI(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		body       string
		wantStatus int
		wantInBody string
	}{
		{`{"service":"secretsmanager","code":"Throttling"}`, http.StatusCreated, `"status":400`},
		{`{"status":500}`, http.StatusCreated, `"code":"InternalFailure"`},
		{`{"latencyMs":10}`, http.StatusCreated, `"latencyMs":10`},
		{`{"service":"sqs","status":500}`, http.StatusBadRequest, `unknown service \"sqs\"`},
		{`{"status":302}`, http.StatusBadRequest, "not an error status"},
		{`{"status":400}`, http.StatusBadRequest, "needs a code"},
		{`{}`, http.StatusBadRequest, "fault does nothing"},
		{`{"statuss":500}`, http.StatusBadRequest, "unknown field"},
	}
	for _, tt := range tests {
		resp := e.addFault(t, tt.body)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.wantStatus || !strings.Contains(string(b), tt.wantInBody) {
			t.Errorf("POST %s: %d %s; want %d containing %q", tt.body, resp.StatusCode, b, tt.wantStatus, tt.wantInBody)
		}
	}
	resp, err := http.Get(e.url + "/_emulator/faults")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Faults []server.Fault }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Faults) != 3 {
		t.Errorf("GET faults: %+v %v, want 3", list, err)
	}

	resp, err = http.Get(e.url + "/_emulator/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"monitoring"`) || !strings.Contains(string(b), `"secretsmanager"`) {
		t.Errorf("health: %d %s", resp.StatusCode, b)
	}
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	signed := func(service string, h map[string]string) map[string]string {
		h["Authorization"] = server.DummyAuthorization(service)
		return h
	}
	tests := []struct {
		name       string
		header     map[string]string
		path, body string
		wantStatus int
		wantInBody string
	}{
		{"unknown signing name", signed("sqs", map[string]string{}),
			"/", "Action=ListQueues", http.StatusBadRequest, `credential scope service \"sqs\"`},
		{"JSON protocol", signed("secretsmanager", map[string]string{"X-Amz-Target": "secretsmanager.ListSecrets", "Content-Type": "application/x-amz-json-1.1"}),
			"/", "{}", http.StatusOK, `"SecretList":[]`},
		{"RPC v2 CBOR protocol", signed("monitoring", map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}),
			"/service/GraniteServiceVersion20100801/operation/DescribeAlarms", "", http.StatusOK, ""},
		{"unknown operation", signed("secretsmanager", map[string]string{"X-Amz-Target": "secretsmanager.RotateSecret", "Content-Type": "application/x-amz-json-1.1"}),
			"/", "{}", http.StatusBadRequest, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := e.do(t, http.MethodPost, tt.path, tt.header, tt.body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(b, tt.wantInBody) {
				t.Errorf("got %d %s; want %d containing %q", resp.StatusCode, b, tt.wantStatus, tt.wantInBody)
			}
			if resp.Header.Get("X-Amzn-Requestid") == "" || resp.Header.Get("X-Amz-Request-Id") != resp.Header.Get("X-Amzn-Requestid") {
				t.Errorf("request id headers: %q %q", resp.Header.Get("X-Amzn-Requestid"), resp.Header.Get("X-Amz-Request-Id"))
			}
		})
	}
}

// do sends one raw request to the router and returns the answer and its body.
func (e *env) do(t *testing.T, method, path string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestRequestLog checks one structured line per request, and that secret
// values never reach the log.
func TestRequestLog(t *testing.T) {
	e := newEnv(t)
	const secret = "hunter2-very-secret"
	out, err := e.sm.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String(secret)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sm.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: out.ARN}); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	if strings.Contains(logs, secret) {
		t.Fatalf("secret value in logs:\n%s", logs)
	}
	var found bool
	for line := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == "request" && rec["operation"] == "GetSecretValue" {
			found = true
			if rec["service"] != "secretsmanager" || rec["status"] != float64(200) || rec["requestId"] == "" || rec["durationMs"] == nil {
				t.Errorf("request log line lacks fields: %v", rec)
			}
		}
	}
	if !found {
		t.Errorf("no request log line for GetSecretValue in:\n%s", logs)
	}
}

// panicky is a service whose handler panics.
type panicky struct{}

func (panicky) SigningName() string                          { return "panicky" }
func (panicky) Operation(*http.Request, []byte) string       { return "Boom" }
func (panicky) ServeHTTP(http.ResponseWriter, *http.Request) { panic("boom") }
func (panicky) WriteError(w http.ResponseWriter, _ *http.Request, status int, code, message string) {
	w.WriteHeader(status)
	_, _ = io.WriteString(w, code+": "+message)
}

func TestPanicBecomes500(t *testing.T) {
	logs := &syncBuffer{}
	ts := httptest.NewServer(server.New(slog.New(slog.NewJSONHandler(logs, nil)), panicky{}))
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodPost, ts.URL, nil)
	req.Header.Set("Authorization", server.DummyAuthorization("panicky"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request failed instead of a 500: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(string(b), "InternalFailure: ") {
		t.Errorf("got %d %s", resp.StatusCode, b)
	}
	if l := logs.String(); !strings.Contains(l, `"panic":"boom"`) || !strings.Contains(l, `"status":500`) {
		t.Errorf("log lacks the panic or the 500:\n%s", l)
	}
}

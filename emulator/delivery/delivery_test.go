package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestLogKeepsTheLastAndDrains(t *testing.T) {
	l := NewLog[int](2)
	for i := 1; i <= 3; i++ {
		l.Begin()
		l.End(i)
	}
	if got := l.All(); !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("All = %v, want [2 3]", got)
	}
	l.Begin()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain with one in flight = %v, want a time-out", err)
	}
	release := l.Hold()
	l.End(4)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if err := l.Drain(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain while held = %v, want a time-out", err)
	}
	release()
	if err := l.Drain(context.Background()); err != nil {
		t.Fatalf("Drain when idle: %v", err)
	}
}

func TestIsPermanent(t *testing.T) {
	if !IsPermanent(fmt.Errorf("wrapped: %w", Permanent(errors.New("no such function")))) {
		t.Fatal("a wrapped permanent error is not recognised")
	}
	if IsPermanent(errors.New("throttled")) {
		t.Fatal("a plain error counts as permanent")
	}
}

func TestRetry(t *testing.T) {
	failing := func(n int, last error) func(context.Context) error {
		calls := 0
		return func(context.Context) error {
			calls++
			if calls <= n {
				return fmt.Errorf("attempt %d: throttled", calls)
			}
			return last
		}
	}
	policy := Policy{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		policy    Policy
		attempt   func(context.Context) error
		attempts  int
		succeeded bool
		backoffs  []time.Duration
	}{
		{"succeeds after two failures", policy, failing(2, nil), 3, true, []time.Duration{time.Millisecond, 2 * time.Millisecond}},
		{"gives up after Attempts", policy, failing(5, nil), 3, false, []time.Duration{time.Millisecond, 2 * time.Millisecond}},
		{"backoff doubles up to MaxBackoff", Policy{Attempts: 4, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}, failing(5, nil), 4, false,
			[]time.Duration{time.Millisecond, 2 * time.Millisecond, 2 * time.Millisecond}},
		{"a permanent error stops at once", policy, failing(0, Permanent(errors.New("no such function"))), 1, false, nil},
		// The next attempt would start after the deadline: no retry.
		{"deadline", Policy{Attempts: 3, Backoff: time.Minute, Deadline: t0.Add(30 * time.Second), Now: func() time.Time { return t0 }}, failing(5, nil), 1, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			tt.policy.Log, tt.policy.What = slog.New(slog.NewJSONHandler(&logs, nil)), "event"
			out := Retry(context.Background(), tt.policy, tt.attempt)
			lines := logLines(t, &logs)
			var backoffs []time.Duration
			for _, l := range lines[:len(lines)-1] {
				if l["msg"] != "event delivery failed; retrying" {
					t.Errorf("log %v, want a retry", l)
				}
				backoffs = append(backoffs, time.Duration(l["backoff"].(float64)))
			}
			last := map[bool]string{true: "event delivered", false: "event delivery failed"}[tt.succeeded]
			if out.Attempts != tt.attempts || out.Succeeded != tt.succeeded || len(out.Errors) != tt.attempts-map[bool]int{true: 1}[tt.succeeded] ||
				!slices.Equal(backoffs, tt.backoffs) || (out.Err == nil) != tt.succeeded || out.ShutDown || lines[len(lines)-1]["msg"] != last {
				t.Errorf("Retry = %+v, backoffs %v, logs %v; want %d attempts, succeeded %v, backoffs %v", out, backoffs, lines, tt.attempts, tt.succeeded, tt.backoffs)
			}
		})
	}
}

func logLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %s: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRetryStopsWhenShutDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := Retry(ctx, Policy{Attempts: 5, Backoff: time.Hour}, func(context.Context) error {
		cancel() // the emulator shuts down during the first attempt
		return errors.New("5xx")
	})
	if out.Attempts != 1 || !out.ShutDown || !slices.Equal(out.Errors, []string{"5xx", ShutDownMessage}) {
		t.Fatalf("Retry after shut-down = %+v", out)
	}
}

func TestGo(t *testing.T) {
	l := NewLog[string](10)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	l.Go(ctx, &wg, func() string { <-release; return "delivered" }, func() string { return "not started" })
	waitCtx, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	if err := l.Drain(waitCtx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain with a delivery running = %v, want a time-out", err)
	}
	close(release)
	wg.Wait()
	cancel()
	l.Go(ctx, &wg, func() string { return "delivered after shut-down" }, func() string { return "not started" })
	if err := l.Drain(context.Background()); err != nil || !slices.Equal(l.All(), []string{"delivered", "not started"}) {
		t.Fatalf("Drain = %v, All = %v", err, l.All())
	}
}

// Package delivery is what the emulator's asynchronous senders share
// (EventBridge targets, SNS subscriptions): the retry loop with its
// back-off, a mark for errors that retrying cannot fix, and a bounded log of
// finished deliveries that also counts the ones in flight, so that tests
// can wait until all have ended.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Policy bounds the attempts of one delivery and says how to log them.
type Policy struct {
	// Attempts is how many attempts at most, the first included.
	Attempts int
	// Backoff is the wait before the first retry; it doubles on each retry
	// up to MaxBackoff (default 30 s).
	Backoff, MaxBackoff time.Duration
	// Deadline, when set, ends the retries: none starts after it
	// (EventBridge's MaximumEventAgeInSeconds). Now is its clock.
	Deadline time.Time
	Now      func() time.Time
	// Log hears of each retry and of the outcome: "<What> delivery failed;
	// retrying", "<What> delivered", "<What> delivery failed" (with
	// FailAttrs). A delivery cut short by a shut-down logs no outcome.
	Log       *slog.Logger
	What      string
	FailAttrs []any
}

// Outcome is what Retry did.
type Outcome struct {
	Attempts  int
	Succeeded bool
	// Errors holds the error of each failed attempt, in order, and
	// ShutDownMessage when the emulator shut down before the next retry.
	Errors []string
	// Err is the last attempt's error (nil when it succeeded).
	Err error
	// ShutDown: ctx ended while waiting for a retry.
	ShutDown bool
}

// Messages a delivery record may end with.
const (
	ShutDownMessage   = "emulator shut down before the next retry"
	NotStartedMessage = "the emulator is shut down"
)

// Retry calls attempt until it succeeds, fails with an error marked
// Permanent, or the policy allows no more attempts.
func Retry(ctx context.Context, p Policy, attempt func(context.Context) error) Outcome {
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 30 * time.Second
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	var out Outcome
	backoff := p.Backoff
	for {
		out.Attempts++
		if out.Err = attempt(ctx); out.Err == nil {
			out.Succeeded = true
			p.Log.Info(p.What+" delivered", "attempts", out.Attempts)
			return out
		}
		out.Errors = append(out.Errors, out.Err.Error())
		if IsPermanent(out.Err) || out.Attempts >= p.Attempts ||
			(!p.Deadline.IsZero() && p.Now().Add(backoff).After(p.Deadline)) {
			p.Log.Warn(p.What+" delivery failed", append([]any{"attempts", out.Attempts, "err", out.Err}, p.FailAttrs...)...)
			return out
		}
		p.Log.Info(p.What+" delivery failed; retrying", "attempt", out.Attempts, "err", out.Err, "backoff", backoff)
		timer := time.NewTimer(backoff)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			out.Errors = append(out.Errors, ShutDownMessage)
			out.ShutDown = true
			return out
		}
		backoff = min(2*backoff, p.MaxBackoff)
	}
}

// PermanentError wraps an error that retrying cannot fix (the target does
// not exist): the delivery stops at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var perm *PermanentError
	return errors.As(err, &perm)
}

// Log keeps the last max finished deliveries and counts those in flight.
type Log[T any] struct {
	mu       sync.Mutex
	done     []T
	max      int
	inFlight int
	idle     chan struct{} // closed while nothing is in flight
}

// NewLog returns an empty log keeping at most max deliveries.
func NewLog[T any](max int) *Log[T] {
	idle := make(chan struct{})
	close(idle)
	return &Log[T]{max: max, idle: idle}
}

// Begin counts one delivery in flight.
func (l *Log[T]) Begin() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight == 0 {
		l.idle = make(chan struct{})
	}
	l.inFlight++
}

// End records a finished delivery.
func (l *Log[T]) End(d T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = append(l.done, d)
	if len(l.done) > l.max {
		l.done = slices.Delete(l.done, 0, len(l.done)-l.max)
	}
	l.release()
}

// Go runs deliver in the background, in flight until it returns its
// record, and counted in wg (which the service's Close waits for). When
// ctx has already ended nothing runs, and notStarted's record is kept.
func (l *Log[T]) Go(ctx context.Context, wg *sync.WaitGroup, deliver, notStarted func() T) {
	l.Begin()
	if ctx.Err() != nil {
		l.End(notStarted())
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.End(deliver())
	}()
}

// Hold keeps Drain waiting until the returned func is called, so that
// deliveries about to start are not missed.
func (l *Log[T]) Hold() func() {
	l.Begin()
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.release()
	}
}

// release ends one unit in flight; l.mu is held.
func (l *Log[T]) release() {
	l.inFlight--
	if l.inFlight == 0 {
		close(l.idle)
	}
}

// All returns the finished deliveries, oldest first.
func (l *Log[T]) All() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.done)
}

// Drain waits until no delivery is in flight.
func (l *Log[T]) Drain(ctx context.Context) error {
	l.mu.Lock()
	idle := l.idle
	l.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Package delivery is what the emulator's asynchronous senders share
// (EventBridge targets, SNS subscriptions): the retry loop with its
// back-off, a mark for errors that retrying cannot fix, and a bounded log of
// finished deliveries that also counts the ones in flight, so that tests
// can wait until all have ended.
package delivery

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Policy bounds the attempts of one delivery.
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
}

// Outcome is what Retry did.
type Outcome struct {
	Attempts  int
	Succeeded bool
	// Errors holds the error of each failed attempt, in order, and a last
	// line when the emulator shut down before the next retry.
	Errors []string
	// Err is the last attempt's error (nil when it succeeded).
	Err error
	// ShutDown: ctx ended while waiting for a retry.
	ShutDown bool
}

// ShutDownMessage is the last of Outcome.Errors when the emulator shut
// down before a retry.
const ShutDownMessage = "emulator shut down before the next retry"

// Retry calls attempt until it succeeds, fails with an error marked
// Permanent, or the policy allows no more attempts. onRetry, if not nil,
// hears of each retry before its wait.
func Retry(ctx context.Context, p Policy, attempt func(context.Context) error, onRetry func(attempt int, err error, backoff time.Duration)) Outcome {
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 30 * time.Second
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	var out Outcome
	backoff := p.Backoff
	for {
		out.Attempts++
		out.Err = attempt(ctx)
		if out.Err == nil {
			out.Succeeded = true
			return out
		}
		out.Errors = append(out.Errors, out.Err.Error())
		if IsPermanent(out.Err) || out.Attempts >= p.Attempts ||
			(!p.Deadline.IsZero() && p.Now().Add(backoff).After(p.Deadline)) {
			return out
		}
		if onRetry != nil {
			onRetry(out.Attempts, out.Err, backoff)
		}
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

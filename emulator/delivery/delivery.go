// Package delivery is what the emulator's asynchronous senders share
// (EventBridge targets, SNS subscriptions): a mark for errors that retrying
// cannot fix, and a bounded log of finished deliveries that also counts the
// ones in flight, so that tests can wait until all have ended.
package delivery

import (
	"context"
	"errors"
	"slices"
	"sync"
)

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

package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

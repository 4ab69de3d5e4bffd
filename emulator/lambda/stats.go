package lambda

import (
	"slices"
	"sync"
	"time"
)

// Stats are a function's figures since it was created, for benchmarks and
// tests. Duration lists keep the latest 100 values, oldest first.
type Stats struct {
	// Instances is the number of live instances (busy or idle).
	Instances int
	// ColdStarts counts runtime initialisations: one per new instance and
	// one after each crash or time-out, when the RIE starts the runtime
	// again.
	ColdStarts int
	// Invocations and FunctionErrors count completed invocations.
	Invocations    int
	FunctionErrors int
	// InitDurations are the RIE's INIT durations (the bootstrap's start
	// until it asks for its first event), as in Lambda's "Init Duration".
	InitDurations []time.Duration
	// StartDurations are the times from spawning an RIE to it accepting
	// invocations.
	StartDurations []time.Duration
	// ColdInvokeDurations are the wall-clock times of invocations that
	// started a new instance, start-up and init included; WarmInvokeDurations
	// those of invocations served by a running instance.
	ColdInvokeDurations []time.Duration
	WarmInvokeDurations []time.Duration
}

// LastInitDuration is the latest INIT duration, or 0.
func (s Stats) LastInitDuration() time.Duration {
	if len(s.InitDurations) == 0 {
		return 0
	}
	return s.InitDurations[len(s.InitDurations)-1]
}

const keepDurations = 100

type stats struct {
	mu sync.Mutex
	s  Stats
}

func push(l []time.Duration, d time.Duration) []time.Duration {
	l = append(l, d)
	if len(l) > keepDurations {
		l = slices.Delete(l, 0, len(l)-keepDurations)
	}
	return l
}

func (st *stats) coldStart() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.ColdStarts++
}

func (st *stats) initDone(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.InitDurations = push(st.s.InitDurations, d)
}

func (st *stats) started(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.StartDurations = push(st.s.StartDurations, d)
}

func (st *stats) invoked(d time.Duration, cold, functionError bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Invocations++
	if functionError {
		st.s.FunctionErrors++
	}
	if cold {
		st.s.ColdInvokeDurations = push(st.s.ColdInvokeDurations, d)
	} else {
		st.s.WarmInvokeDurations = push(st.s.WarmInvokeDurations, d)
	}
}

func (st *stats) snapshot() Stats {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.InitDurations = slices.Clone(s.InitDurations)
	s.StartDurations = slices.Clone(s.StartDurations)
	s.ColdInvokeDurations = slices.Clone(s.ColdInvokeDurations)
	s.WarmInvokeDurations = slices.Clone(s.WarmInvokeDurations)
	return s
}

package stepfunctions

import "context"

// MaxHistoryEvents is Step Functions' history quota.
const MaxHistoryEvents = maxHistoryEvents

// SetHistoryLimit sets the history limit of executions started from now on,
// so that a test can keep a loop running as long as it needs.
func SetHistoryLimit(s *Service, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.historyLimit = n
}

// RunnerStats asks the runner for the executions running and the state
// machine loops (executions', Map iterations', Parallel branches') still
// stepping.
func RunnerStats(ctx context.Context, s *Service) (running, loops int, err error) {
	r, err := s.getRunner(ctx)
	if err != nil {
		return 0, 0, err
	}
	reply, err := r.request(ctx, map[string]any{"op": "stats"})
	if err != nil {
		return 0, 0, err
	}
	return reply.Running, reply.Loops, nil
}

package eventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// schedule is a parsed ScheduleExpression.
type schedule interface {
	// next is the first fire time strictly after t; ok false when there
	// is none (a cron year range in the past).
	next(t time.Time) (time.Time, bool)
}

var rateRE = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// parseSchedule reads rate(value unit) or cron(six fields). The unit of a
// rate is singular for 1 and plural otherwise, as AWS requires
// (rate(1 hours) and rate(5 hour) are not valid).
func parseSchedule(expr string) (schedule, error) {
	if m := rateRE.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return nil, errors.New("rate value must be a positive integer")
		}
		unit := strings.TrimSuffix(m[2], "s")
		if (n == 1) != (unit == m[2]) {
			return nil, errors.New("rate unit must be singular for 1 and plural otherwise")
		}
		d := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[unit]
		return rateSchedule{every: time.Duration(n) * d}, nil
	}
	if body, ok := strings.CutPrefix(expr, "cron("); ok && strings.HasSuffix(body, ")") {
		return parseCron(strings.TrimSuffix(body, ")"))
	}
	return nil, errors.New("not a rate or cron expression")
}

type rateSchedule struct{ every time.Duration }

func (r rateSchedule) next(t time.Time) (time.Time, bool) { return t.Add(r.every), true }

// startScheduleLocked starts the schedule goroutine of an enabled
// scheduled rule. svc.mu is held.
func (svc *Service) startScheduleLocked(r *rule) {
	if r.schedule == nil || !r.enabled() || svc.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(svc.ctx)
	r.stopSchedule = cancel
	svc.scheduleGen++
	r.scheduleGen = svc.scheduleGen
	gen := r.scheduleGen
	svc.wg.Add(1)
	go func() {
		defer svc.wg.Done()
		svc.runSchedule(ctx, r.bus, r.name, gen, r.schedule)
	}()
}

// stopScheduleLocked stops a rule's schedule goroutine. svc.mu is held.
func (svc *Service) stopScheduleLocked(r *rule) {
	if r.stopSchedule != nil {
		r.stopSchedule()
		r.stopSchedule = nil
	}
}

// runSchedule fires a rule on its schedule. It keeps the schedule's own
// clock, which runs ScheduleScale times faster than real time.
func (svc *Service) runSchedule(ctx context.Context, busName, ruleName string, gen int, s schedule) {
	clock := svc.opts.Now().UTC()
	for {
		next, ok := s.next(clock)
		if !ok {
			return
		}
		timer := time.NewTimer(time.Duration(float64(next.Sub(clock)) * svc.opts.ScheduleScale))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		clock = next
		svc.fireScheduled(busName, ruleName, gen, next)
	}
}

// fireScheduled sends the scheduled event to the rule's targets. Like AWS,
// a scheduled event goes to its rule only, not onto the bus. gen guards
// against a schedule that was replaced or stopped meanwhile.
func (svc *Service) fireScheduled(busName, ruleName string, gen int, at time.Time) {
	svc.mu.Lock()
	b, ok := svc.buses[busName]
	var r *rule
	if ok {
		r = b.rules[ruleName]
	}
	if r == nil || !r.enabled() || r.stopSchedule == nil || r.scheduleGen != gen {
		svc.mu.Unlock()
		return
	}
	targets := append([]*target(nil), r.targets...)
	ruleARN := r.arn
	// Hold Drain until the deliveries have started: a DisableRule that
	// returns after this point must not see them start later.
	release := svc.deliveries.Hold()
	defer release()
	svc.mu.Unlock()

	env := envelope{
		Version: "0", ID: newID(), DetailType: "Scheduled Event", Source: "aws.events",
		Account: svc.opts.AccountID, Time: at.UTC().Format(time.RFC3339), Region: svc.opts.Region,
		Resources: []string{ruleARN}, Detail: json.RawMessage(`{}`),
	}
	a := &accepted{bus: busName, env: env, json: marshal(env), ingestion: svc.opts.Now().UTC()}
	a.decoded = decode(a.json)
	svc.log.Info("scheduled rule fired", "bus", busName, "rule", ruleName, "eventId", env.ID, "targets", len(targets))
	for _, t := range targets {
		svc.startDelivery(a, ruleName, ruleARN, t)
	}
}

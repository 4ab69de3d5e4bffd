package eventbridge

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecprov/ecprov/emulator/eventpattern"
)

const defaultBus = "default"

// Rule states the emulator sets; PutRule takes any of the model's
// RuleState enum (ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS too).
const (
	stateEnabled  = "ENABLED"
	stateDisabled = "DISABLED"
)

// maxTargetsPerRule is EventBridge's quota of targets on one rule.
const maxTargetsPerRule = 5

type bus struct {
	name, arn   string
	description string
	kmsKey      string
	dlq         *wireDeadLetterConfig
	created     time.Time
	modified    time.Time
	tags        map[string]string
	rules       map[string]*rule
}

type rule struct {
	name, arn   string
	bus         string
	pattern     string
	compiled    *eventpattern.Pattern
	scheduleSrc string
	schedule    schedule
	state       string
	description string
	roleARN     string
	tags        map[string]string
	targets     []*target // in the order they were first put
	// stopSchedule stops the rule's schedule goroutine (nil when none runs).
	stopSchedule context.CancelFunc
	scheduleGen  int
}

func (r *rule) enabled() bool { return r.state != stateDisabled }

type target struct {
	spec        wireTarget
	transformer *inputTransformer // when spec.InputTransformer is set
}

func (svc *Service) busARN(name string) string {
	return "arn:aws:events:" + svc.opts.Region + ":" + svc.opts.AccountID + ":event-bus/" + name
}

// ruleARN follows AWS: rules of the default bus are rule/NAME, others
// rule/BUS/NAME.
func (svc *Service) ruleARN(busName, name string) string {
	if busName == defaultBus {
		return "arn:aws:events:" + svc.opts.Region + ":" + svc.opts.AccountID + ":rule/" + name
	}
	return "arn:aws:events:" + svc.opts.Region + ":" + svc.opts.AccountID + ":rule/" + busName + "/" + name
}

// busName resolves an EventBusName parameter, a name or an ARN ("" is the
// default bus).
func busName(nameOrARN string) string {
	if nameOrARN == "" {
		return defaultBus
	}
	if strings.HasPrefix(nameOrARN, "arn:") {
		if _, name, ok := strings.Cut(nameOrARN, ":event-bus/"); ok {
			return name
		}
	}
	return nameOrARN
}

// findBus returns the bus, or ResourceNotFoundException. svc.mu is held.
func (svc *Service) findBus(nameOrARN string) (*bus, error) {
	name := busName(nameOrARN)
	b, ok := svc.buses[name]
	if !ok {
		return nil, errBusNotFound(name)
	}
	return b, nil
}

// findRule returns the rule of a bus, or ResourceNotFoundException. svc.mu
// is held.
func (svc *Service) findRule(busNameOrARN, name string) (*bus, *rule, error) {
	b, err := svc.findBus(busNameOrARN)
	if err != nil {
		return nil, nil, err
	}
	r, ok := b.rules[name]
	if !ok {
		return nil, nil, errRuleNotFound(name, b.name)
	}
	return b, r, nil
}

func (r *rule) wire() wireRule {
	return wireRule{
		Name: r.name, Arn: r.arn, EventBusName: r.bus,
		EventPattern: r.pattern, ScheduleExpression: r.scheduleSrc,
		State: r.state, Description: r.description, RoleArn: r.roleARN,
	}
}

func (b *bus) wire() wireEventBus {
	return wireEventBus{Name: b.name, Arn: b.arn, Description: b.description, CreationTime: b.created, LastModifiedTime: b.modified}
}

func tagMap(tags []wireTag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

func tagList(m map[string]string) []wireTag {
	out := make([]wireTag, 0, len(m))
	for k, v := range m {
		out = append(out, wireTag{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b wireTag) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// page cuts a sorted list at NextToken (an offset) and Limit.
func page[T any](items []T, limit int, token string) ([]T, string, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", errValidation("The NextToken provided is invalid.")
		}
		start = n
	}
	if limit <= 0 || start+limit >= len(items) {
		return items[start:], "", nil
	}
	return items[start : start+limit], strconv.Itoa(start + limit), nil
}

// ring keeps the last n values appended.
type ring[T any] struct {
	items []T
	next  int
	full  bool
}

func newRing[T any](n int) *ring[T] { return &ring[T]{items: make([]T, n)} }

func (r *ring[T]) add(v T) {
	r.items[r.next] = v
	r.next++
	if r.next == len(r.items) {
		r.next, r.full = 0, true
	}
}

// all returns the values, oldest first.
func (r *ring[T]) all() []T {
	if !r.full {
		return slices.Clone(r.items[:r.next])
	}
	return append(slices.Clone(r.items[r.next:]), r.items[:r.next]...)
}

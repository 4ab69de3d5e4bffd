package eventbridge

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/ecprov/ecprov/emulator/eventpattern"
)

func (svc *Service) putRule(ctx context.Context, in *putRuleInput) (*putRuleOutput, error) {
	if in.EventPattern == "" && in.ScheduleExpression == "" {
		return nil, errValidation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	var compiled *eventpattern.Pattern
	if in.EventPattern != "" {
		p, err := eventpattern.Compile(in.EventPattern)
		if err != nil {
			return nil, clientError("InvalidEventPatternException", "%s", err.Error())
		}
		compiled = p
	}
	var sched schedule
	if in.ScheduleExpression != "" {
		if busName(in.EventBusName) != defaultBus {
			return nil, errValidation("ScheduleExpression is supported only on the default event bus.")
		}
		s, err := parseSchedule(in.ScheduleExpression)
		if err != nil {
			return nil, errValidation("Parameter ScheduleExpression is not valid.")
		}
		sched = s
	}
	state := in.State
	if state == "" {
		state = stateEnabled
	}

	svc.mu.Lock()
	defer svc.mu.Unlock()
	b, err := svc.findBus(in.EventBusName)
	if err != nil {
		return nil, err
	}
	// PutRule replaces a rule: omitted arguments are not kept, except its
	// targets and tags (tags are only applied at creation).
	r, exists := b.rules[in.Name]
	if !exists {
		r = &rule{name: in.Name, bus: b.name, arn: svc.ruleARN(b.name, in.Name), tags: tagMap(in.Tags)}
		b.rules[in.Name] = r
	}
	svc.stopScheduleLocked(r)
	r.pattern, r.compiled = in.EventPattern, compiled
	r.scheduleSrc, r.schedule = in.ScheduleExpression, sched
	r.state, r.description, r.roleARN = state, in.Description, in.RoleArn
	svc.startScheduleLocked(r)
	svc.log.InfoContext(ctx, "rule put", logAttrs(ctx, "bus", b.name, "rule", in.Name, "state", state,
		"schedule", in.ScheduleExpression, "updated", exists)...)
	return &putRuleOutput{RuleArn: r.arn}, nil
}

func (svc *Service) describeRule(_ context.Context, in *ruleInput) (*describeRuleOutput, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	_, r, err := svc.findRule(in.EventBusName, in.Name)
	if err != nil {
		return nil, err
	}
	w := r.wire()
	return &describeRuleOutput{
		Name: w.Name, Arn: w.Arn, EventBusName: w.EventBusName, EventPattern: w.EventPattern,
		ScheduleExpression: w.ScheduleExpression, State: w.State, Description: w.Description,
		RoleArn: w.RoleArn, CreatedBy: svc.opts.AccountID,
	}, nil
}

func (svc *Service) listRules(_ context.Context, in *listRulesInput) (*listRulesOutput, error) {
	svc.mu.Lock()
	b, err := svc.findBus(in.EventBusName)
	if err != nil {
		svc.mu.Unlock()
		return nil, err
	}
	rules := []wireRule{}
	for _, name := range slices.Sorted(maps.Keys(b.rules)) {
		if strings.HasPrefix(name, in.NamePrefix) {
			rules = append(rules, b.rules[name].wire())
		}
	}
	svc.mu.Unlock()
	items, next, err := page(rules, in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &listRulesOutput{Rules: items, NextToken: next}, nil
}

// deleteRule succeeds for a rule that does not exist, as AWS does, and
// refuses a rule that still has targets.
func (svc *Service) deleteRule(ctx context.Context, in *ruleInput) (*empty, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	b, err := svc.findBus(in.EventBusName)
	if err != nil {
		return nil, err
	}
	r, ok := b.rules[in.Name]
	if !ok {
		return &empty{}, nil
	}
	if len(r.targets) > 0 {
		return nil, errValidation("Rule can't be deleted since it has targets.")
	}
	svc.stopScheduleLocked(r)
	delete(b.rules, r.name)
	svc.log.InfoContext(ctx, "rule deleted", logAttrs(ctx, "bus", b.name, "rule", r.name)...)
	return &empty{}, nil
}

func (svc *Service) enableRule(ctx context.Context, in *ruleInput) (*empty, error) {
	return svc.setRuleState(ctx, in, stateEnabled)
}

func (svc *Service) disableRule(ctx context.Context, in *ruleInput) (*empty, error) {
	return svc.setRuleState(ctx, in, stateDisabled)
}

func (svc *Service) setRuleState(ctx context.Context, in *ruleInput, state string) (*empty, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	b, r, err := svc.findRule(in.EventBusName, in.Name)
	if err != nil {
		return nil, err
	}
	svc.stopScheduleLocked(r)
	r.state = state
	svc.startScheduleLocked(r)
	svc.log.InfoContext(ctx, "rule state set", logAttrs(ctx, "bus", b.name, "rule", r.name, "state", state)...)
	return &empty{}, nil
}

func (svc *Service) testEventPattern(_ context.Context, in *testEventPatternInput) (*testEventPatternOutput, error) {
	p, err := eventpattern.Compile(in.EventPattern)
	if err != nil {
		return nil, clientError("InvalidEventPatternException", "%s", err.Error())
	}
	// AWS checks that Event is an object with the envelope's fields.
	var ev map[string]any
	if json.Unmarshal([]byte(in.Event), &ev) != nil || ev == nil {
		return nil, errValidation("Parameter Event is not valid.")
	}
	for _, f := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		if _, ok := ev[f]; !ok {
			return nil, errValidation("Parameter Event is not valid.")
		}
	}
	return &testEventPatternOutput{Result: p.Matches([]byte(in.Event))}, nil
}

// taggable finds the tag map of a rule or bus ARN. svc.mu is held.
func (svc *Service) taggable(arn string) (map[string]string, error) {
	prefix := "arn:aws:events:" + svc.opts.Region + ":" + svc.opts.AccountID + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	if ok {
		if name, isBus := strings.CutPrefix(rest, "event-bus/"); isBus {
			if b, found := svc.buses[name]; found {
				return b.tags, nil
			}
		} else if path, isRule := strings.CutPrefix(rest, "rule/"); isRule {
			busName, name := defaultBus, path
			if i := strings.LastIndexByte(path, '/'); i >= 0 {
				busName, name = path[:i], path[i+1:]
			}
			if b, found := svc.buses[busName]; found {
				if r, found := b.rules[name]; found {
					return r.tags, nil
				}
			}
		}
	}
	return nil, clientError("ResourceNotFoundException", "Resource %s does not exist.", arn)
}

func (svc *Service) tagResource(_ context.Context, in *tagResourceInput) (*empty, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	tags, err := svc.taggable(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	maps.Copy(tags, tagMap(in.Tags))
	return &empty{}, nil
}

func (svc *Service) untagResource(_ context.Context, in *untagResourceInput) (*empty, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	tags, err := svc.taggable(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		delete(tags, k)
	}
	return &empty{}, nil
}

func (svc *Service) listTagsForResource(_ context.Context, in *listTagsForResourceInput) (*listTagsForResourceOutput, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	tags, err := svc.taggable(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return &listTagsForResourceOutput{Tags: tagList(tags)}, nil
}

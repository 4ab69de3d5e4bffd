package eventbridge

import (
	"context"
	"encoding/json"
	"slices"
)

func (svc *Service) putTargets(ctx context.Context, in *putTargetsInput) (*targetsResultOutput, error) {
	targets := make([]*target, len(in.Targets))
	for i, spec := range in.Targets {
		n := 0
		for _, set := range []bool{spec.Input != nil, spec.InputPath != nil, spec.InputTransformer != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			return nil, errValidation("Only one of Input, InputPath, or InputTransformer must be provided for target %s.", spec.ID)
		}
		if spec.Input != nil && !json.Valid([]byte(*spec.Input)) {
			return nil, errValidation("Input for target %s is not valid JSON text.", spec.ID)
		}
		t := &target{spec: spec}
		if spec.InputTransformer != nil {
			tr, err := compileTransformer(spec.ID, spec.InputTransformer)
			if err != nil {
				return nil, err
			}
			t.transformer = tr
		}
		targets[i] = t
	}

	svc.mu.Lock()
	defer svc.mu.Unlock()
	b, r, err := svc.findRule(in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	merged := slices.Clone(r.targets)
	for _, t := range targets {
		if i := slices.IndexFunc(merged, func(old *target) bool { return old.spec.ID == t.spec.ID }); i >= 0 {
			merged[i] = t
		} else {
			merged = append(merged, t)
		}
	}
	if len(merged) > maxTargetsPerRule {
		return nil, clientError("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
	}
	r.targets = merged
	ids := make([]string, len(targets))
	for i, t := range targets {
		ids[i] = t.spec.ID
	}
	svc.log.InfoContext(ctx, "targets put", logAttrs(ctx, "bus", b.name, "rule", r.name, "targetIds", ids)...)
	return &targetsResultOutput{FailedEntries: []failedTargetEntry{}}, nil
}

func (svc *Service) listTargetsByRule(_ context.Context, in *listTargetsByRuleInput) (*listTargetsByRuleOutput, error) {
	svc.mu.Lock()
	_, r, err := svc.findRule(in.EventBusName, in.Rule)
	if err != nil {
		svc.mu.Unlock()
		return nil, err
	}
	specs := make([]wireTarget, len(r.targets))
	for i, t := range r.targets {
		specs[i] = t.spec
	}
	svc.mu.Unlock()
	items, next, err := page(specs, in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &listTargetsByRuleOutput{Targets: items, NextToken: next}, nil
}

// removeTargets removes the given ids; ids the rule does not have are
// ignored, as AWS does.
func (svc *Service) removeTargets(ctx context.Context, in *removeTargetsInput) (*targetsResultOutput, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	b, r, err := svc.findRule(in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	r.targets = slices.DeleteFunc(slices.Clone(r.targets), func(t *target) bool { return slices.Contains(in.IDs, t.spec.ID) })
	svc.log.InfoContext(ctx, "targets removed", logAttrs(ctx, "bus", b.name, "rule", r.name, "targetIds", in.IDs)...)
	return &targetsResultOutput{FailedEntries: []failedTargetEntry{}}, nil
}

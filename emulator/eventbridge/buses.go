package eventbridge

import (
	"context"
	"maps"
	"slices"
	"strings"
)

func (svc *Service) createEventBus(ctx context.Context, in *createEventBusInput) (*createEventBusOutput, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if _, ok := svc.buses[in.Name]; ok {
		return nil, clientError("ResourceAlreadyExistsException", "Event bus %s already exists.", in.Name)
	}
	now := svc.opts.Now().UTC()
	b := &bus{
		name: in.Name, arn: svc.busARN(in.Name), description: in.Description,
		kmsKey: in.KmsKeyIdentifier, dlq: in.DeadLetterConfig,
		created: now, modified: now, tags: tagMap(in.Tags), rules: map[string]*rule{},
	}
	svc.buses[in.Name] = b
	svc.log.InfoContext(ctx, "event bus created", logAttrs(ctx, "bus", in.Name)...)
	return &createEventBusOutput{EventBusArn: b.arn, Description: b.description, KmsKeyIdentifier: b.kmsKey, DeadLetterConfig: b.dlq}, nil
}

func (svc *Service) describeEventBus(_ context.Context, in *nameInput) (*describeEventBusOutput, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	b, err := svc.findBus(in.Name)
	if err != nil {
		return nil, err
	}
	return &describeEventBusOutput{
		Name: b.name, Arn: b.arn, Description: b.description, KmsKeyIdentifier: b.kmsKey,
		DeadLetterConfig: b.dlq, CreationTime: b.created, LastModifiedTime: b.modified,
	}, nil
}

// deleteEventBus deletes a custom bus with its rules. AWS asks for the
// rules to be deleted first; the emulator does it for the caller rather
// than leave rules on a bus that no longer exists.
func (svc *Service) deleteEventBus(ctx context.Context, in *nameInput) (*empty, error) {
	name := busName(in.Name)
	if name == defaultBus {
		return nil, errValidation("Cannot delete event bus default.")
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	b, err := svc.findBus(name)
	if err != nil {
		return nil, err
	}
	for _, r := range b.rules {
		svc.stopScheduleLocked(r)
	}
	delete(svc.buses, name)
	svc.log.InfoContext(ctx, "event bus deleted", logAttrs(ctx, "bus", name, "rulesDeleted", len(b.rules))...)
	return &empty{}, nil
}

func (svc *Service) listEventBuses(_ context.Context, in *listEventBusesInput) (*listEventBusesOutput, error) {
	svc.mu.Lock()
	var buses []wireEventBus
	for _, name := range slices.Sorted(maps.Keys(svc.buses)) {
		if strings.HasPrefix(name, in.NamePrefix) {
			buses = append(buses, svc.buses[name].wire())
		}
	}
	svc.mu.Unlock()
	items, next, err := page(buses, in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []wireEventBus{}
	}
	return &listEventBusesOutput{EventBuses: items, NextToken: next}, nil
}

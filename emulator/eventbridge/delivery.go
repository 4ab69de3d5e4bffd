package eventbridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecprov/ecprov/emulator/delivery"
)

// Delivery records the delivery of one event to one target: every attempt
// and the outcome. Input is what the target was sent.
type Delivery struct {
	EventID   string
	Bus       string
	Rule      string
	RuleARN   string
	TargetID  string
	TargetARN string
	Input     []byte
	// Attempts made; 0 when the input could not be built.
	Attempts int
	// Errors holds the error of each failed attempt, in order.
	Errors    []string
	Succeeded bool
	// DeadLetterARN is the target's dead-letter queue when a failed event
	// would have been sent there (the emulator has no SQS; it only records
	// it).
	DeadLetterARN string
	Started       time.Time
	Finished      time.Time
}

// PermanentError marks an Invoker error that retrying cannot fix (the
// target does not exist): the delivery stops at once. It is the emulator's
// one mark, shared with SNS, so one Invoker serves both.
type PermanentError = delivery.PermanentError

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return delivery.Permanent(err) }

// Deliveries returns the finished deliveries, oldest first; the last
// Options.DeliveryLogSize are kept.
func (svc *Service) Deliveries() []Delivery { return svc.deliveries.All() }

// Drain waits until no delivery is in flight (scheduled rules may start
// new ones afterwards).
func (svc *Service) Drain(ctx context.Context) error { return svc.deliveries.Drain(ctx) }

// startDelivery builds the target's input and delivers it in the
// background.
func (svc *Service) startDelivery(a *accepted, ruleName, ruleARN string, t *target) {
	d := Delivery{
		EventID: a.env.ID, Bus: a.bus, Rule: ruleName, RuleARN: ruleARN,
		TargetID: t.spec.ID, TargetARN: t.spec.Arn, Started: svc.opts.Now().UTC(),
	}
	if t.spec.DeadLetterConfig != nil {
		d.DeadLetterARN = t.spec.DeadLetterConfig.Arn
	}
	svc.deliveries.Go(svc.ctx, &svc.wg, func() Delivery {
		svc.deliver(&d, a, t)
		d.Finished = svc.opts.Now().UTC()
		if d.Succeeded {
			d.DeadLetterARN = ""
		}
		return d
	}, func() Delivery {
		d.Errors = []string{delivery.NotStartedMessage}
		return d
	})
}

func (svc *Service) deliver(d *Delivery, a *accepted, t *target) {
	log := svc.log.With("eventId", d.EventID, "bus", d.Bus, "rule", d.Rule, "targetId", d.TargetID, "targetArn", d.TargetARN)
	tc := &transformContext{
		event: a.decoded, eventJSON: a.json,
		eventNoDetail: marshal(envelopeNoDetail{
			ID: a.env.ID, Account: a.env.Account, DetailType: a.env.DetailType,
			Time: a.ingestion.Format(time.RFC3339), Source: a.env.Source,
			Region: a.env.Region, Resources: a.env.Resources, Version: a.env.Version,
		}),
		ruleARN: d.RuleARN, ruleName: d.Rule, ingestionTime: a.ingestion.Format(time.RFC3339),
	}
	input, err := t.input(tc)
	if err != nil {
		// AWS drops such events (they show as failed invocations).
		d.Errors = append(d.Errors, err.Error())
		log.Warn("event not delivered: input transformation failed", "err", err)
		return
	}
	d.Input = input

	policy := delivery.Policy{
		Attempts: 1 + svc.opts.DefaultRetries, Backoff: svc.opts.RetryBackoff, Now: svc.opts.Now,
		Log: log, What: "event", FailAttrs: []any{"deadLetterArn", d.DeadLetterARN},
	}
	maxAge := 24 * time.Hour
	if rp := t.spec.RetryPolicy; rp != nil {
		if rp.MaximumRetryAttempts != nil {
			policy.Attempts = 1 + *rp.MaximumRetryAttempts
		}
		if rp.MaximumEventAgeInSeconds != nil {
			maxAge = time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second
		}
	}
	policy.Deadline = a.ingestion.Add(maxAge)
	out := delivery.Retry(svc.ctx, policy, func(ctx context.Context) error { return svc.invoke(ctx, d.TargetARN, input) })
	d.Attempts, d.Succeeded, d.Errors = out.Attempts, out.Succeeded, append(d.Errors, out.Errors...)
}

// invoke sends input to a target by the kind of its ARN.
func (svc *Service) invoke(ctx context.Context, arn string, input []byte) error {
	kind := targetKind(arn)
	if kind == "" {
		return Permanent(fmt.Errorf("target %s: the emulator delivers only to Lambda functions and Step Functions state machines", arn))
	}
	if svc.opts.Invoker == nil {
		return Permanent(errors.New("no Invoker is configured for EventBridge targets"))
	}
	if kind == "lambda" {
		return svc.opts.Invoker.InvokeLambda(ctx, arn, input)
	}
	return svc.opts.Invoker.StartExecution(ctx, arn, input)
}

// targetKind tells Lambda functions (arn:aws:lambda:R:A:function:NAME,
// optionally with a qualifier) from state machines
// (arn:aws:states:R:A:stateMachine:NAME); "" for anything else.
func targetKind(arn string) string {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[0] != "arn" {
		return ""
	}
	switch {
	case parts[2] == "lambda" && parts[5] == "function":
		return "lambda"
	case parts[2] == "states" && parts[5] == "stateMachine":
		return "states"
	}
	return ""
}

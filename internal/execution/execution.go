// Package execution starts and follows ecprov's state machine executions for
// the CLI: it finds the state machines, names executions so that a re-run
// follows a running one, and turns the execution history into progress lines.
package execution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ecprov/ecprov/internal/orchestration"
	"github.com/ecprov/ecprov/internal/profile"
)

// SFN is the part of Step Functions the CLI uses.
type SFN interface {
	ListStateMachines(ctx context.Context, in *sfn.ListStateMachinesInput, optFns ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error)
	ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, optFns ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, optFns ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
}

// Stacks reads CloudFormation outputs, the fallback way to find the state
// machines when they were deployed under other names.
type Stacks interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// ErrNotDeployed means the state machines were not found.
var ErrNotDeployed = errors.New("state machine not found")

// Locate returns the ARN of a state machine ("provision", "reconcile",
// "teardown"): by its deployed name <prefix>-<name>, or from the output
// <Name>StateMachineArn of the CloudFormation stack.
func Locate(ctx context.Context, api SFN, stacks Stacks, prefix, stack, name string) (string, error) {
	want := orchestration.StateMachineName(prefix, name)
	var next *string
	for {
		out, err := api.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: next})
		if err != nil {
			return "", fmt.Errorf("list state machines: %w", err)
		}
		for _, sm := range out.StateMachines {
			if aws.ToString(sm.Name) == want {
				return aws.ToString(sm.StateMachineArn), nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		next = out.NextToken
	}
	if stacks != nil && stack != "" {
		out, err := stacks.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
		if err == nil && len(out.Stacks) > 0 {
			key := orchestration.OutputKey(name)
			for _, o := range out.Stacks[0].Outputs {
				if aws.ToString(o.OutputKey) == key {
					return aws.ToString(o.OutputValue), nil
				}
			}
		}
	}
	return "", fmt.Errorf("%w: %s (deploy with `make deploy`, or start the emulator with `ecprov local up`)", ErrNotDeployed, want)
}

// NamePrefix is the deterministic part of an execution name: the
// environment and the profile hash.
func NamePrefix(p *profile.Profile) string { return p.Environment + "-" + p.Hash() }

// ErrBusy means another execution for the same environment, with another
// profile, is running.
var ErrBusy = errors.New("already in progress")

// otherProfile is what follows the environment in the name of an execution
// started by StartOrFollow: a profile hash and the start time. Matching the
// whole of it keeps environment "dev" apart from "dev-eu".
var otherProfile = regexp.MustCompile(`^[0-9a-f]{12}-[0-9]{8}T[0-9]{6}`)

// StartOrFollow starts an execution named <prefix>-<time>, where prefix is
// [<machine>-]<env>-<hash> (see NamePrefix), unless one for the same
// environment is running: with the same profile hash it is followed
// instead; with another, ErrBusy names it.
func StartOrFollow(ctx context.Context, api SFN, smARN, env, prefix string, input []byte, now time.Time) (arn string, followed bool, err error) {
	running, err := api.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smARN), StatusFilter: types.ExecutionStatusRunning})
	if err != nil {
		return "", false, fmt.Errorf("list running executions: %w", err)
	}
	// Executions of the same environment share the prefix up to the hash.
	envPrefix := prefix[:strings.LastIndex(prefix, "-")+1]
	for _, e := range running.Executions {
		name := aws.ToString(e.Name)
		if strings.HasPrefix(name, prefix+"-") {
			return aws.ToString(e.ExecutionArn), true, nil
		}
		if rest, ok := strings.CutPrefix(name, envPrefix); ok && otherProfile.MatchString(rest) {
			return "", false, fmt.Errorf("%w: execution %s for environment %s is running with another profile; wait for it (or stop it) and run again", ErrBusy, name, env)
		}
	}
	name := fmt.Sprintf("%s-%s", prefix, now.UTC().Format("20060102T150405Z"))
	out, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smARN), Name: aws.String(name), Input: aws.String(string(input))})
	var taken *types.ExecutionAlreadyExists
	if errors.As(err, &taken) {
		// The name is taken by a run of the same profile started within
		// this second (follow it), or by one that ended within it: Step
		// Functions keeps the names of finished executions for 90 days,
		// so start under a name to the millisecond.
		arn := strings.Replace(smARN, ":stateMachine:", ":execution:", 1) + ":" + name
		if d, derr := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)}); derr == nil && d.Status == types.ExecutionStatusRunning {
			return arn, true, nil
		}
		name = fmt.Sprintf("%s-%s%03dZ", prefix, now.UTC().Format("20060102T150405"), now.Nanosecond()/int(time.Millisecond))
		out, err = api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smARN), Name: aws.String(name), Input: aws.String(string(input))})
	}
	if err != nil {
		return "", false, fmt.Errorf("start execution %s: %w", name, err)
	}
	return aws.ToString(out.ExecutionArn), false, nil
}

// Result is how an execution ended.
type Result struct {
	Status string
	Output json.RawMessage
	Error  string
	Cause  string
}

// Follow prints each Task state as it ends, with the time elapsed and its
// own duration, and what each Wait state waits for, until the execution ends.
func Follow(ctx context.Context, api SFN, arn string, w io.Writer, poll time.Duration) (Result, error) {
	start := time.Now()
	var seen int64
	entered := map[string]time.Time{}
	var lastReady struct {
		Status          string `json:"status"`
		NextPollSeconds int    `json:"nextPollSeconds"`
		Poll            struct {
			Attempt int `json:"attempt"`
		} `json:"poll"`
	}
	for {
		var next *string
		for {
			h, err := api.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), NextToken: next, MaxResults: 1000})
			if err != nil {
				return Result{}, fmt.Errorf("read execution history: %w", err)
			}
			for _, e := range h.Events {
				if e.Id <= seen {
					continue
				}
				seen = e.Id
				el := time.Since(start).Seconds()
				switch e.Type {
				case types.HistoryEventTypeTaskStateEntered:
					entered[aws.ToString(e.StateEnteredEventDetails.Name)] = aws.ToTime(e.Timestamp)
				case types.HistoryEventTypeTaskStateExited:
					d := e.StateExitedEventDetails
					name := aws.ToString(d.Name)
					took := aws.ToTime(e.Timestamp).Sub(entered[name]).Seconds()
					if strings.HasSuffix(name, "Check") {
						var env struct {
							Ready json.RawMessage `json:"ready"`
						}
						_ = json.Unmarshal([]byte(aws.ToString(d.Output)), &env)
						_ = json.Unmarshal(env.Ready, &lastReady)
						fmt.Fprintf(w, "  %6.1fs  %-18s group is %s (poll %d, %.2fs)\n", el, name, lastReady.Status, lastReady.Poll.Attempt, took)
						continue
					}
					fmt.Fprintf(w, "  %6.1fs  %-18s done (%.2fs)\n", el, name, took)
				case types.HistoryEventTypeWaitStateEntered:
					fmt.Fprintf(w, "  %6.1fs  %-18s waiting %ds before the next look\n", el, aws.ToString(e.StateEnteredEventDetails.Name), lastReady.NextPollSeconds)
				case types.HistoryEventTypeLambdaFunctionFailed:
					d := e.LambdaFunctionFailedEventDetails
					fmt.Fprintf(w, "  %6.1fs  %-18s %s: %s\n", el, "failed", aws.ToString(d.Error), firstLine(Message(aws.ToString(d.Cause))))
				}
			}
			if aws.ToString(h.NextToken) == "" {
				break
			}
			next = h.NextToken
		}
		d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return Result{}, fmt.Errorf("describe execution: %w", err)
		}
		if d.Status != types.ExecutionStatusRunning && d.Status != types.ExecutionStatusPendingRedrive {
			return Result{Status: string(d.Status), Output: json.RawMessage(aws.ToString(d.Output)), Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}, nil
		}
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Message is the readable part of a cause: a Lambda function's error
// document ({"errorType": ..., "errorMessage": ...}) gives its message, any
// other cause is returned as it is.
func Message(cause string) string {
	var doc struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &doc) == nil && doc.ErrorMessage != "" {
		return doc.ErrorMessage
	}
	return cause
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// Recent lists the newest executions of a state machine.
func Recent(ctx context.Context, api SFN, smARN string, n int32) ([]types.ExecutionListItem, error) {
	out, err := api.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smARN), MaxResults: n})
	if err != nil {
		return nil, err
	}
	items := out.Executions
	sort.Slice(items, func(i, j int) bool { return aws.ToTime(items[i].StartDate).After(aws.ToTime(items[j].StartDate)) })
	return items, nil
}

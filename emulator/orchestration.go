package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ecprov/ecprov/emulator/delivery"
	"github.com/ecprov/ecprov/emulator/elasticache"
	ebsvc "github.com/ecprov/ecprov/emulator/eventbridge"
	"github.com/ecprov/ecprov/emulator/lambda"
	"github.com/ecprov/ecprov/emulator/protocol/query"
	"github.com/ecprov/ecprov/emulator/server"
	snssvc "github.com/ecprov/ecprov/emulator/sns"
	"github.com/ecprov/ecprov/emulator/stepfunctions"
	"github.com/ecprov/ecprov/internal/awsclient"
	"github.com/ecprov/ecprov/internal/orchestration"
)

// Orchestration configures emulator part 2: Lambda, Step Functions,
// EventBridge and SNS, with ecprov's orchestration deployed into them from
// the same sources the CDK app uses (internal/orchestration, statemachine/).
type Orchestration struct {
	// Root is the repository root: statemachine/ and dist/host/<fn>/bootstrap.
	Root string
	// Prefix names the functions, state machines, bus and topic (default ecprov).
	Prefix string
	// WaitScale shrinks Wait states and Retry intervals: 0.01 makes a 180 s
	// Wait last 1.8 s (default 1, real time).
	WaitScale float64
	// ScheduleScale shrinks scheduled rules' rates the same way (default 1).
	ScheduleScale float64
	// FunctionEnv is added to every function's environment (e.g.
	// ECPROV_HTTP_TIMEOUT for fault tests).
	FunctionEnv map[string]string
}

// startOrchestration builds the part 2 services once the endpoint's URL is
// known, registers them on the router, and deploys ecprov into them.
func (e *Emulator) startOrchestration(url string) error {
	o := e.opts.Orchestration
	if abs, err := filepath.Abs(o.Root); err == nil {
		o.Root = abs
	}
	if o.Prefix == "" {
		o.Prefix = "ecprov"
	}
	if o.WaitScale == 0 {
		o.WaitScale = 1
	}
	if o.ScheduleScale == 0 {
		o.ScheduleScale = 1
	}
	bus := orchestration.BusName(o.Prefix)
	var err error
	e.lambda, err = lambda.New(lambda.Options{
		DataDir: e.opts.DataDir, Region: e.opts.Region, AccountID: AccountID, Logger: e.log,
		Env: map[string]string{
			"AWS_ENDPOINT_URL": url, "AWS_REGION": e.opts.Region, "AWS_DEFAULT_REGION": e.opts.Region,
			"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		},
	})
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	e.stepFunctions, err = stepfunctions.New(stepfunctions.Options{
		DataDir: e.opts.DataDir, Region: e.opts.Region, AccountID: AccountID, Logger: e.log,
		LambdaEndpoint: url, NodeModules: filepath.Join(o.Root, "node_modules"), WaitScale: o.WaitScale,
	})
	if err != nil {
		return fmt.Errorf("step functions: %w", err)
	}
	deliver := &invoker{lambda: e.lambda, sfn: sfn.NewFromConfig(e.sdkConfig(url))}
	e.eventBridge = ebsvc.New(ebsvc.Options{Region: e.opts.Region, AccountID: AccountID, Logger: e.log, Invoker: deliver, ScheduleScale: o.ScheduleScale})
	e.sns = snssvc.New(snssvc.Options{Region: e.opts.Region, AccountID: AccountID, Logger: e.log, Lambda: deliver})
	for _, s := range []server.Service{e.lambda, e.stepFunctions, e.eventBridge, e.sns} {
		e.router.Register(s)
	}
	return e.deploy(url, o, bus)
}

func (e *Emulator) sdkConfig(url string) aws.Config {
	return aws.Config{Region: e.opts.Region, BaseEndpoint: aws.String(url), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
}

// deploy creates, from internal/orchestration, what `cdk deploy` creates on
// AWS: the functions, the state machines, the bus, the rules and the topic.
// The bus, rules and topic go through the AWS APIs, as a deployment would.
func (e *Emulator) deploy(url string, o *Orchestration, bus string) error {
	ctx := context.Background()
	arn := func(fn string) string {
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", e.opts.Region, AccountID, orchestration.FunctionName(o.Prefix, fn))
	}
	for _, f := range orchestration.Functions {
		env := map[string]string{"LOG_LEVEL": "info"}
		for k, v := range o.FunctionEnv {
			env[k] = v
		}
		if f.NeedsBus {
			env[awsclient.EventBusEnv] = bus
		}
		path := filepath.Join(o.Root, "dist", "host", f.Name, "bootstrap")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("function %s: %s is missing; run `make build-local`", f.Name, path)
		}
		if err := e.lambda.CreateFunction(lambda.Function{Name: orchestration.FunctionName(o.Prefix, f.Name), BootstrapPath: path, Env: env, Timeout: f.Timeout, MemoryMB: f.MemoryMB}); err != nil {
			return fmt.Errorf("function %s: %w", f.Name, err)
		}
	}
	subs := orchestration.Substitutions(arn, bus)
	smARN := map[string]string{}
	for _, sm := range orchestration.StateMachines {
		def, err := orchestration.ReadDefinition(o.Root, sm)
		if err != nil {
			return err
		}
		a, err := e.stepFunctions.CreateStateMachine(orchestration.StateMachineName(o.Prefix, sm.Name), def, subs)
		if err != nil {
			return fmt.Errorf("state machine %s: %w", sm.Name, err)
		}
		smARN[sm.Name] = a
	}
	cfg := e.sdkConfig(url)
	if err := e.deployRules(ctx, eventbridge.NewFromConfig(cfg), o.Prefix, bus, smARN); err != nil {
		return err
	}
	if err := e.deployNoticeTopic(ctx, sns.NewFromConfig(cfg), o.Prefix, arn); err != nil {
		return err
	}
	e.log.Info("orchestration deployed", "functions", len(orchestration.Functions), "stateMachines", len(smARN), "bus", bus, "topic", e.topicARN)
	return nil
}

// deployRules creates the project's bus and orchestration.Rules on it (or
// on the default bus), each with its target.
func (e *Emulator) deployRules(ctx context.Context, eb *eventbridge.Client, prefix, bus string, smARN map[string]string) error {
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		return fmt.Errorf("event bus %s: %w", bus, err)
	}
	for _, r := range orchestration.Rules {
		name := r.Name(prefix)
		in := &eventbridge.PutRuleInput{Name: aws.String(name), Description: aws.String(r.Description), State: ebtypes.RuleStateEnabled}
		if !r.OnDefaultBus {
			in.EventBusName = aws.String(bus)
		}
		if r.Schedule != "" {
			in.ScheduleExpression = aws.String(r.Schedule)
		} else {
			in.EventPattern = aws.String(r.PatternJSON())
		}
		if _, err := eb.PutRule(ctx, in); err != nil {
			return fmt.Errorf("rule %s: %w", name, err)
		}
		t := r.Target
		target := ebtypes.Target{Id: aws.String(t.ID), Arn: aws.String(smARN[t.StateMachine]), RetryPolicy: &ebtypes.RetryPolicy{
			MaximumRetryAttempts:     aws.Int32(int32(t.Retry.MaximumRetryAttempts)),
			MaximumEventAgeInSeconds: aws.Int32(int32(t.Retry.MaximumEventAgeInSeconds)),
		}}
		if t.InputTemplate != "" {
			target.InputTransformer = &ebtypes.InputTransformer{InputPathsMap: t.InputPaths, InputTemplate: aws.String(t.InputTemplate)}
		} else {
			target.Input = aws.String(t.ConstantInput)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: in.EventBusName, Targets: []ebtypes.Target{target}}); err != nil {
			return fmt.Errorf("targets of %s: %w", name, err)
		}
	}
	return nil
}

// deployNoticeTopic creates orchestration.NoticeTopic with its access
// policy and subscribes its subscribers. The emulator does not enforce the
// policy yet; it carries it as AWS does.
func (e *Emulator) deployNoticeTopic(ctx context.Context, sn *sns.Client, prefix string, functionARN func(string) string) error {
	name := orchestration.TopicName(prefix)
	env := orchestration.Env{Partition: "aws", Region: e.opts.Region, AccountID: AccountID,
		TopicARN: fmt.Sprintf("arn:aws:sns:%s:%s:%s", e.opts.Region, AccountID, name)}
	policy, err := env.ExpandAll(orchestration.NoticeTopic.Policy)
	if err != nil {
		return fmt.Errorf("topic %s: %w", name, err)
	}
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: map[string]string{
		"DisplayName": orchestration.NoticeTopic.DisplayName, "Policy": orchestration.PolicyDocument(policy),
	}})
	if err != nil {
		return fmt.Errorf("topic %s: %w", name, err)
	}
	e.topicARN = aws.ToString(topic.TopicArn)
	for _, fn := range orchestration.NoticeTopic.Subscribers {
		if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("lambda"), Endpoint: aws.String(functionARN(fn))}); err != nil {
			return fmt.Errorf("subscribe %s: %w", fn, err)
		}
	}
	return nil
}

// invoker delivers EventBridge targets and SNS messages.
type invoker struct {
	lambda *lambda.Service
	sfn    *sfn.Client
}

func (i *invoker) InvokeLambda(ctx context.Context, functionARN string, payload []byte) error {
	name := functionARN[strings.LastIndex(functionARN, ":")+1:]
	_, fnErr, err := i.lambda.Invoke(ctx, name, payload)
	if errors.Is(err, lambda.ErrNotFound) {
		return delivery.Permanent(err) // both EventBridge and SNS stop retrying on it
	}
	if err != nil {
		return err
	}
	if fnErr != "" {
		return fmt.Errorf("function %s failed: %s", name, fnErr)
	}
	return nil
}

func (i *invoker) StartExecution(ctx context.Context, stateMachineARN string, input []byte) error {
	_, err := i.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(stateMachineARN), Input: aws.String(string(input))})
	return err
}

// notice publishes an ElastiCache notice to its topic, as ElastiCache does.
func (e *Emulator) notice(topicARN string, n elasticache.Notice) {
	if e.opts.OnNotice != nil {
		e.opts.OnNotice(topicARN, n)
	}
	if e.sns == nil {
		return
	}
	if _, err := e.sns.Publish(context.Background(), topicARN, "ElastiCache Notification", n.Message()); err != nil {
		e.log.Warn("ElastiCache notice not published", "topicArn", topicARN, "event", n.Event, "err", err)
	}
}

// cloudTrail wraps the ElastiCache service: a successful TestFailover call is
// recorded as CloudTrail records it, an "AWS API Call via CloudTrail" event
// on the default bus, where ecprov's rule picks it up.
type cloudTrail struct {
	*elasticache.Service
	emu *Emulator
}

func (c cloudTrail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	op := c.Service.Operation(r, body)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	c.Service.ServeHTTP(rec, r)
	if op != "TestFailover" || rec.status != http.StatusOK || c.emu.eventBridge == nil {
		return
	}
	params, err := query.Parse(r, body)
	if err != nil {
		return
	}
	detail, _ := json.Marshal(map[string]any{
		"eventVersion": "1.08", "eventSource": "elasticache.amazonaws.com", "eventName": "TestFailover",
		"awsRegion": c.emu.opts.Region, "eventTime": time.Now().UTC().Format(time.RFC3339),
		"eventType": "AwsApiCall", "recipientAccountId": AccountID,
		"requestParameters": map[string]string{"replicationGroupId": params.String("ReplicationGroupId"), "nodeGroupId": params.String("NodeGroupId")},
	})
	if _, err := c.emu.eventBridge.Put(context.Background(), "default", ebsvc.Event{
		Source: "aws.elasticache", DetailType: "AWS API Call via CloudTrail", Detail: detail,
	}); err != nil {
		c.emu.log.Warn("CloudTrail event for TestFailover not put", "err", err)
	}
}

// readBody reads the body and puts it back for the service.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ecprov/ecprov/internal/orchestration"
)

// Choices of this stack that no other part of ecprov reads.
const (
	// logRetention applies to the functions' and state machines' logs.
	logRetention = awslogs.RetentionDays_ONE_MONTH
	// dlqRetention keeps undelivered events for the longest SQS allows.
	dlqRetentionDays = 14
)

// OutputKey is the stack output that holds a state machine's ARN.
var OutputKey = orchestration.OutputKey

// Stack outputs besides the state machine ARNs.
const (
	OutputEventBusName         = "EventBusName"
	OutputNotificationTopicArn = "NotificationTopicArn"
	OutputAlarmTopicArn        = "AlarmTopicArn"
)

func alarmTopicName(prefix string) string { return prefix + "-alarms" }
func dlqName(prefix string) string        { return prefix + "-rule-dlq" }

// NewStack defines the orchestration of one account and region: the
// functions, state machines, bus, rules and topics that internal/orchestration
// lists, with what each may do.
func NewStack(scope constructs.Construct, cfg Config, props *awscdk.StackProps) (awscdk.Stack, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := awscdk.StackProps{}
	if props != nil {
		p = *props
	}
	p.StackName = jsii.String(cfg.StackName)
	if p.Description == nil {
		p.Description = jsii.String(fmt.Sprintf("ecprov orchestration (prefix %s, project %s): Lambda functions, Step Functions state machines, EventBridge rules and the ElastiCache notification topic", cfg.Prefix, cfg.Project))
	}
	stack := awscdk.NewStack(scope, jsii.String(cfg.StackName), &p)
	for k, v := range map[string]string{"Project": cfg.Project, "Environment": cfg.Environment, "ManagedBy": "ecprov", "Module": "ecprov-orchestration"} {
		awscdk.Tags_Of(stack).Add(jsii.String(k), jsii.String(v), nil)
	}
	b := &builder{stack: stack, cfg: cfg, functions: map[string]awslambda.Function{}}
	b.bus = awsevents.NewEventBus(stack, jsii.String("Bus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(orchestration.BusName(cfg.Prefix)),
		Description:  jsii.String("ecprov: relayed ElastiCache notices and ecprov's own events"),
	})
	for _, step := range []func() error{b.addFunctions, b.addStateMachines, b.addRules, b.addTopics} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	b.output(OutputEventBusName, b.bus.EventBusName(), "The project's EventBridge bus")
	return stack, nil
}

type builder struct {
	stack         awscdk.Stack
	cfg           Config
	bus           awsevents.EventBus
	functions     map[string]awslambda.Function
	stateMachines map[string]awsstepfunctions.StateMachine
}

// constructID turns "createcluster" into "Createcluster" for construct ids.
func constructID(name string) string { return strings.ToUpper(name[:1]) + name[1:] }

func (b *builder) addFunctions() error {
	for _, f := range orchestration.Functions {
		// The policy as cdk-nag prints it; this is also where a function
		// without a permissions entry is refused.
		nagPolicy, err := orchestration.Policy(f.Name, nagEnv(b.cfg))
		if err != nil {
			return err
		}
		dir := filepath.Join(b.cfg.Root, "dist", f.Name)
		if !isFile(filepath.Join(dir, "bootstrap")) {
			return fmt.Errorf("%s/bootstrap is missing: run `make build` first (linux/arm64 bootstraps for provided.al2023)", dir)
		}
		id := constructID(f.Name)
		name := orchestration.FunctionName(b.cfg.Prefix, f.Name)

		logs := b.logGroup(id+"Logs", "/aws/lambda/"+name)
		role := awsiam.NewRole(b.stack, jsii.String(id+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("ecprov " + f.Name + ": " + f.Description),
		})
		env := stackEnv(b.cfg)
		env.LogGroupARN, env.EventBusARN = *logs.LogGroupArn(), *b.bus.EventBusArn()
		policy, err := orchestration.Policy(f.Name, env)
		if err != nil {
			return err
		}
		for _, s := range policy {
			role.AddToPrincipalPolicy(policyStatement(s))
		}

		vars := map[string]*string{}
		if f.NeedsBus {
			vars[orchestration.EventBusEnv] = b.bus.EventBusName()
		}
		fn := awslambda.NewFunction(b.stack, jsii.String(id+"Function"), &awslambda.FunctionProps{
			FunctionName:          jsii.String(name),
			Description:           jsii.String(f.Description),
			Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:          awslambda.Architecture_ARM_64(),
			Handler:               jsii.String("bootstrap"),
			Code:                  awslambda.Code_FromAsset(jsii.String(dir), nil),
			MemorySize:            jsii.Number(f.MemoryMB),
			Timeout:               awscdk.Duration_Seconds(jsii.Number(f.Timeout.Seconds())),
			Environment:           &vars,
			Role:                  role,
			LogGroup:              logs,
			LoggingFormat:         awslambda.LoggingFormat_JSON,
			ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
			SystemLogLevelV2:      awslambda.SystemLogLevel_INFO, // keeps the REPORT lines (duration, memory)
		})
		b.functions[f.Name] = fn
		suppressWildcards(role, nagPolicy)
	}
	return nil
}

// logGroup is a log group with a fixed name, so that operators find the
// logs. It is destroyed with the stack: a retained group would make a
// redeploy after `cdk destroy` fail on its name.
func (b *builder) logGroup(id, name string) awslogs.LogGroup {
	return awslogs.NewLogGroup(b.stack, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(name),
		Retention:     logRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
}

func (b *builder) addStateMachines() error {
	b.stateMachines = map[string]awsstepfunctions.StateMachine{}
	subs := orchestration.Substitutions(func(fn string) string {
		if f, ok := b.functions[fn]; ok {
			return *f.FunctionArn()
		}
		return ""
	}, *b.bus.EventBusName())
	for _, sm := range orchestration.StateMachines {
		def, err := orchestration.ReadDefinition(b.cfg.Root, sm)
		if err != nil {
			return err
		}
		if _, err := orchestration.Render(def, subs); err != nil {
			return fmt.Errorf("statemachine/%s: %w", sm.File, err)
		}
		// Pass exactly the placeholders this definition uses, and let the
		// state machine invoke exactly the functions it names.
		used := map[string]*string{}
		var invokes []*string
		for _, ph := range orchestration.Placeholders(def) {
			used[ph] = jsii.String(subs[ph])
			for _, f := range orchestration.Functions {
				if f.Placeholder == ph {
					invokes = append(invokes, b.functions[f.Name].FunctionArn())
				}
			}
		}
		id := constructID(sm.Name)
		name := orchestration.StateMachineName(b.cfg.Prefix, sm.Name)
		// Step Functions needs a /aws/vendedlogs/ name for large resource
		// policies.
		logs := b.logGroup(id+"StateMachineLogs", "/aws/vendedlogs/states/"+name)
		machine := awsstepfunctions.NewStateMachine(b.stack, jsii.String(id+"StateMachine"), &awsstepfunctions.StateMachineProps{
			StateMachineName:        jsii.String(name),
			StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
			DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(def)),
			DefinitionSubstitutions: &used,
			Logs: &awsstepfunctions.LogOptions{
				Destination: logs,
				Level:       awsstepfunctions.LogLevel_ALL,
				// Execution data carries the environment profile and the
				// endpoint document; keep it out of the logs.
				IncludeExecutionData: jsii.Bool(false),
			},
			TracingEnabled: jsii.Bool(true),
		})
		if len(invokes) > 0 {
			machine.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("InvokeSteps"),
				Actions:   jsii.Strings("lambda:InvokeFunction"),
				Resources: &invokes,
			}))
		}
		suppress(machine.Role(), true, suppression{"AwsSolutions-IAM5",
			"Step Functions log delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) do not support resource-level permissions; CDK adds these statements for Logs and TracingEnabled",
			[]string{"Resource::*"}})
		b.stateMachines[sm.Name] = machine
		b.output(OutputKey(sm.Name), machine.StateMachineArn(), "ARN of the "+sm.Name+" state machine ("+name+")")
	}
	return nil
}

// addRules creates orchestration.Rules as EventBridge rules. They are
// CfnRules so that pattern, target and input reach EventBridge exactly as
// orchestration defines them.
func (b *builder) addRules() error {
	dlq := awssqs.NewQueue(b.stack, jsii.String("RuleDeadLetterQueue"), &awssqs.QueueProps{
		QueueName: jsii.String(dlqName(b.cfg.Prefix)),
		// SSE-SQS: EventBridge can write to it without a key policy, which
		// the AWS managed aws/sqs key would not allow.
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(dlqRetentionDays)),
	})
	suppress(dlq, false, suppression{"AwsSolutions-SQS3",
		"This queue is the dead-letter queue of the EventBridge rule targets; a DLQ of a DLQ would only move the same messages again", nil})

	role := awsiam.NewRole(b.stack, jsii.String("RuleTargetRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}),
		Description: jsii.String("ecprov: lets the EventBridge rules start the reconcile state machine"),
	})
	granted := map[string]bool{}
	var ruleARNs []*string
	for _, r := range orchestration.Rules {
		machine, ok := b.stateMachines[r.Target.StateMachine]
		if !ok {
			return fmt.Errorf("rule %s: orchestration.StateMachines has no %s state machine to start", r.Suffix, r.Target.StateMachine)
		}
		if !granted[r.Target.StateMachine] {
			machine.GrantStartExecution(role)
			granted[r.Target.StateMachine] = true
		}
		props, err := b.ruleProps(r, machine.StateMachineArn(), role.RoleArn(), dlq.QueueArn())
		if err != nil {
			return err
		}
		rule := awsevents.NewCfnRule(b.stack, jsii.String("Rule"+ruleID(r.Suffix)), props)
		ruleARNs = append(ruleARNs, rule.AttrArn())
	}
	dlq.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("RuleDeadLetters"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{dlq.QueueArn()},
		Conditions: &map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:SourceArn": ruleARNs}},
	}))
	return nil
}

// ruleProps translates one rule; what the target does not deliver within
// its retry policy goes to the dead-letter queue.
func (b *builder) ruleProps(r orchestration.Rule, targetARN, roleARN, dlqARN *string) (*awsevents.CfnRuleProps, error) {
	t := r.Target
	target := awsevents.CfnRule_TargetProperty{
		Id:      jsii.String(t.ID),
		Arn:     targetARN,
		RoleArn: roleARN,
		RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
			MaximumRetryAttempts:     jsii.Number(t.Retry.MaximumRetryAttempts),
			MaximumEventAgeInSeconds: jsii.Number(t.Retry.MaximumEventAgeInSeconds),
		},
		DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: dlqARN},
	}
	if t.InputTemplate != "" {
		paths := map[string]*string{}
		for k, v := range t.InputPaths {
			paths[k] = jsii.String(v)
		}
		target.InputTransformer = &awsevents.CfnRule_InputTransformerProperty{InputPathsMap: &paths, InputTemplate: jsii.String(t.InputTemplate)}
	} else {
		target.Input = jsii.String(t.ConstantInput)
	}
	props := &awsevents.CfnRuleProps{
		Name:        jsii.String(r.Name(b.cfg.Prefix)),
		Description: jsii.String(r.Description),
		State:       jsii.String("ENABLED"),
		Targets:     &[]interface{}{target},
	}
	if r.Pattern != nil {
		var pattern map[string]interface{}
		if err := json.Unmarshal([]byte(r.PatternJSON()), &pattern); err != nil {
			return nil, fmt.Errorf("rule %s: pattern: %w", r.Suffix, err)
		}
		props.EventPattern = pattern
	}
	if r.Schedule != "" {
		props.ScheduleExpression = jsii.String(r.Schedule)
	}
	if !r.OnDefaultBus {
		props.EventBusName = b.bus.EventBusName()
	}
	return props, nil
}

// ruleID turns "failover-notice" into "FailoverNotice".
func ruleID(suffix string) string {
	var b strings.Builder
	for _, part := range strings.Split(suffix, "-") {
		if part != "" {
			b.WriteString(constructID(part))
		}
	}
	return b.String()
}

func (b *builder) addTopics() error {
	// ElastiCache publishes its notices (ElastiCache:FailoverComplete, ...)
	// only to a topic without server-side encryption: it cannot use a KMS
	// key to publish. The notices name the group and event, nothing secret.
	// (cdk-nag's AwsSolutions pack no longer has a topic-encryption rule,
	// so there is nothing to suppress; this comment is the record.)
	topic := awssns.NewTopic(b.stack, jsii.String("NotificationTopic"), &awssns.TopicProps{
		TopicName:   jsii.String(orchestration.TopicName(b.cfg.Prefix)),
		DisplayName: jsii.String(orchestration.NoticeTopic.DisplayName),
		EnforceSSL:  jsii.Bool(true),
	})
	env := stackEnv(b.cfg)
	env.TopicARN = *topic.TopicArn()
	policy, err := env.ExpandAll(orchestration.NoticeTopic.Policy)
	if err != nil {
		return fmt.Errorf("notice topic policy: %w", err)
	}
	for _, s := range policy {
		topic.AddToResourcePolicy(policyStatement(s))
	}
	for _, fn := range orchestration.NoticeTopic.Subscribers {
		f, ok := b.functions[fn]
		if !ok {
			return fmt.Errorf("orchestration.Functions has no %s function to subscribe to the notice topic", fn)
		}
		topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(f, nil))
	}
	b.output(OutputNotificationTopicArn, topic.TopicArn(), "SNS topic for ElastiCache notices: the profiles' notificationTopicArn")

	if !b.cfg.AlarmTopic {
		return nil
	}
	managedAlarms, err := stackEnv(b.cfg).Fill(orchestration.ManagedAlarms)
	if err != nil {
		return err
	}
	// CloudWatch alarms can publish to an encrypted topic only with a
	// customer managed key whose policy lets CloudWatch use it.
	key := awskms.NewKey(b.stack, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String("ecprov: encrypts the alarm-action topic " + alarmTopicName(b.cfg.Prefix)),
		EnableKeyRotation: jsii.Bool(true),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is this key
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}), nil)
	alarmTopic := awssns.NewTopic(b.stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		TopicName:   jsii.String(alarmTopicName(b.cfg.Prefix)),
		DisplayName: jsii.String("ecprov ElastiCache alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	alarmTopic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{alarmTopic.TopicArn()},
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike":      map[string]interface{}{"aws:SourceArn": managedAlarms},
		},
	}))
	b.output(OutputAlarmTopicArn, alarmTopic.TopicArn(), "Encrypted SNS topic for alarm actions: the profiles' alarms.actionTopicArn")
	return nil
}

func (b *builder) output(key string, value *string, description string) {
	out := awscdk.NewCfnOutput(b.stack, jsii.String(key), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	out.OverrideLogicalId(jsii.String(key))
}

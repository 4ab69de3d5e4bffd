package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/ecprov/ecprov/internal/orchestration"
)

var bothStacks = []string{defaultStack, variantStack}

// like matches an object loosely where a matcher would compare exactly
// (inside Match.arrayWith, for one).
func like(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }

func TestFunctions(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		prefix := s.cfg.Prefix
		bus := s.logicalID(t, "AWS::Events::EventBus", "Name", orchestration.BusName(prefix))
		check(t, name+": one Lambda function per orchestration.Functions", func() {
			s.assert.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(len(orchestration.Functions)))
		})
		for _, f := range orchestration.Functions {
			fnName := orchestration.FunctionName(prefix, f.Name)
			logs := s.logicalID(t, "AWS::Logs::LogGroup", "LogGroupName", "/aws/lambda/"+fnName)
			var env any = assertions.Match_Absent()
			if f.NeedsBus {
				env = map[string]any{"Variables": map[string]any{orchestration.EventBusEnv: ref(bus)}}
			}
			check(t, name+": function "+fnName, func() {
				s.assert.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
					"FunctionName":  fnName,
					"Architectures": []any{"arm64"},
					"Runtime":       "provided.al2023",
					"Handler":       "bootstrap",
					"MemorySize":    f.MemoryMB,
					"Timeout":       f.Timeout.Seconds(),
					"Environment":   env,
					"LoggingConfig": map[string]any{"LogFormat": "JSON", "LogGroup": ref(logs)},
				})
			})
		}
	}
}

func TestStateMachines(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		prefix := s.cfg.Prefix
		fnIDs := map[string]string{}
		for _, f := range orchestration.Functions {
			fnIDs[f.Name] = s.logicalID(t, "AWS::Lambda::Function", "FunctionName", orchestration.FunctionName(prefix, f.Name))
		}
		bus := s.logicalID(t, "AWS::Events::EventBus", "Name", orchestration.BusName(prefix))
		// What each placeholder must be replaced with, straight from
		// orchestration.Substitutions.
		want := map[string]any{}
		for k, v := range orchestration.Substitutions(func(fn string) string { return fnIDs[fn] }, bus) {
			if k == "EventBusName" {
				want[k] = ref(v)
			} else {
				want[k] = getAtt(v)
			}
		}
		for _, sm := range orchestration.StateMachines {
			def, err := orchestration.ReadDefinition(s.cfg.Root, sm)
			if err != nil {
				t.Fatal(err)
			}
			placeholders := orchestration.Placeholders(def)
			if len(placeholders) == 0 {
				t.Errorf("statemachine/%s has no placeholders; expected function ARNs", sm.File)
			}
			subs := map[string]any{}
			for _, ph := range placeholders {
				subs[ph] = want[ph]
			}
			smName := orchestration.StateMachineName(prefix, sm.Name)
			logs := s.logicalID(t, "AWS::Logs::LogGroup", "LogGroupName", "/aws/vendedlogs/states/"+smName)
			check(t, name+": state machine "+smName, func() {
				s.assert.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
					"StateMachineName": smName,
					"StateMachineType": "STANDARD",
					"DefinitionString": def,
					// Exactly the definition's placeholders, each with its value.
					"DefinitionSubstitutions": assertions.Match_ObjectEquals(&subs),
					"LoggingConfiguration": map[string]any{
						"Level":                "ALL",
						"IncludeExecutionData": false,
						"Destinations":         []any{map[string]any{"CloudWatchLogsLogGroup": map[string]any{"LogGroupArn": getAtt(logs)}}},
					},
					"TracingConfiguration": map[string]any{"Enabled": true},
				})
			})
		}
	}
}

func TestRules(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		prefix := s.cfg.Prefix
		reconcile := s.logicalID(t, "AWS::StepFunctions::StateMachine", "StateMachineName", orchestration.StateMachineName(prefix, "reconcile"))
		bus := s.logicalID(t, "AWS::Events::EventBus", "Name", orchestration.BusName(prefix))
		dlq := s.logicalID(t, "AWS::SQS::Queue", "QueueName", dlqName(prefix))
		check(t, name+": one rule per orchestration.Rules", func() {
			s.assert.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(len(orchestration.Rules)))
		})
		for _, r := range orchestration.Rules {
			check(t, name+": rule "+r.Name(prefix), func() {
				s.assert.HasResourceProperties(jsii.String("AWS::Events::Rule"), ruleProps(t, s, r, bus, dlq))
			})
		}
		// The target role may start reconcile, and nothing else.
		role := s.logicalID(t, "AWS::IAM::Role", "Description", "ecprov: lets the EventBridge rules start the reconcile state machine")
		check(t, name+": rule target role", func() {
			s.assert.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
				"Roles": []any{ref(role)},
				"PolicyDocument": map[string]any{"Statement": []any{
					map[string]any{"Effect": "Allow", "Action": "states:StartExecution", "Resource": ref(reconcile)},
				}},
			})
		})
	}
}

// ruleProps is what the template must say for one orchestration.Rule.
func ruleProps(t *testing.T, s *synthesized, r orchestration.Rule, bus, dlq string) map[string]any {
	tg := r.Target
	machine := s.logicalID(t, "AWS::StepFunctions::StateMachine", "StateMachineName", orchestration.StateMachineName(s.cfg.Prefix, tg.StateMachine))
	target := map[string]any{
		"Id":               tg.ID,
		"Arn":              ref(machine),
		"RetryPolicy":      map[string]any{"MaximumRetryAttempts": tg.Retry.MaximumRetryAttempts, "MaximumEventAgeInSeconds": tg.Retry.MaximumEventAgeInSeconds},
		"DeadLetterConfig": map[string]any{"Arn": getAtt(dlq)},
		"RoleArn":          assertions.Match_AnyValue(),
	}
	if tg.InputTemplate != "" {
		paths := map[string]any{}
		for k, v := range tg.InputPaths {
			paths[k] = v
		}
		target["InputTransformer"] = map[string]any{"InputPathsMap": assertions.Match_ObjectEquals(&paths), "InputTemplate": tg.InputTemplate}
		target["Input"] = assertions.Match_Absent()
	} else {
		target["Input"] = tg.ConstantInput
		target["InputTransformer"] = assertions.Match_Absent()
	}
	props := map[string]any{
		"Name":         r.Name(s.cfg.Prefix),
		"State":        "ENABLED",
		"Targets":      []any{target},
		"EventPattern": assertions.Match_Absent(),
		"EventBusName": assertions.Match_Absent(), // the default bus
	}
	if r.Pattern != nil {
		var pattern map[string]any
		if err := json.Unmarshal([]byte(r.PatternJSON()), &pattern); err != nil {
			t.Fatal(err)
		}
		props["EventPattern"] = assertions.Match_ObjectEquals(&pattern)
	}
	if r.Schedule != "" {
		props["ScheduleExpression"] = r.Schedule
	}
	if !r.OnDefaultBus {
		props["EventBusName"] = ref(bus)
	}
	return props
}

func TestDeadLetterQueue(t *testing.T) {
	s := synth(t, defaultStack)
	dlq := s.logicalID(t, "AWS::SQS::Queue", "QueueName", dlqName(s.cfg.Prefix))
	check(t, "DLQ encrypted", func() {
		s.assert.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"QueueName":            dlqName(s.cfg.Prefix),
			"SqsManagedSseEnabled": true,
		})
	})
	var ruleARNs []any
	for id := range s.resources("AWS::Events::Rule") {
		ruleARNs = append(ruleARNs, getAtt(id))
	}
	check(t, "DLQ policy: EventBridge may send from the rules only, over TLS only", func() {
		s.assert.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
			"Queues": []any{ref(dlq)},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				like(map[string]any{"Effect": "Deny", "Action": "sqs:*", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}),
				like(map[string]any{
					"Effect":    "Allow",
					"Principal": map[string]any{"Service": "events.amazonaws.com"},
					"Action":    "sqs:SendMessage",
					"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": assertions.Match_AnyValue()}},
				}),
			})},
		})
	})
	// The condition names every rule, and nothing else.
	want := map[string]bool{}
	for _, a := range ruleARNs {
		want[flat(a)] = true
	}
	for id, props := range s.resources("AWS::SQS::QueuePolicy") {
		for _, st := range list(props["PolicyDocument"].(map[string]any)["Statement"]) {
			stmt := st.(map[string]any)
			if stmt["Effect"] != "Allow" {
				continue
			}
			cond, _ := stmt["Condition"].(map[string]any)
			arns, _ := cond["ArnEquals"].(map[string]any)
			got := map[string]bool{}
			for _, a := range list(arns["aws:SourceArn"]) {
				got[flat(a)] = true
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: SendMessage allowed from %v, want the rules %v", id, got, want)
			}
		}
	}
}

func TestNotificationTopic(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		topicName := orchestration.TopicName(s.cfg.Prefix)
		topic := s.logicalID(t, "AWS::SNS::Topic", "TopicName", topicName)
		relay := s.logicalID(t, "AWS::Lambda::Function", "FunctionName", orchestration.FunctionName(s.cfg.Prefix, "failoverrelay"))
		check(t, name+": notification topic unencrypted (ElastiCache cannot publish to an encrypted topic)", func() {
			s.assert.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
				"TopicName":      topicName,
				"KmsMasterKeyId": assertions.Match_Absent(),
			})
		})
		check(t, name+": topic policy: ElastiCache publishes under aws:SourceOwner", func() {
			s.assert.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
				"Topics": []any{ref(topic)},
				"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
					like(map[string]any{
						"Effect":    "Allow",
						"Principal": map[string]any{"Service": "elasticache.amazonaws.com"},
						"Action":    "sns:Publish",
						"Resource":  ref(topic),
						"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceOwner": ref("AWS::AccountId")}},
					}),
				})},
			})
		})
		check(t, name+": failoverrelay subscribed", func() {
			s.assert.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
				"TopicArn": ref(topic), "Protocol": "lambda", "Endpoint": getAtt(relay),
			})
			s.assert.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
				"FunctionName": getAtt(relay), "Principal": "sns.amazonaws.com", "SourceArn": ref(topic),
				"Action": "lambda:InvokeFunction",
			})
		})
		checkNoticeTopicIsOrchestrations(t, s, topic)
	}
}

// checkNoticeTopicIsOrchestrations: the topic's subscriptions are
// orchestration.NoticeTopic's subscribers, and the Allow statements of its
// policy are NoticeTopic.Policy, no more and no fewer.
func checkNoticeTopicIsOrchestrations(t *testing.T, s *synthesized, topic string) {
	t.Helper()
	var want, have []string
	for _, fn := range orchestration.NoticeTopic.Subscribers {
		want = append(want, "lambda "+flat(getAtt(s.logicalID(t, "AWS::Lambda::Function", "FunctionName", orchestration.FunctionName(s.cfg.Prefix, fn)))))
	}
	for _, sub := range s.resources("AWS::SNS::Subscription") {
		if flat(sub["TopicArn"]) == flat(ref(topic)) {
			have = append(have, fmt.Sprint(sub["Protocol"])+" "+flat(sub["Endpoint"]))
		}
	}
	env := flatEnv(s.cfg)
	env.TopicARN = flat(ref(topic))
	policy, err := env.ExpandAll(orchestration.NoticeTopic.Policy)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range policy {
		principal := flat(map[string]any{"Service": st.Principal.Service})
		for _, k := range grantKeys(st.Actions, st.Resources, st.Conditions) {
			want = append(want, principal+" "+k)
		}
	}
	for id, p := range s.resources("AWS::SNS::TopicPolicy") {
		if flat(list(p["Topics"])[0]) != flat(ref(topic)) {
			continue
		}
		for _, st := range policyStatements(id, p["PolicyDocument"]) {
			if st.effect == "Allow" {
				for _, k := range grantKeys(st.actions, st.resources, st.conditions) {
					have = append(have, flat(st.principal)+" "+k)
				}
			}
		}
	}
	slices.Sort(want)
	slices.Sort(have)
	if !slices.Equal(have, want) {
		t.Errorf("%s: notice topic has\n  %s\norchestration.NoticeTopic has\n  %s", s.cfg.StackName, strings.Join(have, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestAlarmTopic(t *testing.T) {
	plain := synth(t, defaultStack)
	check(t, "default: no alarm topic, no key", func() {
		plain.assert.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(0))
		plain.assert.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))
	})
	if _, ok := plain.template["Outputs"].(map[string]any)[OutputAlarmTopicArn]; ok {
		t.Errorf("default stack has output %s without alarmTopic", OutputAlarmTopicArn)
	}

	s := synth(t, variantStack)
	key := ""
	for id := range s.resources("AWS::KMS::Key") {
		key = id
	}
	if key == "" {
		t.Fatal("alarmTopic=true: no KMS key")
	}
	check(t, "alarm topic encrypted with the rotated key", func() {
		s.assert.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{
			"EnableKeyRotation": true,
			"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey*"},
			})})},
		})
		s.assert.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
			"TopicName":      alarmTopicName(s.cfg.Prefix),
			"KmsMasterKeyId": getAtt(key),
		})
	})
	topic := s.logicalID(t, "AWS::SNS::Topic", "TopicName", alarmTopicName(s.cfg.Prefix))
	check(t, "only CloudWatch alarms of the project publish", func() {
		s.assert.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
			"Topics": []any{ref(topic)},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Action":    "sns:Publish",
				"Condition": map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")},
					"ArnLike":      map[string]any{"aws:SourceArn": assertions.Match_AnyValue()},
				},
			})})},
		})
		s.assert.HasOutput(jsii.String(OutputAlarmTopicArn), map[string]any{"Value": ref(topic)})
	})
}

func TestLogRetention(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		groups := s.resources("AWS::Logs::LogGroup")
		if want := len(orchestration.Functions) + len(orchestration.StateMachines); len(groups) != want {
			t.Errorf("%s: %d log groups, want %d (one per function and state machine)", name, len(groups), want)
		}
		check(t, name+": every log group expires", func() {
			s.assert.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 30})
		})
	}
}

func TestOutputs(t *testing.T) {
	for _, name := range bothStacks {
		s := synth(t, name)
		prefix := s.cfg.Prefix
		// The keys ecprov reads (internal/execution.Locate), spelled out.
		want := map[string]string{
			"ProvisionStateMachineArn": "provision",
			"ReconcileStateMachineArn": "reconcile",
			"TeardownStateMachineArn":  "teardown",
		}
		for key, sm := range want {
			if OutputKey(sm) != key {
				t.Errorf("OutputKey(%q) = %q, want %q", sm, OutputKey(sm), key)
			}
			id := s.logicalID(t, "AWS::StepFunctions::StateMachine", "StateMachineName", orchestration.StateMachineName(prefix, sm))
			check(t, name+": output "+key, func() {
				s.assert.HasOutput(jsii.String(key), map[string]any{"Value": ref(id)})
			})
		}
		bus := s.logicalID(t, "AWS::Events::EventBus", "Name", orchestration.BusName(prefix))
		topic := s.logicalID(t, "AWS::SNS::Topic", "TopicName", orchestration.TopicName(prefix))
		check(t, name+": bus and topic outputs", func() {
			s.assert.HasOutput(jsii.String("EventBusName"), map[string]any{"Value": ref(bus)})
			s.assert.HasOutput(jsii.String("NotificationTopicArn"), map[string]any{"Value": ref(topic)})
		})
		var keys []string
		for k := range s.template["Outputs"].(map[string]any) {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		wantKeys := []string{"EventBusName", "NotificationTopicArn", "ProvisionStateMachineArn", "ReconcileStateMachineArn", "TeardownStateMachineArn"}
		if s.cfg.AlarmTopic {
			wantKeys = append([]string{"AlarmTopicArn"}, wantKeys...)
		}
		if !reflect.DeepEqual(keys, wantKeys) {
			t.Errorf("%s: outputs %v, want %v", name, keys, wantKeys)
		}
	}
}

func TestTags(t *testing.T) {
	s := synth(t, variantStack)
	for _, typ := range []string{"AWS::Lambda::Function", "AWS::StepFunctions::StateMachine", "AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::Events::EventBus"} {
		check(t, typ+" tagged", func() {
			s.assert.AllResourcesProperties(jsii.String(typ), map[string]any{"Tags": assertions.Match_ArrayWith(&[]any{
				map[string]any{"Key": "Environment", "Value": "prod"},
				map[string]any{"Key": "ManagedBy", "Value": "ecprov"},
				map[string]any{"Key": "Module", "Value": "ecprov-orchestration"},
				map[string]any{"Key": "Project", "Value": "payments"},
			})})
		})
	}
}

// The variant stack proves that every name comes from the context.
func TestNamesFollowContext(t *testing.T) {
	s := synth(t, variantStack)
	data, err := json.Marshal(s.template["Resources"])
	if err != nil {
		t.Fatal(err)
	}
	// The Module tag names the stack's kind, not a resource.
	data = []byte(strings.ReplaceAll(string(data), `"ecprov-orchestration"`, ""))
	for _, leaked := range []string{`"ecprov-`, `"audio-pipeline`, `:audio-pipeline`} {
		if strings.Contains(string(data), leaked) {
			t.Errorf("variant stack (prefix acme, project payments) still contains %s", leaked)
		}
	}
}

package main

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/ecprov/ecprov/internal/orchestration"
)

// stackEnv fills orchestration's placeholders with the stack's own
// partition, region and account (CloudFormation pseudo parameters).
func stackEnv(cfg Config) orchestration.Env {
	return orchestration.Env{
		Partition: *awscdk.Aws_PARTITION(), Region: *awscdk.Aws_REGION(), AccountID: *awscdk.Aws_ACCOUNT_ID(),
		Project: cfg.Project, KMSKeys: cfg.KMSKeyARNs,
	}
}

// nagEnv fills them as cdk-nag prints them in its findings, so that an
// IAM5 suppression names exactly the patterns of the policy. The
// deployment's own resources are no patterns; any value will do.
func nagEnv(cfg Config) orchestration.Env {
	return orchestration.Env{
		Partition: "<AWS::Partition>", Region: "<AWS::Region>", AccountID: "<AWS::AccountId>",
		Project: cfg.Project, KMSKeys: cfg.KMSKeyARNs,
		TopicARN: "<TopicArn>", LogGroupARN: "<LogGroupArn>", EventBusARN: "<EventBusArn>",
	}
}

// policyStatement translates one orchestration statement, whose
// placeholders are filled, for CDK.
func policyStatement(s orchestration.Statement) awsiam.PolicyStatement {
	props := &awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(s.Actions...),
		Resources: jsii.Strings(s.Resources...),
	}
	if s.Sid != "" {
		props.Sid = jsii.String(s.Sid)
	}
	if s.Principal.Service != "" {
		props.Principals = &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(s.Principal.Service), nil)}
	}
	if s.Conditions != nil {
		conds := map[string]any{}
		for op, kv := range s.Conditions {
			m := map[string]any{}
			for k, v := range kv {
				m[k] = v
			}
			conds[op] = m
		}
		props.Conditions = &conds
	}
	return awsiam.NewPolicyStatement(props)
}

// wildcardResources lists the resource patterns of statements that end in
// a wildcard, for the cdk-nag IAM5 suppression of exactly those.
func wildcardResources(statements []orchestration.Statement) []string {
	var out []string
	for _, s := range statements {
		for _, r := range s.Resources {
			if r != "" && r[len(r)-1] == '*' {
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

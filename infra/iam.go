package main

import (
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/profile"
	"github.com/ecprov/ecprov/internal/profilestore"
)

// grant is one statement of a function's policy. Resources are ARN patterns
// in the stack's partition, region and account; anyResource ("*") is only
// for actions that AWS does not authorize per resource, and then why says so.
type grant struct {
	sid        string
	actions    []string
	resources  []string
	why        string
	conditions map[string]any
}

// anyResource is IAM's "every resource".
const anyResource = "*"

// scope is the set of ARN patterns a project's functions may touch.
type scope struct {
	// ElastiCache resources are named "<project>-...": profile validation
	// refuses a replicationGroupId, parameterGroupName or subnetGroupName
	// without that prefix. Member clusters are "<group>-001", ... and final
	// snapshots "<group>-final-...", so the same prefix covers them.
	group, cluster, parameterGroup, subnetGroup, snapshot string
	// secrets are "<project>/*" (the profile's secretName must start so);
	// storedProfiles are the copies the profiles function keeps under it.
	secrets, storedProfiles string
	// managedAlarms are the alarms ecprov names under ecprov/<group>/;
	// allAlarms is what DescribeAlarms needs (see the alarms grants).
	managedAlarms, allAlarms string
	// elastiCacheRole is the service-linked role ElastiCache needs once per
	// account; the first create in a fresh account makes it.
	elastiCacheRole string
	region          string
	kmsKeys         []string
}

// newScope builds the patterns from partition, region and account: the
// stack passes CloudFormation's pseudo parameters, the cdk-nag suppressions
// pass the placeholders cdk-nag prints for them (nagScope).
func newScope(partition, region, account string, cfg Config) scope {
	arn := func(service, resourceType, name string) string {
		return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resourceType + ":" + name
	}
	named := cfg.Project + "-*"
	return scope{
		group:          arn("elasticache", "replicationgroup", named),
		cluster:        arn("elasticache", "cluster", named),
		parameterGroup: arn("elasticache", "parametergroup", named),
		subnetGroup:    arn("elasticache", "subnetgroup", named),
		snapshot:       arn("elasticache", "snapshot", named),
		secrets:        arn("secretsmanager", "secret", cfg.Project+"/*"),
		// profilestore.Name with a wildcard environment: the one place that
		// knows where stored profiles live.
		storedProfiles:  arn("secretsmanager", "secret", profilestore.Name(&profile.Profile{Project: cfg.Project, Environment: "*"})),
		managedAlarms:   arn("cloudwatch", "alarm", alarms.Prefix(named)+"*"),
		allAlarms:       arn("cloudwatch", "alarm", "*"),
		elastiCacheRole: "arn:" + partition + ":iam::" + account + ":role/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache",
		region:          region,
		kmsKeys:         cfg.KMSKeyARNs,
	}
}

// stackScope is the scope in the stack's own partition, region and account.
func stackScope(cfg Config) scope {
	return newScope(*awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID(), cfg)
}

// nagScope is the same scope as cdk-nag prints it in its findings.
func nagScope(cfg Config) scope {
	return newScope("<AWS::Partition>", "<AWS::Region>", "<AWS::AccountId>", cfg)
}

// permissions is each function's policy, by orchestration.Functions name.
// NewStack fails when a function has no entry, so a new function cannot be
// deployed without deciding what it may do.
func (s scope) permissions() map[string][]grant {
	readGroup := grant{
		sid:       "ReadReplicationGroup",
		actions:   []string{"elasticache:DescribeReplicationGroups", "elasticache:DescribeCacheClusters"},
		resources: []string{s.group, s.cluster},
	}
	return map[string][]grant{
		"createcluster": {
			readGroup,
			{
				sid: "ReadParameterAndSubnetGroups",
				actions: []string{
					"elasticache:DescribeCacheParameterGroups", "elasticache:DescribeCacheParameters",
					"elasticache:DescribeCacheSubnetGroups", "elasticache:ListTagsForResource",
				},
				resources: []string{s.group, s.cluster, s.parameterGroup, s.subnetGroup},
			},
			{
				// CreateReplicationGroup is authorized against the group, its
				// member clusters, and the parameter and subnet groups it uses.
				// AddTagsToResource is also what tagging on create needs.
				sid: "ConvergeReplicationGroup",
				actions: []string{
					"elasticache:CreateReplicationGroup", "elasticache:ModifyReplicationGroup",
					"elasticache:CreateCacheParameterGroup", "elasticache:ModifyCacheParameterGroup",
					"elasticache:CreateCacheSubnetGroup", "elasticache:ModifyCacheSubnetGroup",
					"elasticache:AddTagsToResource",
				},
				resources: []string{s.group, s.cluster, s.parameterGroup, s.subnetGroup},
			},
			{
				sid:       "NetworkPreflight",
				actions:   []string{"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"},
				resources: []string{anyResource},
				why:       "EC2 Describe* actions do not support resource-level permissions",
			},
			{
				sid:        "ElastiCacheServiceLinkedRole",
				actions:    []string{"iam:CreateServiceLinkedRole"},
				resources:  []string{s.elastiCacheRole},
				conditions: map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": "elasticache.amazonaws.com"}},
			},
		},
		"waitready": {readGroup},
		"publishsecret": {
			readGroup,
			{
				sid: "PublishEndpointSecret",
				actions: []string{
					"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
					"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue",
					"secretsmanager:RestoreSecret", "secretsmanager:TagResource",
				},
				resources: []string{s.secrets},
			},
		},
		"alarms": {
			readGroup,
			{
				// DescribeAlarms with AlarmNamePrefix is authorized against
				// alarm:* rather than each alarm it returns; it only reads.
				sid:       "FindAlarms",
				actions:   []string{"cloudwatch:DescribeAlarms"},
				resources: []string{s.allAlarms},
			},
			{
				sid:       "KeepManagedAlarms",
				actions:   []string{"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource"},
				resources: []string{s.managedAlarms},
			},
		},
		"profiles": {
			{
				sid:       "FindStoredProfiles",
				actions:   []string{"secretsmanager:ListSecrets"},
				resources: []string{anyResource},
				why:       "ListSecrets does not support resource-level permissions; it returns names and tags, never values",
			},
			{
				sid: "KeepStoredProfiles",
				actions: []string{
					"secretsmanager:GetSecretValue", "secretsmanager:CreateSecret", "secretsmanager:PutSecretValue",
					"secretsmanager:DeleteSecret", "secretsmanager:TagResource",
				},
				resources: []string{s.storedProfiles},
			},
		},
		"teardown": {
			readGroup,
			{
				// A final snapshot is taken by DeleteReplicationGroup, which then
				// needs CreateSnapshot on the group and on the snapshot.
				sid: "DeleteReplicationGroup",
				actions: []string{
					"elasticache:DeleteReplicationGroup", "elasticache:CreateSnapshot",
					"elasticache:DeleteCacheParameterGroup", "elasticache:DeleteCacheSubnetGroup",
				},
				resources: []string{s.group, s.cluster, s.snapshot, s.parameterGroup, s.subnetGroup},
			},
			{sid: "FindAlarms", actions: []string{"cloudwatch:DescribeAlarms"}, resources: []string{s.allAlarms}},
			{sid: "DeleteManagedAlarms", actions: []string{"cloudwatch:DeleteAlarms"}, resources: []string{s.managedAlarms}},
			{
				sid:       "DeleteEndpointSecret",
				actions:   []string{"secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"},
				resources: []string{s.secrets},
			},
			{
				sid:       "FindStoredProfiles",
				actions:   []string{"secretsmanager:ListSecrets"},
				resources: []string{anyResource},
				why:       "ListSecrets does not support resource-level permissions; it returns names and tags, never values",
			},
			{
				sid:       "DeleteStoredProfile",
				actions:   []string{"secretsmanager:GetSecretValue", "secretsmanager:DeleteSecret"},
				resources: []string{s.storedProfiles},
			},
		},
		// events and failoverrelay only put events on the project's bus;
		// NewStack grants that on the bus itself.
		"events":        {},
		"failoverrelay": {},
	}
}

// kmsGrants lets a function use the customer managed keys the profiles
// name, and only through the service that encrypts with them.
func (s scope) kmsGrants(fn string) []grant {
	if len(s.kmsKeys) == 0 {
		return nil
	}
	via := func(service string) map[string]any {
		return map[string]any{"StringEquals": map[string]any{"kms:ViaService": service + "." + s.region + ".amazonaws.com"}}
	}
	switch fn {
	case "createcluster": // atRestEncryption.kmsKeyId: ElastiCache makes a grant for the group
		return []grant{{sid: "UseCacheKey", actions: []string{"kms:DescribeKey", "kms:CreateGrant"}, resources: s.kmsKeys, conditions: via("elasticache")}}
	case "publishsecret", "profiles": // secretKmsKeyId
		return []grant{{sid: "UseSecretKey", actions: []string{"kms:Decrypt", "kms:GenerateDataKey"}, resources: s.kmsKeys, conditions: via("secretsmanager")}}
	}
	return nil
}

// statements renders grants as IAM policy statements.
func statements(gs []grant) ([]awsiam.PolicyStatement, error) {
	out := make([]awsiam.PolicyStatement, 0, len(gs))
	for _, g := range gs {
		for _, r := range g.resources {
			if r == anyResource && g.why == "" {
				return nil, fmt.Errorf("grant %s: resource * needs a reason", g.sid)
			}
		}
		props := &awsiam.PolicyStatementProps{
			Sid:       jsii.String(g.sid),
			Effect:    awsiam.Effect_ALLOW,
			Actions:   jsii.Strings(g.actions...),
			Resources: jsii.Strings(g.resources...),
		}
		if g.conditions != nil {
			conds := map[string]any{}
			for k, v := range g.conditions {
				conds[k] = v
			}
			props.Conditions = &conds
		}
		out = append(out, awsiam.NewPolicyStatement(props))
	}
	return out, nil
}

// wildcardResources lists the resource patterns of gs that end in a
// wildcard, for the cdk-nag IAM5 suppression of exactly those.
func wildcardResources(gs []grant) []string {
	seen := map[string]bool{}
	for _, g := range gs {
		for _, r := range g.resources {
			if r != "" && r[len(r)-1] == '*' {
				seen[r] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

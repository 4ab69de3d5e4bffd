package orchestration

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/profile"
	"github.com/ecprov/ecprov/internal/profilestore"
)

// Statement is one Allow statement of an IAM policy. Its resources and
// condition values are patterns with the placeholders below, so that the
// CDK app (CloudFormation's pseudo parameters) and the emulator (its own
// partition, region and account) expand one value (Env.Expand).
type Statement struct {
	// Sid names the statement. writeOwnLogs and putProjectEvents have
	// none: they are the statements CDK's grant methods wrote before they
	// moved here, and the template keeps them as they were.
	Sid string
	// Principal is set in a resource policy (a topic's), never in a role's.
	Principal Principal
	Actions   []string
	Resources []string
	// Conditions are operator -> key -> value, e.g.
	// {"StringEquals": {"aws:SourceOwner": AccountID}}.
	Conditions map[string]map[string]string
	// Why is required for the resource "*": the AWS rule that leaves no
	// narrower choice.
	Why string
}

// Principal is who a resource policy statement allows.
type Principal struct {
	Service string // e.g. "elasticache.amazonaws.com"
}

// The placeholders of resource patterns and condition values.
const (
	Partition = "${Partition}"
	Region    = "${Region}"
	AccountID = "${AccountId}"
	// Project is the profiles' "project": it prefixes every resource name
	// the functions may touch.
	Project = "${Project}"
	// TopicARN, LogGroupARN and EventBusARN are the deployment's own
	// resources: the topic whose policy this is, the function's log group,
	// the project's bus.
	TopicARN    = "${TopicArn}"
	LogGroupARN = "${LogGroupArn}"
	EventBusARN = "${EventBusArn}"
	// KMSKeys, as a whole resource, stands for every customer managed key
	// the deployment names; a statement on it is left out when there are
	// none.
	KMSKeys = "${KMSKeyArns}"
	// AnyResource is IAM's "every resource"; a statement on it needs a Why.
	AnyResource = "*"
)

func arn(service, resourceType, name string) string {
	return "arn:" + Partition + ":" + service + ":" + Region + ":" + AccountID + ":" + resourceType + ":" + name
}

// The resources the functions touch. ElastiCache resources are named
// "<project>-...": profile validation refuses a replicationGroupId,
// parameterGroupName or subnetGroupName without that prefix. Member
// clusters are "<group>-001", ... and final snapshots "<group>-final-...",
// so the same prefix covers them.
var (
	replicationGroups = arn("elasticache", "replicationgroup", Project+"-*")
	cacheClusters     = arn("elasticache", "cluster", Project+"-*")
	parameterGroups   = arn("elasticache", "parametergroup", Project+"-*")
	subnetGroups      = arn("elasticache", "subnetgroup", Project+"-*")
	snapshots         = arn("elasticache", "snapshot", Project+"-*")
	// Secrets are "<project>/*" (the profile's secretName must start so);
	// storedProfiles are the copies the profiles function keeps under it,
	// named by profilestore.Name, the one place that knows where they live.
	secrets        = arn("secretsmanager", "secret", Project+"/*")
	storedProfiles = arn("secretsmanager", "secret", profilestore.Name(&profile.Profile{Project: Project, Environment: "*"}))
	// ManagedAlarms are the alarms ecprov names under ecprov/<group>/
	// (infra's alarm topic lets only them publish); allAlarms is what
	// DescribeAlarms needs.
	ManagedAlarms = arn("cloudwatch", "alarm", alarms.Prefix(Project+"-*")+"*")
	allAlarms     = arn("cloudwatch", "alarm", "*")
	// elastiCacheRole is the service-linked role ElastiCache needs once per
	// account; the first create in a fresh account makes it.
	elastiCacheRole = "arn:" + Partition + ":iam::" + AccountID + ":role/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache"
)

// Statements more than one function has.
var (
	readReplicationGroup = Statement{
		Sid:       "ReadReplicationGroup",
		Actions:   []string{"elasticache:DescribeReplicationGroups", "elasticache:DescribeCacheClusters"},
		Resources: []string{replicationGroups, cacheClusters},
	}
	findAlarms         = Statement{Sid: "FindAlarms", Actions: []string{"cloudwatch:DescribeAlarms"}, Resources: []string{allAlarms}}
	findStoredProfiles = Statement{
		Sid:       "FindStoredProfiles",
		Actions:   []string{"secretsmanager:ListSecrets"},
		Resources: []string{AnyResource},
		Why:       "ListSecrets does not support resource-level permissions; it returns names and tags, never values",
	}
	// writeOwnLogs and putProjectEvents are added by Policy: every function
	// writes its own log group (no managed AWSLambdaBasicExecutionRole),
	// and a NeedsBus function puts events on the project's bus.
	writeOwnLogs     = Statement{Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []string{LogGroupARN}}
	putProjectEvents = Statement{Actions: []string{"events:PutEvents"}, Resources: []string{EventBusARN}}
)

// useKMSKeys lets a function use the customer managed keys the profiles
// name, and only through the service that encrypts with them.
func useKMSKeys(sid, service string, actions ...string) Statement {
	return Statement{
		Sid: sid, Actions: actions, Resources: []string{KMSKeys},
		Conditions: map[string]map[string]string{"StringEquals": {"kms:ViaService": service + "." + Region + ".amazonaws.com"}},
	}
}

// Permissions is what each of Functions may do, by name. Policy refuses a
// function with no entry, so that a new function cannot be deployed
// before someone decides what it may do.
var Permissions = map[string][]Statement{
	"createcluster": {
		readReplicationGroup,
		{
			Sid: "ReadParameterAndSubnetGroups",
			Actions: []string{
				"elasticache:DescribeCacheParameterGroups", "elasticache:DescribeCacheParameters",
				"elasticache:DescribeCacheSubnetGroups", "elasticache:ListTagsForResource",
			},
			Resources: []string{replicationGroups, cacheClusters, parameterGroups, subnetGroups},
		},
		{
			// CreateReplicationGroup is authorized against the group, its
			// member clusters, and the parameter and subnet groups it uses.
			// AddTagsToResource is also what tagging on create needs.
			Sid: "ConvergeReplicationGroup",
			Actions: []string{
				"elasticache:CreateReplicationGroup", "elasticache:ModifyReplicationGroup",
				"elasticache:CreateCacheParameterGroup", "elasticache:ModifyCacheParameterGroup",
				"elasticache:CreateCacheSubnetGroup", "elasticache:ModifyCacheSubnetGroup",
				"elasticache:AddTagsToResource",
			},
			Resources: []string{replicationGroups, cacheClusters, parameterGroups, subnetGroups},
		},
		{
			Sid:       "NetworkPreflight",
			Actions:   []string{"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"},
			Resources: []string{AnyResource},
			Why:       "EC2 Describe* actions do not support resource-level permissions",
		},
		{
			Sid:        "ElastiCacheServiceLinkedRole",
			Actions:    []string{"iam:CreateServiceLinkedRole"},
			Resources:  []string{elastiCacheRole},
			Conditions: map[string]map[string]string{"StringEquals": {"iam:AWSServiceName": "elasticache.amazonaws.com"}},
		},
		// atRestEncryption.kmsKeyId: ElastiCache makes a grant for the group.
		useKMSKeys("UseCacheKey", "elasticache", "kms:DescribeKey", "kms:CreateGrant"),
	},
	"waitready": {readReplicationGroup},
	"publishsecret": {
		readReplicationGroup,
		{
			Sid: "PublishEndpointSecret",
			Actions: []string{
				"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
				"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue",
				"secretsmanager:RestoreSecret", "secretsmanager:TagResource",
			},
			Resources: []string{secrets},
		},
		useKMSKeys("UseSecretKey", "secretsmanager", "kms:Decrypt", "kms:GenerateDataKey"), // secretKmsKeyId
	},
	"alarms": {
		readReplicationGroup,
		// DescribeAlarms with AlarmNamePrefix is authorized against alarm:*
		// rather than each alarm it returns; it only reads.
		findAlarms,
		{
			Sid:       "KeepManagedAlarms",
			Actions:   []string{"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource"},
			Resources: []string{ManagedAlarms},
		},
	},
	"profiles": {
		findStoredProfiles,
		{
			Sid: "KeepStoredProfiles",
			Actions: []string{
				"secretsmanager:GetSecretValue", "secretsmanager:CreateSecret", "secretsmanager:PutSecretValue",
				"secretsmanager:DeleteSecret", "secretsmanager:TagResource",
			},
			Resources: []string{storedProfiles},
		},
		useKMSKeys("UseSecretKey", "secretsmanager", "kms:Decrypt", "kms:GenerateDataKey"), // secretKmsKeyId
	},
	"teardown": {
		readReplicationGroup,
		{
			// A final snapshot is taken by DeleteReplicationGroup, which then
			// needs CreateSnapshot on the group and on the snapshot.
			Sid: "DeleteReplicationGroup",
			Actions: []string{
				"elasticache:DeleteReplicationGroup", "elasticache:CreateSnapshot",
				"elasticache:DeleteCacheParameterGroup", "elasticache:DeleteCacheSubnetGroup",
			},
			Resources: []string{replicationGroups, cacheClusters, snapshots, parameterGroups, subnetGroups},
		},
		findAlarms,
		{Sid: "DeleteManagedAlarms", Actions: []string{"cloudwatch:DeleteAlarms"}, Resources: []string{ManagedAlarms}},
		{
			Sid:       "DeleteEndpointSecret",
			Actions:   []string{"secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"},
			Resources: []string{secrets},
		},
		findStoredProfiles,
		{
			Sid:       "DeleteStoredProfile",
			Actions:   []string{"secretsmanager:GetSecretValue", "secretsmanager:DeleteSecret"},
			Resources: []string{storedProfiles},
		},
	},
	// events and failoverrelay only put events on the project's bus
	// (putProjectEvents, for NeedsBus).
	"events":        {},
	"failoverrelay": {},
}

// Env is one deployment's values for the placeholders. In infra/ they are
// CDK tokens, which CloudFormation resolves; in the emulator, plain values.
type Env struct {
	Partition, Region, AccountID, Project string
	TopicARN, LogGroupARN, EventBusARN    string
	KMSKeys                               []string
}

// vars are the placeholders Env has a value for; Render fails on the rest.
func (e Env) vars() map[string]string {
	out := map[string]string{}
	for name, v := range map[string]string{
		Partition: e.Partition, Region: e.Region, AccountID: e.AccountID, Project: e.Project,
		TopicARN: e.TopicARN, LogGroupARN: e.LogGroupARN, EventBusARN: e.EventBusARN,
	} {
		if v != "" {
			out[name[2:len(name)-1]] = v
		}
	}
	return out
}

// Fill fills the placeholders of one pattern.
func (e Env) Fill(pattern string) (string, error) { return Render(pattern, e.vars()) }

// Expand fills a statement's placeholders. ok is false for a statement on
// KMSKeys when the deployment names no keys. It refuses the resource "*"
// without a Why.
func (e Env) Expand(s Statement) (out Statement, ok bool, err error) {
	out = s
	out.Resources = nil
	for _, r := range s.Resources {
		switch r {
		case AnyResource:
			if s.Why == "" {
				return out, false, fmt.Errorf("statement %s: resource * needs a written why (Statement.Why)", s.Sid)
			}
		case KMSKeys:
			out.Resources = append(out.Resources, e.KMSKeys...)
			continue
		}
		v, err := e.Fill(r)
		if err != nil {
			return out, false, fmt.Errorf("statement %s: resource %s: %w", s.Sid, r, err)
		}
		out.Resources = append(out.Resources, v)
	}
	if s.Conditions != nil {
		out.Conditions = map[string]map[string]string{}
		for op, kv := range s.Conditions {
			out.Conditions[op] = map[string]string{}
			for k, v := range kv {
				if out.Conditions[op][k], err = e.Fill(v); err != nil {
					return out, false, fmt.Errorf("statement %s: condition %s %s: %w", s.Sid, op, k, err)
				}
			}
		}
	}
	return out, len(out.Resources) > 0, nil
}

// Policy is what function fn may do in the deployment env describes: its
// Permissions entry, writing its own logs and, with NeedsBus, putting
// events on the project's bus; with the placeholders filled.
func Policy(fn string, env Env) ([]Statement, error) {
	f, ok := FunctionByName(fn)
	if !ok {
		return nil, fmt.Errorf("function %s is not in orchestration.Functions", fn)
	}
	entry, ok := Permissions[fn]
	if !ok {
		return nil, fmt.Errorf("function %s has no entry in orchestration.Permissions (internal/orchestration/permissions.go): decide what it may do", fn)
	}
	all := append(append([]Statement{}, entry...), writeOwnLogs)
	if f.NeedsBus {
		all = append(all, putProjectEvents)
	}
	out, err := env.ExpandAll(all)
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", fn, err)
	}
	return out, nil
}

// ExpandAll expands each statement, leaving out those Expand drops.
func (e Env) ExpandAll(statements []Statement) ([]Statement, error) {
	out := make([]Statement, 0, len(statements))
	for _, s := range statements {
		x, ok, err := e.Expand(s)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, x)
		}
	}
	return out, nil
}

// PolicyDocument is statements as an IAM policy document, for the APIs
// that take one as JSON (SNS's Policy attribute, for one).
func PolicyDocument(statements []Statement) string {
	type principal struct {
		Service string `json:"Service,omitempty"`
	}
	type statement struct {
		Sid       string                       `json:"Sid,omitempty"`
		Effect    string                       `json:"Effect"`
		Principal *principal                   `json:"Principal,omitempty"`
		Action    []string                     `json:"Action"`
		Resource  []string                     `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition,omitempty"`
	}
	doc := struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{Version: "2012-10-17"}
	for _, s := range statements {
		st := statement{Sid: s.Sid, Effect: "Allow", Action: s.Actions, Resource: s.Resources, Condition: s.Conditions}
		if s.Principal != (Principal{}) {
			st.Principal = &principal{Service: s.Principal.Service}
		}
		doc.Statement = append(doc.Statement, st)
	}
	data, _ := json.Marshal(doc) // strings, slices and maps of strings always marshal
	return string(data)
}

// ReadOnly reports whether an IAM action only reads (Describe*, Get*,
// List*): the only kind a statement on every resource may have.
func ReadOnly(action string) bool {
	_, verb, _ := strings.Cut(action, ":")
	if strings.Contains(verb, "*") {
		return false
	}
	for _, p := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(verb, p) {
			return true
		}
	}
	return false
}

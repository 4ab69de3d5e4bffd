package awsfake

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// EC2 serves fixed subnets and security groups.
type EC2 struct {
	Calls
	Subnets        []ec2types.Subnet
	SecurityGroups []ec2types.SecurityGroup
}

// DevNetwork is the network the dev profile names: two subnets in two AZs,
// and a Redis group open to the API and Worker groups only.
func DevNetwork() *EC2 {
	rule := func(groups ...string) ec2types.IpPermission {
		p := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(6379), ToPort: aws.Int32(6379)}
		for _, g := range groups {
			p.UserIdGroupPairs = append(p.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: aws.String(g)})
		}
		return p
	}
	return &EC2{
		Subnets: []ec2types.Subnet{
			{SubnetId: aws.String("subnet-0ec00000000000a01"), VpcId: aws.String("vpc-0ec000000000000a1"), AvailabilityZone: aws.String("us-east-1a")},
			{SubnetId: aws.String("subnet-0ec00000000000b01"), VpcId: aws.String("vpc-0ec000000000000a1"), AvailabilityZone: aws.String("us-east-1b")},
			{SubnetId: aws.String("subnet-0ec00000000000a02"), VpcId: aws.String("vpc-0ec000000000000a1"), AvailabilityZone: aws.String("us-east-1a")},
			{SubnetId: aws.String("subnet-0ec00000000000c01"), VpcId: aws.String("vpc-0ec000000000000b1"), AvailabilityZone: aws.String("us-east-1c")},
		},
		SecurityGroups: []ec2types.SecurityGroup{
			{GroupId: aws.String("sg-0ec000000000c0001"), VpcId: aws.String("vpc-0ec000000000000a1"), IpPermissions: []ec2types.IpPermission{rule("sg-0ec000000000a0001", "sg-0ec000000000b0001")}},
			{GroupId: aws.String("sg-0ec000000000f0001"), VpcId: aws.String("vpc-0ec000000000000a1"), IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(6379), ToPort: aws.Int32(6379),
				IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
			}}},
		},
	}
}

func (f *EC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	if err := f.record("DescribeSubnets"); err != nil {
		return nil, err
	}
	out := &ec2.DescribeSubnetsOutput{}
	for _, id := range in.SubnetIds {
		i := slices.IndexFunc(f.Subnets, func(s ec2types.Subnet) bool { return aws.ToString(s.SubnetId) == id })
		if i < 0 {
			return nil, APIError("InvalidSubnetID.NotFound", fmt.Sprintf("The subnet ID '%s' does not exist", id))
		}
		out.Subnets = append(out.Subnets, f.Subnets[i])
	}
	return out, nil
}

func (f *EC2) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	if err := f.record("DescribeSecurityGroups"); err != nil {
		return nil, err
	}
	out := &ec2.DescribeSecurityGroupsOutput{}
	for _, id := range in.GroupIds {
		i := slices.IndexFunc(f.SecurityGroups, func(g ec2types.SecurityGroup) bool { return aws.ToString(g.GroupId) == id })
		if i < 0 {
			return nil, APIError("InvalidGroup.NotFound", fmt.Sprintf("The security group '%s' does not exist", id))
		}
		out.SecurityGroups = append(out.SecurityGroups, f.SecurityGroups[i])
	}
	return out, nil
}

// Secret is one stored secret of the Secrets Manager fake.
type Secret struct {
	ARN      string
	Value    string
	Version  string
	Versions int
	Deleted  *time.Time
	Tags     map[string]string
	Tokens   map[string]string // ClientRequestToken -> value
}

// SecretsManager keeps secrets with a current version each.
type SecretsManager struct {
	Calls
	mu      sync.Mutex
	Secrets map[string]*Secret
}

// NewSecretsManager returns an empty fake.
func NewSecretsManager() *SecretsManager { return &SecretsManager{Secrets: map[string]*Secret{}} }

func (f *SecretsManager) find(id string) (*Secret, error) {
	for name, s := range f.Secrets {
		if name == id || s.ARN == id {
			return s, nil
		}
	}
	return nil, APIError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func (f *SecretsManager) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if err := f.record("DescribeSecret"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	out := &secretsmanager.DescribeSecretOutput{ARN: aws.String(s.ARN), DeletedDate: s.Deleted}
	for k, v := range s.Tags {
		out.Tags = append(out.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out, nil
}

func (f *SecretsManager) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if err := f.record("GetSecretValue"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	if s.Deleted != nil {
		return nil, APIError("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
	}
	return &secretsmanager.GetSecretValueOutput{ARN: aws.String(s.ARN), SecretString: aws.String(s.Value), VersionId: aws.String(s.Version)}, nil
}

func (f *SecretsManager) CreateSecret(_ context.Context, in *secretsmanager.CreateSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error) {
	if err := f.record("CreateSecret"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	if _, ok := f.Secrets[name]; ok {
		return nil, APIError("ResourceExistsException", "The operation failed because the secret "+name+" already exists.")
	}
	s := &Secret{ARN: "arn:aws:secretsmanager:us-east-1:000000000000:secret:" + name + "-AbCdEf", Tags: map[string]string{}, Tokens: map[string]string{}}
	for _, t := range in.Tags {
		s.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	f.Secrets[name] = s
	f.put(s, aws.ToString(in.ClientRequestToken), aws.ToString(in.SecretString))
	return &secretsmanager.CreateSecretOutput{ARN: aws.String(s.ARN), Name: in.Name, VersionId: aws.String(s.Version)}, nil
}

func (f *SecretsManager) put(s *Secret, token, value string) {
	if token == "" {
		token = fmt.Sprintf("v%d", s.Versions+1)
	}
	if _, ok := s.Tokens[token]; ok {
		return // idempotent retry
	}
	s.Tokens[token] = value
	s.Versions++
	s.Value, s.Version = value, token
}

func (f *SecretsManager) PutSecretValue(_ context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	if err := f.record("PutSecretValue"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	if s.Deleted != nil {
		return nil, APIError("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
	}
	f.put(s, aws.ToString(in.ClientRequestToken), aws.ToString(in.SecretString))
	return &secretsmanager.PutSecretValueOutput{ARN: aws.String(s.ARN), VersionId: aws.String(s.Version)}, nil
}

func (f *SecretsManager) RestoreSecret(_ context.Context, in *secretsmanager.RestoreSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error) {
	if err := f.record("RestoreSecret"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	s.Deleted = nil
	return &secretsmanager.RestoreSecretOutput{ARN: aws.String(s.ARN)}, nil
}

func (f *SecretsManager) TagResource(_ context.Context, in *secretsmanager.TagResourceInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.TagResourceOutput, error) {
	if err := f.record("TagResource"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	for _, t := range in.Tags {
		s.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &secretsmanager.TagResourceOutput{}, nil
}

// CloudWatch stores metric alarms by name.
type CloudWatch struct {
	Calls
	mu     sync.Mutex
	Alarms map[string]cwtypes.MetricAlarm
}

// NewCloudWatch returns an empty fake.
func NewCloudWatch() *CloudWatch { return &CloudWatch{Alarms: map[string]cwtypes.MetricAlarm{}} }

func (f *CloudWatch) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	if err := f.record("DescribeAlarms"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &cloudwatch.DescribeAlarmsOutput{}
	for name, a := range f.Alarms {
		if strings.HasPrefix(name, aws.ToString(in.AlarmNamePrefix)) {
			out.MetricAlarms = append(out.MetricAlarms, a)
		}
	}
	return out, nil
}

func (f *CloudWatch) PutMetricAlarm(_ context.Context, in *cloudwatch.PutMetricAlarmInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error) {
	if err := f.record("PutMetricAlarm"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Alarms[aws.ToString(in.AlarmName)] = cwtypes.MetricAlarm{
		AlarmName: in.AlarmName, AlarmDescription: in.AlarmDescription, Namespace: in.Namespace, MetricName: in.MetricName,
		Dimensions: in.Dimensions, Statistic: in.Statistic, Period: in.Period, EvaluationPeriods: in.EvaluationPeriods,
		DatapointsToAlarm: in.DatapointsToAlarm, Threshold: in.Threshold, ComparisonOperator: in.ComparisonOperator,
		TreatMissingData: in.TreatMissingData, ActionsEnabled: in.ActionsEnabled, AlarmActions: in.AlarmActions, OKActions: in.OKActions,
	}
	return &cloudwatch.PutMetricAlarmOutput{}, nil
}

func (f *CloudWatch) DeleteAlarms(_ context.Context, in *cloudwatch.DeleteAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error) {
	if err := f.record("DeleteAlarms"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range in.AlarmNames {
		delete(f.Alarms, n)
	}
	return &cloudwatch.DeleteAlarmsOutput{}, nil
}

func (f *SecretsManager) ListSecrets(_ context.Context, in *secretsmanager.ListSecretsInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	if err := f.record("ListSecrets"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &secretsmanager.ListSecretsOutput{}
	for name, s := range f.Secrets {
		entry := smtypes.SecretListEntry{Name: aws.String(name), ARN: aws.String(s.ARN), DeletedDate: s.Deleted}
		for k, v := range s.Tags {
			entry.Tags = append(entry.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		out.SecretList = append(out.SecretList, entry)
	}
	return out, nil
}

func (f *SecretsManager) DeleteSecret(_ context.Context, in *secretsmanager.DeleteSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error) {
	if err := f.record("DeleteSecret"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	if aws.ToBool(in.ForceDeleteWithoutRecovery) {
		for name, other := range f.Secrets {
			if other == s {
				delete(f.Secrets, name)
			}
		}
		return &secretsmanager.DeleteSecretOutput{ARN: aws.String(s.ARN)}, nil
	}
	when := time.Now().AddDate(0, 0, int(aws.ToInt64(in.RecoveryWindowInDays)))
	s.Deleted = &when
	return &secretsmanager.DeleteSecretOutput{ARN: aws.String(s.ARN), DeletionDate: &when}, nil
}

// EventBridge records the events put on each bus.
type EventBridge struct {
	Calls
	mu      sync.Mutex
	Entries []ebtypes.PutEventsRequestEntry
}

func (f *EventBridge) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	if err := f.record("PutEvents"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		f.Entries = append(f.Entries, e)
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("event-%d", len(f.Entries)))})
	}
	return out, nil
}

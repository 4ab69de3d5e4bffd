package ec2_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/ecprov/ecprov/emulator/ec2"
	"github.com/ecprov/ecprov/emulator/internal/awscli"
	"github.com/ecprov/ecprov/emulator/server"
)

func newClient(t *testing.T, region string) (*awsec2.Client, string) {
	t.Helper()
	srv := httptest.NewServer(ec2.New(region))
	t.Cleanup(srv.Close)
	c := awsec2.New(awsec2.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	return c, srv.URL
}

func TestDescribeSubnets(t *testing.T) {
	c, _ := newClient(t, "us-east-1")
	ctx := context.Background()
	tests := []struct {
		name     string
		in       awsec2.DescribeSubnetsInput
		wantIDs  []string
		wantCode string
	}{
		{name: "by id", in: awsec2.DescribeSubnetsInput{SubnetIds: []string{ec2.SubnetA1, ec2.SubnetB1}}, wantIDs: []string{ec2.SubnetA1, ec2.SubnetB1}},
		{name: "vpc filter", in: awsec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{ec2.OtherVPCID}}}}, wantIDs: []string{ec2.SubnetOtherC}},
		{name: "az wildcard", in: awsec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("availability-zone"), Values: []string{"*a"}}}}, wantIDs: []string{ec2.SubnetA1, ec2.SubnetA2}},
		{name: "all", wantIDs: []string{ec2.SubnetA1, ec2.SubnetB1, ec2.SubnetA2, ec2.SubnetOtherC}},
		{name: "unknown", in: awsec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0ec00000000000fff"}}, wantCode: "InvalidSubnetID.NotFound"},
		{name: "malformed", in: awsec2.DescribeSubnetsInput{SubnetIds: []string{"nope"}}, wantCode: "InvalidSubnetID.Malformed"},
		{name: "bad filter", in: awsec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("colour"), Values: []string{"x"}}}}, wantCode: "InvalidParameterValue"},
		{name: "dry run", in: awsec2.DescribeSubnetsInput{DryRun: aws.Bool(true)}, wantCode: "DryRunOperation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DescribeSubnets(ctx, &tc.in)
			if tc.wantCode != "" {
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode {
					t.Fatalf("err = %v, want code %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range out.Subnets {
				ids = append(ids, aws.ToString(s.SubnetId))
			}
			if !slices.Equal(ids, tc.wantIDs) {
				t.Fatalf("subnets = %v, want %v", ids, tc.wantIDs)
			}
		})
	}
}

func TestSubnetFields(t *testing.T) {
	c, _ := newClient(t, "eu-west-2")
	out, err := c.DescribeSubnets(context.Background(), &awsec2.DescribeSubnetsInput{SubnetIds: []string{ec2.SubnetB1}})
	if err != nil {
		t.Fatal(err)
	}
	s := out.Subnets[0]
	if aws.ToString(s.AvailabilityZone) != "eu-west-2b" || aws.ToString(s.VpcId) != ec2.VPCID ||
		aws.ToString(s.CidrBlock) != "10.20.2.0/24" || s.State != types.SubnetStateAvailable ||
		aws.ToString(s.AvailabilityZoneId) != "euw2-az2" {
		t.Fatalf("subnet = az %s vpc %s cidr %s state %s zone id %s", aws.ToString(s.AvailabilityZone), aws.ToString(s.VpcId),
			aws.ToString(s.CidrBlock), s.State, aws.ToString(s.AvailabilityZoneId))
	}
}

func TestDescribeSecurityGroups(t *testing.T) {
	c, _ := newClient(t, "us-east-1")
	ctx := context.Background()
	out, err := c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{ec2.SecurityGroupRedis, ec2.SecurityGroupOpenRedis}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecurityGroups) != 2 {
		t.Fatalf("got %d groups, want 2", len(out.SecurityGroups))
	}
	redis, open := out.SecurityGroups[0], out.SecurityGroups[1]
	if aws.ToString(redis.GroupName) != "ecprov-dev-redis" || aws.ToString(redis.VpcId) != ec2.VPCID {
		t.Fatalf("redis group = %s in %s", aws.ToString(redis.GroupName), aws.ToString(redis.VpcId))
	}
	if len(redis.IpPermissions) != 1 {
		t.Fatalf("redis group has %d ingress rules, want 1", len(redis.IpPermissions))
	}
	perm := redis.IpPermissions[0]
	var groups []string
	for _, g := range perm.UserIdGroupPairs {
		groups = append(groups, aws.ToString(g.GroupId))
	}
	if aws.ToString(perm.IpProtocol) != "tcp" || aws.ToInt32(perm.FromPort) != 6379 || aws.ToInt32(perm.ToPort) != 6379 ||
		len(perm.IpRanges) != 0 || !slices.Equal(groups, []string{ec2.SecurityGroupAPI, ec2.SecurityGroupWorker}) {
		t.Fatalf("redis ingress = %s %d-%d groups %v ranges %d", aws.ToString(perm.IpProtocol), aws.ToInt32(perm.FromPort), aws.ToInt32(perm.ToPort), groups, len(perm.IpRanges))
	}
	if got := aws.ToString(open.IpPermissions[0].IpRanges[0].CidrIp); got != "0.0.0.0/0" {
		t.Fatalf("open group cidr = %s", got)
	}
	if len(redis.IpPermissionsEgress) != 1 || aws.ToString(redis.IpPermissionsEgress[0].IpProtocol) != "-1" {
		t.Fatalf("egress = %+v", redis.IpPermissionsEgress)
	}

	byVpc, err := c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{ec2.VPCID}},
		{Name: aws.String("group-id"), Values: []string{ec2.SecurityGroupAPI, ec2.SecurityGroupWorker}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(byVpc.SecurityGroups) != 2 {
		t.Fatalf("filtered groups = %d, want 2", len(byVpc.SecurityGroups))
	}

	_, err = c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0ec0000000000dead"}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidGroup.NotFound" {
		t.Fatalf("unknown group err = %v", err)
	}
}

func TestDescribeVpcs(t *testing.T) {
	c, _ := newClient(t, "us-east-1")
	out, err := c.DescribeVpcs(context.Background(), &awsec2.DescribeVpcsInput{VpcIds: []string{ec2.VPCID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Vpcs) != 1 || aws.ToString(out.Vpcs[0].CidrBlock) != "10.20.0.0/16" || out.Vpcs[0].State != types.VpcStateAvailable {
		t.Fatalf("vpcs = %+v", out.Vpcs)
	}
	_, err = c.DescribeVpcs(context.Background(), &awsec2.DescribeVpcsInput{VpcIds: []string{"vpc-0ec0000000000dead"}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidVpcID.NotFound" {
		t.Fatalf("unknown vpc err = %v", err)
	}
}

// TestAWSCLI checks that the AWS CLI (botocore's own parser) reads the
// responses.
func TestAWSCLI(t *testing.T) {
	awscli.Require(t)
	_, url := newClient(t, "us-east-1")
	out, err := awscli.Command(url, "ec2", "describe-subnets", "--subnet-ids", ec2.SubnetA1).Output()
	if err != nil {
		t.Fatalf("aws ec2 describe-subnets: %v\n%s", err, out)
	}
	var got struct {
		Subnets []struct{ SubnetId, VpcId, AvailabilityZone string }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("CLI output: %v\n%s", err, out)
	}
	if len(got.Subnets) != 1 || got.Subnets[0].SubnetId != ec2.SubnetA1 || got.Subnets[0].AvailabilityZone != "us-east-1a" {
		t.Fatalf("CLI subnets = %+v", got.Subnets)
	}

	msg, err := awscli.Command(url, "ec2", "describe-subnets", "--subnet-ids", "subnet-0ec00000000000fff").CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "InvalidSubnetID.NotFound") {
		t.Fatalf("CLI error output = %s (err %v)", msg, err)
	}
}

// routed is the shape the emulator's router (emulator/server) expects of a
// service.
type routed interface {
	SigningName() string
	Operation(r *http.Request, body []byte) string
	WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string)
	ServeHTTP(w http.ResponseWriter, r *http.Request)
}

var _ routed = (*ec2.Service)(nil)

// TestMaxResultsAndRequestID: MaxResults outside 5 to 1000 (botocore ec2
// DescribeSubnetsMaxResults) is InvalidParameterValue; an error names the
// router's request id, the one in the x-amz-request-id header.
func TestMaxResultsAndRequestID(t *testing.T) {
	srv := httptest.NewServer(server.New(nil, ec2.New("us-east-1")))
	defer srv.Close()
	c := awsec2.New(awsec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	for _, n := range []int32{4, 1001} {
		_, err := c.DescribeSubnets(context.Background(), &awsec2.DescribeSubnetsInput{MaxResults: aws.Int32(n)})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValue" || !strings.Contains(ae.ErrorMessage(), "maxResults") {
			t.Errorf("MaxResults %d: %v, want InvalidParameterValue naming maxResults", n, err)
		}
	}
	if _, err := c.DescribeSubnets(context.Background(), &awsec2.DescribeSubnetsInput{MaxResults: aws.Int32(5)}); err != nil {
		t.Errorf("MaxResults 5: %v", err)
	}
	_, err := c.DescribeSubnets(context.Background(), &awsec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("no-such-filter"), Values: []string{"x"}}}})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("unknown filter: %v, want an error response", err)
	}
	if id := re.ServiceRequestID(); id == "" || id != re.Response.Header.Get("x-amz-request-id") {
		t.Errorf("an error names request id %q in the body, %q in x-amz-request-id; want one id", id, re.Response.Header.Get("x-amz-request-id"))
	}
}

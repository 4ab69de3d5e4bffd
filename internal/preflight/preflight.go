// Package preflight checks the network a profile names before anything is
// created: the subnets (one VPC, at least two Availability Zones, R2) and the
// security groups (the port reachable only from the allowed groups, R7).
package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/profile"
)

// API is the part of EC2 the pre-flight reads.
type API interface {
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

// Result is what the pre-flight found.
type Result struct {
	VPCID             string   `json:"vpcId"`
	AvailabilityZones []string `json:"availabilityZones"`
}

// Check runs every check and fails with NetworkCheckFailed listing each
// problem, or with an AWS error when EC2 could not be read.
func Check(ctx context.Context, api API, p *profile.Profile) (Result, error) {
	var problems []string
	res, subnetProblems, err := checkSubnets(ctx, api, p)
	if err != nil {
		return res, err
	}
	problems = append(problems, subnetProblems...)
	sgProblems, err := checkSecurityGroups(ctx, api, p, res.VPCID)
	if err != nil {
		return res, err
	}
	problems = append(problems, sgProblems...)
	if len(problems) > 0 {
		return res, failure.New(failure.NetworkCheckFailed, "network pre-flight failed; nothing was created:\n  %s", strings.Join(problems, "\n  "))
	}
	return res, nil
}

func checkSubnets(ctx context.Context, api API, p *profile.Profile) (Result, []string, error) {
	out, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: p.Network.SubnetIDs})
	if err != nil {
		if isNotFound(err) {
			return Result{}, []string{fmt.Sprintf("network.subnetIds: %s; check the ids and the region %q", apiMessage(err), p.Region)}, nil
		}
		return Result{}, nil, failure.AWS(err, "describe subnets")
	}
	var problems []string
	vpcs := map[string][]string{}
	azs := map[string]bool{}
	for _, s := range out.Subnets {
		id := aws.ToString(s.SubnetId)
		vpcs[aws.ToString(s.VpcId)] = append(vpcs[aws.ToString(s.VpcId)], id)
		azs[aws.ToString(s.AvailabilityZone)] = true
	}
	for _, want := range p.Network.SubnetIDs {
		if !slices.ContainsFunc(out.Subnets, func(s types.Subnet) bool { return aws.ToString(s.SubnetId) == want }) {
			problems = append(problems, fmt.Sprintf("network.subnetIds: subnet %s was not found", want))
		}
	}
	res := Result{AvailabilityZones: sortedKeys(azs)}
	switch len(vpcs) {
	case 0:
	case 1:
		for vpc := range vpcs {
			res.VPCID = vpc
		}
	default:
		var parts []string
		for _, vpc := range sortedKeys(vpcs) {
			parts = append(parts, fmt.Sprintf("%s in %s", strings.Join(vpcs[vpc], ", "), vpc))
		}
		problems = append(problems, fmt.Sprintf("network.subnetIds: subnets are in %d VPCs (%s); a subnet group needs one VPC", len(vpcs), strings.Join(parts, "; ")))
	}
	if p.Network.VPCID != "" && res.VPCID != "" && res.VPCID != p.Network.VPCID {
		problems = append(problems, fmt.Sprintf("network.vpcId: the subnets are in %s, not %s", res.VPCID, p.Network.VPCID))
	}
	if len(out.Subnets) > 0 && len(azs) < 2 {
		problems = append(problems, fmt.Sprintf("network.subnetIds: all subnets are in %s; Multi-AZ needs subnets in at least 2 Availability Zones", strings.Join(res.AvailabilityZones, ", ")))
	}
	return res, problems, nil
}

func checkSecurityGroups(ctx context.Context, api API, p *profile.Profile, vpc string) ([]string, error) {
	out, err := api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: p.Network.SecurityGroupIDs})
	if err != nil {
		if isNotFound(err) {
			return []string{fmt.Sprintf("network.securityGroupIds: %s", apiMessage(err))}, nil
		}
		return nil, failure.AWS(err, "describe security groups")
	}
	var problems []string
	reachable := map[string]bool{}
	port := int32(p.Port)
	for _, g := range out.SecurityGroups {
		id := aws.ToString(g.GroupId)
		if vpc != "" && aws.ToString(g.VpcId) != vpc {
			problems = append(problems, fmt.Sprintf("network.securityGroupIds: %s is in %s, but the subnets are in %s", id, aws.ToString(g.VpcId), vpc))
		}
		for _, perm := range g.IpPermissions {
			if !coversPort(perm, port) {
				continue
			}
			for _, r := range perm.IpRanges {
				problems = append(problems, fmt.Sprintf("network.securityGroupIds: %s opens port %d to %s; only the allowed security groups may reach it (R7): remove that rule", id, port, aws.ToString(r.CidrIp)))
			}
			for _, r := range perm.Ipv6Ranges {
				problems = append(problems, fmt.Sprintf("network.securityGroupIds: %s opens port %d to %s; only the allowed security groups may reach it (R7): remove that rule", id, port, aws.ToString(r.CidrIpv6)))
			}
			for _, r := range perm.PrefixListIds {
				problems = append(problems, fmt.Sprintf("network.securityGroupIds: %s opens port %d to prefix list %s; only the allowed security groups may reach it (R7): remove that rule", id, port, aws.ToString(r.PrefixListId)))
			}
			for _, pair := range perm.UserIdGroupPairs {
				src := aws.ToString(pair.GroupId)
				if slices.Contains(p.Network.AllowedSourceSecurityGroupIDs, src) {
					reachable[src] = true
					continue
				}
				problems = append(problems, fmt.Sprintf("network.securityGroupIds: %s opens port %d to %s, which is not in network.allowedSourceSecurityGroupIds: remove the rule or add the group to the profile", id, port, src))
			}
		}
	}
	for _, src := range p.Network.AllowedSourceSecurityGroupIDs {
		if !reachable[src] {
			problems = append(problems, fmt.Sprintf("network.allowedSourceSecurityGroupIds: %s cannot reach port %d; add an ingress rule for it to %s", src, port, strings.Join(p.Network.SecurityGroupIDs, " or ")))
		}
	}
	return problems, nil
}

// coversPort: protocol -1 is all traffic; a tcp rule covers a port range.
func coversPort(perm types.IpPermission, port int32) bool {
	switch aws.ToString(perm.IpProtocol) {
	case "-1", "all":
		return true
	case "tcp", "6":
		return aws.ToInt32(perm.FromPort) <= port && port <= aws.ToInt32(perm.ToPort)
	}
	return false
}

func isNotFound(err error) bool {
	return strings.HasSuffix(failure.ErrorCode(err), ".NotFound") || strings.HasSuffix(failure.ErrorCode(err), ".Malformed")
}

func apiMessage(err error) string {
	var apiErr interface{ ErrorMessage() string }
	if errors.As(err, &apiErr) {
		return apiErr.ErrorMessage()
	}
	return err.Error()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

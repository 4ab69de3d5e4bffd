// Package ec2 emulates the EC2 network look-ups ecprov's pre-flight checks
// make (DescribeVpcs, DescribeSubnets, DescribeSecurityGroups) over a fixed
// network created at start:
//
//	VPC vpc-0ec000000000000a1 (10.20.0.0/16), the environment's network:
//	  subnet-0ec00000000000a01  <region>a  10.20.1.0/24  private
//	  subnet-0ec00000000000b01  <region>b  10.20.2.0/24  private
//	  subnet-0ec00000000000a02  <region>a  10.20.3.0/24  (same AZ as a01, for negative tests)
//	  sg-0ec000000000a0001  ecprov-dev-api
//	  sg-0ec000000000b0001  ecprov-dev-worker
//	  sg-0ec000000000c0001  ecprov-dev-redis       tcp 6379 from the API and Worker groups only
//	  sg-0ec000000000f0001  ecprov-dev-open-redis  tcp 6379 from 0.0.0.0/0 (deliberately bad)
//	VPC vpc-0ec000000000000b1 (10.30.0.0/16), another network:
//	  subnet-0ec00000000000c01  <region>c  10.30.1.0/24
//
// Availability zones are <region>a, <region>b and <region>c of the region
// given to New (us-east-1a, us-east-1b, us-east-1c by default).
package ec2

import (
	"fmt"
	"strings"
)

// Fixture ids.
const (
	VPCID      = "vpc-0ec000000000000a1"
	OtherVPCID = "vpc-0ec000000000000b1"

	SubnetA1     = "subnet-0ec00000000000a01"
	SubnetB1     = "subnet-0ec00000000000b01"
	SubnetA2     = "subnet-0ec00000000000a02"
	SubnetOtherC = "subnet-0ec00000000000c01"

	SecurityGroupAPI       = "sg-0ec000000000a0001"
	SecurityGroupWorker    = "sg-0ec000000000b0001"
	SecurityGroupRedis     = "sg-0ec000000000c0001"
	SecurityGroupOpenRedis = "sg-0ec000000000f0001"

	// AccountID owns every fixture resource.
	AccountID = "000000000000"
)

// VPC is one fixture VPC.
type VPC struct {
	ID   string
	CIDR string
	Name string
}

// Subnet is one fixture subnet.
type Subnet struct {
	ID               string
	VpcID            string
	AvailabilityZone string
	CIDR             string
	Name             string
}

// Permission is one ingress or egress rule.
type Permission struct {
	Protocol string // "tcp", "-1" for all
	FromPort int
	ToPort   int
	CIDRs    []string
	GroupIDs []string
}

// SecurityGroup is one fixture security group.
type SecurityGroup struct {
	ID          string
	Name        string
	Description string
	VpcID       string
	Ingress     []Permission
	Egress      []Permission
}

// Network is the fixed network of one region.
type Network struct {
	Region         string
	VPCs           []VPC
	Subnets        []Subnet
	SecurityGroups []SecurityGroup
}

// NewNetwork builds the fixture for region (us-east-1 when empty).
func NewNetwork(region string) *Network {
	if region == "" {
		region = "us-east-1"
	}
	allOut := []Permission{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}
	return &Network{
		Region: region,
		VPCs: []VPC{
			{ID: VPCID, CIDR: "10.20.0.0/16", Name: "ecprov-dev"},
			{ID: OtherVPCID, CIDR: "10.30.0.0/16", Name: "ecprov-other"},
		},
		Subnets: []Subnet{
			{ID: SubnetA1, VpcID: VPCID, AvailabilityZone: region + "a", CIDR: "10.20.1.0/24", Name: "ecprov-dev-private-a"},
			{ID: SubnetB1, VpcID: VPCID, AvailabilityZone: region + "b", CIDR: "10.20.2.0/24", Name: "ecprov-dev-private-b"},
			{ID: SubnetA2, VpcID: VPCID, AvailabilityZone: region + "a", CIDR: "10.20.3.0/24", Name: "ecprov-dev-private-a2"},
			{ID: SubnetOtherC, VpcID: OtherVPCID, AvailabilityZone: region + "c", CIDR: "10.30.1.0/24", Name: "ecprov-other-c"},
		},
		SecurityGroups: []SecurityGroup{
			{ID: SecurityGroupAPI, Name: "ecprov-dev-api", Description: "API service", VpcID: VPCID, Egress: allOut},
			{ID: SecurityGroupWorker, Name: "ecprov-dev-worker", Description: "Celery workers", VpcID: VPCID, Egress: allOut},
			{
				ID: SecurityGroupRedis, Name: "ecprov-dev-redis", Description: "Redis from API and workers", VpcID: VPCID,
				Ingress: []Permission{{Protocol: "tcp", FromPort: 6379, ToPort: 6379, GroupIDs: []string{SecurityGroupAPI, SecurityGroupWorker}}},
				Egress:  allOut,
			},
			{
				ID: SecurityGroupOpenRedis, Name: "ecprov-dev-open-redis", Description: "Redis open to the world (bad)", VpcID: VPCID,
				Ingress: []Permission{{Protocol: "tcp", FromPort: 6379, ToPort: 6379, CIDRs: []string{"0.0.0.0/0"}}},
				Egress:  allOut,
			},
		},
	}
}

// Subnet looks up a subnet by id.
func (n *Network) Subnet(id string) (Subnet, bool) {
	for _, s := range n.Subnets {
		if s.ID == id {
			return s, true
		}
	}
	return Subnet{}, false
}

// SecurityGroup looks up a security group by id.
func (n *Network) SecurityGroup(id string) (SecurityGroup, bool) {
	for _, g := range n.SecurityGroups {
		if g.ID == id {
			return g, true
		}
	}
	return SecurityGroup{}, false
}

// VPC looks up a VPC by id.
func (n *Network) VPC(id string) (VPC, bool) {
	for _, v := range n.VPCs {
		if v.ID == id {
			return v, true
		}
	}
	return VPC{}, false
}

// zoneID maps us-east-1a to an AWS-style zone id (use1-az1).
func zoneID(az string) string {
	if az == "" {
		return ""
	}
	region, letter := az[:len(az)-1], az[len(az)-1]
	var short strings.Builder
	for i, part := range strings.Split(region, "-") {
		if i == len(strings.Split(region, "-"))-1 {
			short.WriteString(part)
		} else if part != "" {
			short.WriteByte(part[0])
			if i == 0 {
				short.WriteString(part[1:])
			}
		}
	}
	return fmt.Sprintf("%s-az%d", short.String(), int(letter-'a')+1)
}

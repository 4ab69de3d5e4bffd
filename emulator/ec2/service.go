package ec2

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/ecprov/ecprov/emulator/protocol/query"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel"
)

// apiModel is botocore's ec2 2016-11-15 model, trimmed to the actions
// served (internal/apimodel). Their one constraint is MaxResults, 5 to
// 1000 (DescribeVpcsMaxResults, DescribeSubnetsMaxResults,
// DescribeSecurityGroupsMaxResults); every request is checked against it
// before an action runs. TestAPIModel keeps the copy equal to the AWS
// CLI's.
//
//go:embed apimodel.json
var apiModelJSON []byte

var apiModel = apimodel.MustParse(apiModelJSON)

// XMLNamespace is the namespace of EC2 API version 2016-11-15.
const XMLNamespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// Service serves the EC2 look-ups over one Network.
type Service struct {
	net *Network
	log *slog.Logger
	ops map[string]func(query.Params) (any, error)
}

// New returns the EC2 service for region's fixture network.
func New(region string) *Service {
	s := &Service{net: NewNetwork(region), log: slog.Default().With("service", "ec2")}
	s.ops = map[string]func(query.Params) (any, error){
		"DescribeVpcs":           s.describeVpcs,
		"DescribeSubnets":        s.describeSubnets,
		"DescribeSecurityGroups": s.describeSecurityGroups,
	}
	return s
}

// SetLogger replaces the logger (slog.Default when New ran).
func (s *Service) SetLogger(l *slog.Logger) { s.log = l.With("service", "ec2") }

// Network returns the fixture the service serves.
func (s *Service) Network() *Network { return s.net }

// SigningName is the SigV4 service name.
func (s *Service) SigningName() string { return "ec2" }

// Operation returns the Action of a request, "" when there is none.
func (s *Service) Operation(r *http.Request, body []byte) string {
	p, err := query.Parse(r, body)
	if err != nil {
		return ""
	}
	return p.Action()
}

// WriteError writes an error in the EC2 shape.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	query.WriteEC2Error(w, status, code, message, requestID(r.Context()))
}

// requestID is the router's id for the request, so that the requestId in
// the body is the x-amzn-RequestId header; a fresh one when the service is
// used without the router.
func requestID(ctx context.Context) string {
	if id := server.RequestID(ctx); id != "" {
		return id
	}
	return query.NewRequestID()
}

// OperationNames lists the actions served.
func (s *Service) OperationNames() []string { return slices.Sorted(maps.Keys(s.ops)) }

// apiError is an EC2 error code with its HTTP status.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func invalidParameterValue(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf(format, a...)}
}

// ServeHTTP dispatches one Query request to its operation.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := requestID(r.Context())
	body, err := io.ReadAll(r.Body)
	if err != nil {
		query.WriteEC2Error(w, http.StatusBadRequest, "InvalidRequest", "could not read the request body: "+err.Error(), reqID)
		return
	}
	p, err := query.Parse(r, body)
	if err != nil {
		query.WriteEC2Error(w, http.StatusBadRequest, "InvalidRequest", err.Error(), reqID)
		return
	}
	action := p.Action()
	if action == "" {
		query.WriteEC2Error(w, http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action.", reqID)
		return
	}
	op, ok := s.ops[action]
	if !ok {
		query.WriteEC2Error(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service (the ecprov emulator implements DescribeVpcs, DescribeSubnets and DescribeSecurityGroups).", action), reqID)
		return
	}
	if vs := p.Violations(apiModel, true); len(vs) > 0 {
		v := vs[0] // EC2 names one bad parameter at a time
		query.WriteEC2Error(w, http.StatusBadRequest, "InvalidParameterValue",
			fmt.Sprintf("Value (%v) for parameter %s is invalid. %s", v.Value, v.Path, v.Rule), reqID)
		return
	}
	if dry, _ := p.Bool("DryRun"); dry != nil && *dry {
		query.WriteEC2Error(w, http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", reqID)
		return
	}
	out, err := op(p)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{http.StatusInternalServerError, "InternalError", err.Error()}
		}
		s.log.Info("ec2 request failed", "action", action, "code", ae.code, "message", ae.message, "request_id", reqID)
		query.WriteEC2Error(w, ae.status, ae.code, ae.message, reqID)
		return
	}
	s.log.Debug("ec2 request", "action", action, "request_id", reqID)
	query.WriteEC2Result(w, action, XMLNamespace, reqID, out)
}

// filter is one Filter.N of a Describe call.
type filter struct {
	name   string
	values []string
}

func readFilters(p query.Params, known map[string]bool) ([]filter, error) {
	var out []filter
	for _, f := range p.Structs("Filter") {
		name := f.String("Name")
		if !known[name] && !strings.HasPrefix(name, "tag:") {
			return nil, invalidParameterValue("The filter '%s' is invalid", name)
		}
		out = append(out, filter{name: name, values: f.List("Value")})
	}
	return out, nil
}

// matches reports whether any of the resource's values for a filter match any
// filter value; filter values may use * and ? wildcards as in AWS.
func matches(patterns, values []string) bool {
	for _, pat := range patterns {
		for _, v := range values {
			if ok, _ := path.Match(pat, v); ok || pat == v {
				return true
			}
		}
	}
	return false
}

// tagValues answers tag:<key> and tag-key filters; every fixture resource
// carries exactly one tag, Name.
func tagValues(name string, f filter) []string {
	if k, ok := strings.CutPrefix(f.name, "tag:"); ok {
		if k == "Name" {
			return []string{name}
		}
		return nil
	}
	if f.name == "tag-key" {
		return []string{"Name"}
	}
	return nil
}

var (
	subnetIDPattern = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	groupIDPattern  = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	vpcIDPattern    = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
)

func (s *Service) describeVpcs(p query.Params) (any, error) {
	ids := p.List("VpcId")
	filters, err := readFilters(p, map[string]bool{
		"vpc-id": true, "cidr": true, "cidr-block-association.cidr-block": true,
		"is-default": true, "state": true, "owner-id": true, "tag-key": true,
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !vpcIDPattern.MatchString(id) {
			return nil, &apiError{http.StatusBadRequest, "InvalidVpcID.Malformed", fmt.Sprintf("Invalid id: %q (expecting \"vpc-...\")", id)}
		}
		if _, ok := s.net.VPC(id); !ok {
			return nil, &apiError{http.StatusBadRequest, "InvalidVpcID.NotFound", fmt.Sprintf("The vpc ID '%s' does not exist", id)}
		}
	}
	out := describeVpcsResult{}
	for _, v := range s.net.VPCs {
		if len(ids) > 0 && !contains(ids, v.ID) {
			continue
		}
		keep := true
		for _, f := range filters {
			var vals []string
			switch f.name {
			case "vpc-id":
				vals = []string{v.ID}
			case "cidr", "cidr-block-association.cidr-block":
				vals = []string{v.CIDR}
			case "is-default":
				vals = []string{"false"}
			case "state":
				vals = []string{"available"}
			case "owner-id":
				vals = []string{AccountID}
			default:
				vals = tagValues(v.Name, f)
			}
			if !matches(f.values, vals) {
				keep = false
			}
		}
		if keep {
			out.Vpcs = append(out.Vpcs, toWireVpc(v))
		}
	}
	return out, nil
}

func (s *Service) describeSubnets(p query.Params) (any, error) {
	ids := p.List("SubnetId")
	filters, err := readFilters(p, map[string]bool{
		"subnet-id": true, "vpc-id": true, "availability-zone": true, "availability-zone-id": true,
		"cidr-block": true, "cidr": true, "cidrBlock": true, "default-for-az": true, "defaultForAz": true,
		"state": true, "owner-id": true, "tag-key": true, "map-public-ip-on-launch": true,
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !subnetIDPattern.MatchString(id) {
			return nil, &apiError{http.StatusBadRequest, "InvalidSubnetID.Malformed", fmt.Sprintf("Invalid id: %q (expecting \"subnet-...\")", id)}
		}
		if _, ok := s.net.Subnet(id); !ok {
			return nil, &apiError{http.StatusBadRequest, "InvalidSubnetID.NotFound", fmt.Sprintf("The subnet ID '%s' does not exist", id)}
		}
	}
	out := describeSubnetsResult{}
	for _, sn := range s.net.Subnets {
		if len(ids) > 0 && !contains(ids, sn.ID) {
			continue
		}
		keep := true
		for _, f := range filters {
			var vals []string
			switch f.name {
			case "subnet-id":
				vals = []string{sn.ID}
			case "vpc-id":
				vals = []string{sn.VpcID}
			case "availability-zone":
				vals = []string{sn.AvailabilityZone}
			case "availability-zone-id":
				vals = []string{zoneID(sn.AvailabilityZone)}
			case "cidr-block", "cidr", "cidrBlock":
				vals = []string{sn.CIDR}
			case "default-for-az", "defaultForAz", "map-public-ip-on-launch":
				vals = []string{"false"}
			case "state":
				vals = []string{"available"}
			case "owner-id":
				vals = []string{AccountID}
			default:
				vals = tagValues(sn.Name, f)
			}
			if !matches(f.values, vals) {
				keep = false
			}
		}
		if keep {
			out.Subnets = append(out.Subnets, s.toWireSubnet(sn))
		}
	}
	return out, nil
}

func (s *Service) describeSecurityGroups(p query.Params) (any, error) {
	ids := p.List("GroupId")
	names := p.List("GroupName")
	filters, err := readFilters(p, map[string]bool{
		"group-id": true, "group-name": true, "vpc-id": true, "owner-id": true,
		"description": true, "tag-key": true,
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !groupIDPattern.MatchString(id) {
			return nil, &apiError{http.StatusBadRequest, "InvalidGroupId.Malformed", fmt.Sprintf("Invalid id: %q (expecting \"sg-...\")", id)}
		}
		if _, ok := s.net.SecurityGroup(id); !ok {
			return nil, &apiError{http.StatusBadRequest, "InvalidGroup.NotFound", fmt.Sprintf("The security group '%s' does not exist", id)}
		}
	}
	for _, n := range names {
		found := false
		for _, g := range s.net.SecurityGroups {
			found = found || g.Name == n
		}
		if !found {
			return nil, &apiError{http.StatusBadRequest, "InvalidGroup.NotFound", fmt.Sprintf("The security group '%s' does not exist in default VPC '%s'", n, VPCID)}
		}
	}
	out := describeSecurityGroupsResult{}
	for _, g := range s.net.SecurityGroups {
		if len(ids) > 0 && !contains(ids, g.ID) {
			continue
		}
		if len(names) > 0 && !contains(names, g.Name) {
			continue
		}
		keep := true
		for _, f := range filters {
			var vals []string
			switch f.name {
			case "group-id":
				vals = []string{g.ID}
			case "group-name":
				vals = []string{g.Name}
			case "vpc-id":
				vals = []string{g.VpcID}
			case "owner-id":
				vals = []string{AccountID}
			case "description":
				vals = []string{g.Description}
			default:
				vals = tagValues(g.Name, f)
			}
			if !matches(f.values, vals) {
				keep = false
			}
		}
		if keep {
			out.SecurityGroups = append(out.SecurityGroups, s.toWireSecurityGroup(g))
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Wire shapes: EC2 names members lowerCamelCase and wraps list items in <item>.

type wireTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type describeVpcsResult struct {
	Vpcs []wireVpc `xml:"vpcSet>item"`
}

type wireCidrAssociation struct {
	AssociationID string `xml:"associationId"`
	CidrBlock     string `xml:"cidrBlock"`
	State         string `xml:"cidrBlockState>state"`
}

type wireVpc struct {
	VpcID                   string                `xml:"vpcId"`
	OwnerID                 string                `xml:"ownerId"`
	State                   string                `xml:"state"`
	CidrBlock               string                `xml:"cidrBlock"`
	CidrBlockAssociationSet []wireCidrAssociation `xml:"cidrBlockAssociationSet>item"`
	DhcpOptionsID           string                `xml:"dhcpOptionsId"`
	InstanceTenancy         string                `xml:"instanceTenancy"`
	IsDefault               bool                  `xml:"isDefault"`
	TagSet                  []wireTag             `xml:"tagSet>item"`
}

func toWireVpc(v VPC) wireVpc {
	return wireVpc{
		VpcID: v.ID, OwnerID: AccountID, State: "available", CidrBlock: v.CIDR,
		CidrBlockAssociationSet: []wireCidrAssociation{{
			AssociationID: "vpc-cidr-assoc-" + strings.TrimPrefix(v.ID, "vpc-"), CidrBlock: v.CIDR, State: "associated",
		}},
		DhcpOptionsID: "dopt-0ec0000000000001", InstanceTenancy: "default",
		TagSet: []wireTag{{Key: "Name", Value: v.Name}},
	}
}

type describeSubnetsResult struct {
	Subnets []wireSubnet `xml:"subnetSet>item"`
}

type wireSubnet struct {
	SubnetID                    string    `xml:"subnetId"`
	SubnetArn                   string    `xml:"subnetArn"`
	State                       string    `xml:"state"`
	VpcID                       string    `xml:"vpcId"`
	OwnerID                     string    `xml:"ownerId"`
	CidrBlock                   string    `xml:"cidrBlock"`
	AvailableIPAddressCount     int       `xml:"availableIpAddressCount"`
	AvailabilityZone            string    `xml:"availabilityZone"`
	AvailabilityZoneID          string    `xml:"availabilityZoneId"`
	DefaultForAz                bool      `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool      `xml:"mapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation bool      `xml:"assignIpv6AddressOnCreation"`
	Ipv6Native                  bool      `xml:"ipv6Native"`
	TagSet                      []wireTag `xml:"tagSet>item"`
}

func (s *Service) toWireSubnet(sn Subnet) wireSubnet {
	return wireSubnet{
		SubnetID:  sn.ID,
		SubnetArn: fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", s.net.Region, AccountID, sn.ID),
		State:     "available", VpcID: sn.VpcID, OwnerID: AccountID, CidrBlock: sn.CIDR,
		AvailableIPAddressCount: 251,
		AvailabilityZone:        sn.AvailabilityZone,
		AvailabilityZoneID:      zoneID(sn.AvailabilityZone),
		TagSet:                  []wireTag{{Key: "Name", Value: sn.Name}},
	}
}

type describeSecurityGroupsResult struct {
	SecurityGroups []wireSecurityGroup `xml:"securityGroupInfo>item"`
}

type wireSecurityGroup struct {
	OwnerID             string           `xml:"ownerId"`
	GroupID             string           `xml:"groupId"`
	GroupName           string           `xml:"groupName"`
	GroupDescription    string           `xml:"groupDescription"`
	VpcID               string           `xml:"vpcId"`
	SecurityGroupArn    string           `xml:"securityGroupArn"`
	IPPermissions       []wirePermission `xml:"ipPermissions>item"`
	IPPermissionsEgress []wirePermission `xml:"ipPermissionsEgress>item"`
	TagSet              []wireTag        `xml:"tagSet>item"`
}

type wireGroupPair struct {
	UserID  string `xml:"userId"`
	GroupID string `xml:"groupId"`
}

type wireIPRange struct {
	CidrIP string `xml:"cidrIp"`
}

type wirePermission struct {
	IPProtocol string          `xml:"ipProtocol"`
	FromPort   *int            `xml:"fromPort,omitempty"`
	ToPort     *int            `xml:"toPort,omitempty"`
	Groups     []wireGroupPair `xml:"groups>item"`
	IPRanges   []wireIPRange   `xml:"ipRanges>item"`
	Ipv6Ranges []struct{}      `xml:"ipv6Ranges>item"`
	PrefixList []struct{}      `xml:"prefixListIds>item"`
}

func (s *Service) toWireSecurityGroup(g SecurityGroup) wireSecurityGroup {
	perms := func(ps []Permission) []wirePermission {
		var out []wirePermission
		for _, p := range ps {
			wp := wirePermission{IPProtocol: p.Protocol}
			if p.Protocol != "-1" {
				from, to := p.FromPort, p.ToPort
				wp.FromPort, wp.ToPort = &from, &to
			}
			for _, id := range p.GroupIDs {
				wp.Groups = append(wp.Groups, wireGroupPair{UserID: AccountID, GroupID: id})
			}
			for _, c := range p.CIDRs {
				wp.IPRanges = append(wp.IPRanges, wireIPRange{CidrIP: c})
			}
			out = append(out, wp)
		}
		return out
	}
	return wireSecurityGroup{
		OwnerID: AccountID, GroupID: g.ID, GroupName: g.Name, GroupDescription: g.Description, VpcID: g.VpcID,
		SecurityGroupArn:    fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", s.net.Region, AccountID, g.ID),
		IPPermissions:       perms(g.Ingress),
		IPPermissionsEgress: perms(g.Egress),
		TagSet:              []wireTag{{Key: "Name", Value: g.Name}},
	}
}

package replicationgroup_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ecprov/ecprov/internal/awsfake"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

const rgID = "audio-pipeline-dev"

func devProfile(t *testing.T, edit func(m map[string]any)) json.RawMessage {
	t.Helper()
	data, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return data
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, _ := json.Marshal(m)
	return out
}

func newHandler() (*replicationgroup.Handler, *awsfake.ElastiCache, *awsfake.EC2) {
	ec := awsfake.NewElastiCache()
	net := awsfake.DevNetwork()
	return &replicationgroup.Handler{EC2: net, ElastiCache: ec}, ec, net
}

func mutating(calls []string) []string {
	var out []string
	for _, c := range calls {
		if !strings.HasPrefix(c, "Describe") && !strings.HasPrefix(c, "List") {
			out = append(out, c)
		}
	}
	return out
}

func errorName(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var named *failure.Error
	if !errors.As(err, &named) {
		t.Fatalf("error without a stable name: %v", err)
	}
	return named.Name
}

func TestCreatePathThenSecondRunMakesNoMutatingCall(t *testing.T) {
	c, ec, _ := newHandler()
	ctx := context.Background()
	out, err := c.Handle(ctx, replicationgroup.Input{Profile: devProfile(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != replicationgroup.ActionCreated {
		t.Fatalf("action = %s, want created", out.Action)
	}
	wantCalls := []string{"CreateCacheParameterGroup", "ModifyCacheParameterGroup", "CreateCacheSubnetGroup", "CreateReplicationGroup"}
	if got := mutating(ec.Names()); !slices.Equal(got, wantCalls) {
		t.Fatalf("mutating calls = %v, want %v", got, wantCalls)
	}
	if p := ec.Params[rgID+"-redis7"]; p["timeout"] != "300" || p["maxmemory-policy"] != "allkeys-lru" {
		t.Errorf("parameter group values = %v (R8)", p)
	}
	g := ec.Groups[rgID]
	if !aws.ToBool(g.AtRestEncryptionEnabled) || !aws.ToBool(g.TransitEncryptionEnabled) || g.TransitEncryptionMode != "required" ||
		len(g.MemberClusters) != 2 || aws.ToString(g.CacheNodeType) != "cache.t4g.micro" || aws.ToInt32(g.SnapshotRetentionLimit) != 7 ||
		aws.ToString(g.SnapshotWindow) != "03:00-04:00" || g.AutomaticFailover != "enabled" || g.MultiAZ != "enabled" {
		t.Errorf("group not created with R1, R3-R6, R9: %+v", g)
	}
	n := ec.Nodes[rgID]
	if n.ParameterGroupName != rgID+"-redis7" || n.SubnetGroupName != rgID+"-subnets" || n.TopicARN == "" {
		t.Errorf("member settings = %+v", n)
	}
	if tags := ec.Tags[aws.ToString(g.ARN)]; tags["Project"] != "audio-pipeline" || tags["Environment"] != "dev" || tags["ManagedBy"] != "ecprov" || tags["Module"] == "" {
		t.Errorf("group tags = %v (R12)", tags)
	}

	again, err := c.Handle(ctx, replicationgroup.Input{Profile: devProfile(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if got := mutating(ec.Names()); len(got) != 0 {
		t.Fatalf("second run made mutating calls %v", got)
	}
	if again.Action != replicationgroup.ActionUnchanged || len(again.Changes) != 0 {
		t.Fatalf("second run: action %s, changes %v", again.Action, again.Changes)
	}
}

func TestDriftIsRepaired(t *testing.T) {
	c, ec, _ := newHandler()
	ctx := context.Background()
	if _, err := c.Handle(ctx, replicationgroup.Input{Profile: devProfile(t, nil)}); err != nil {
		t.Fatal(err)
	}
	// Someone changes things by hand.
	ec.Params[rgID+"-redis7"]["timeout"] = "0"
	ec.Groups[rgID].SnapshotRetentionLimit = aws.Int32(1)
	ec.Nodes[rgID].MaintenanceWindow = "mon:03:30-mon:04:30"
	ec.Tags[aws.ToString(ec.Groups[rgID].ARN)]["Environment"] = "scratch"
	ec.Names()

	out, err := c.Handle(ctx, replicationgroup.Input{Profile: devProfile(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != replicationgroup.ActionModified {
		t.Fatalf("action = %s", out.Action)
	}
	var fields []string
	for _, ch := range out.Changes {
		fields = append(fields, ch.Field)
	}
	for _, want := range []string{"parameters.timeout", "snapshot.retentionDays", "maintenanceWindow", "tags.Environment"} {
		if !slices.Contains(fields, want) {
			t.Errorf("drift on %s not reported; changes %v", want, out.Changes)
		}
	}
	if got := mutating(ec.Names()); !slices.Equal(got, []string{"ModifyCacheParameterGroup", "ModifyReplicationGroup", "AddTagsToResource"}) {
		t.Errorf("repair calls = %v", got)
	}
	if ec.Params[rgID+"-redis7"]["timeout"] != "300" || aws.ToInt32(ec.Groups[rgID].SnapshotRetentionLimit) != 7 || ec.Nodes[rgID].MaintenanceWindow != "sun:05:00-sun:06:00" {
		t.Errorf("not repaired: timeout %s retention %d window %s", ec.Params[rgID+"-redis7"]["timeout"], aws.ToInt32(ec.Groups[rgID].SnapshotRetentionLimit), ec.Nodes[rgID].MaintenanceWindow)
	}
	third, err := c.Handle(ctx, replicationgroup.Input{Profile: devProfile(t, nil)})
	if err != nil || third.Action != replicationgroup.ActionUnchanged {
		t.Fatalf("after repair: %v %v", third.Action, err)
	}
}

func TestImmutableDifferenceIsNamed(t *testing.T) {
	c, ec, _ := newHandler()
	ctx := context.Background()
	if _, err := c.Handle(ctx, replicationgroup.Input{Profile: devProfile(t, nil)}); err != nil {
		t.Fatal(err)
	}
	ec.Groups[rgID].AtRestEncryptionEnabled = aws.Bool(false)
	ec.Groups[rgID].SnapshotRetentionLimit = aws.Int32(2)

	_, err := c.Handle(ctx, replicationgroup.Input{Profile: devProfile(t, nil)})
	if got := errorName(t, err); got != failure.ImmutableSettingChanged {
		t.Fatalf("error name = %q, want ImmutableSettingChanged (%v)", got, err)
	}
	if !strings.Contains(err.Error(), "atRestEncryption") {
		t.Errorf("error does not name the setting: %v", err)
	}
	if aws.ToInt32(ec.Groups[rgID].SnapshotRetentionLimit) != 7 {
		t.Error("the mutable drift was not repaired alongside")
	}

	out, err := c.Handle(ctx, replicationgroup.Input{Profile: devProfile(t, nil), ReportImmutable: true})
	if err != nil {
		t.Fatalf("reportImmutable: %v", err)
	}
	if len(out.Immutable) != 1 || out.Immutable[0].Field != "atRestEncryption" {
		t.Fatalf("immutable = %v", out.Immutable)
	}
}

func TestStatusesThatStopProvisioning(t *testing.T) {
	for status, want := range map[string]string{
		replicationgroup.StatusCreateFailed: failure.CreateFailed,
		replicationgroup.StatusDeleting:     failure.GroupBeingDeleted,
	} {
		c, ec, _ := newHandler()
		if _, err := c.Handle(context.Background(), replicationgroup.Input{Profile: devProfile(t, nil)}); err != nil {
			t.Fatal(err)
		}
		ec.Groups[rgID].Status = aws.String(status)
		ec.Names()
		_, err := c.Handle(context.Background(), replicationgroup.Input{Profile: devProfile(t, nil)})
		if got := errorName(t, err); got != want {
			t.Errorf("%s: error %q, want %q", status, got, want)
		}
		if m := mutating(ec.Names()); len(m) != 0 {
			t.Errorf("%s: mutating calls %v", status, m)
		}
	}
}

func TestTransientErrorsSurfaceAsRetryable(t *testing.T) {
	cases := map[string]error{
		"Throttling":          awsfake.APIError("Throttling", "Rate exceeded"),
		"ThrottlingException": awsfake.APIError("ThrottlingException", "Rate exceeded"),
		"busy group":          awsfake.APIError("InvalidReplicationGroupState", "Replication group must be in available state"),
		"HTTP 503": &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}},
			Err:      errors.New("service unavailable"),
		},
	}
	for name, injected := range cases {
		t.Run(name, func(t *testing.T) {
			c, ec, _ := newHandler()
			ec.FailNext("CreateReplicationGroup", injected)
			_, err := c.Handle(context.Background(), replicationgroup.Input{Profile: devProfile(t, nil)})
			if got := errorName(t, err); got != failure.RetryableAWSError {
				t.Fatalf("error name = %q, want RetryableAWSError (%v)", got, err)
			}
			// The retry converges.
			out, err := c.Handle(context.Background(), replicationgroup.Input{Profile: devProfile(t, nil)})
			if err != nil || out.Action != replicationgroup.ActionCreated {
				t.Fatalf("retry: %v %v", out.Action, err)
			}
		})
	}
	c, ec, _ := newHandler()
	ec.FailNext("CreateReplicationGroup", awsfake.APIError("AccessDenied", "not authorized"))
	_, err := c.Handle(context.Background(), replicationgroup.Input{Profile: devProfile(t, nil)})
	if got := errorName(t, err); got != failure.AWSError {
		t.Fatalf("access denied classified as %q", got)
	}
}

func TestNothingIsCreatedForABadProfileOrNetwork(t *testing.T) {
	cases := []struct {
		name     string
		edit     func(m map[string]any)
		network  func(n *awsfake.EC2)
		wantErr  string
		fragment string
	}{
		{name: "invalid profile", edit: func(m map[string]any) { m["replicationGroupId"] = "Bad--Id-" }, wantErr: failure.InvalidProfile, fragment: "replicationGroupId"},
		{name: "open security group", edit: func(m map[string]any) {
			m["network"].(map[string]any)["securityGroupIds"] = []string{"sg-0ec000000000f0001"}
		}, wantErr: failure.NetworkCheckFailed, fragment: "opens port 6379 to 0.0.0.0/0"},
		{name: "subnets in one AZ", edit: func(m map[string]any) {
			m["network"].(map[string]any)["subnetIds"] = []string{"subnet-0ec00000000000a01", "subnet-0ec00000000000a02"}
		}, wantErr: failure.NetworkCheckFailed, fragment: "at least 2 Availability Zones"},
		{name: "subnets in two VPCs", edit: func(m map[string]any) {
			m["network"].(map[string]any)["subnetIds"] = []string{"subnet-0ec00000000000a01", "subnet-0ec00000000000c01"}
		}, wantErr: failure.NetworkCheckFailed, fragment: "2 VPCs"},
		{name: "missing subnet", edit: func(m map[string]any) {
			m["network"].(map[string]any)["subnetIds"] = []string{"subnet-0ec00000000000a01", "subnet-0ec00000000000d01"}
		}, wantErr: failure.NetworkCheckFailed, fragment: "does not exist"},
		{name: "allowed group without a rule", network: func(n *awsfake.EC2) {
			n.SecurityGroups[0].IpPermissions[0].UserIdGroupPairs = n.SecurityGroups[0].IpPermissions[0].UserIdGroupPairs[:1]
		}, wantErr: failure.NetworkCheckFailed, fragment: "sg-0ec000000000b0001 cannot reach port 6379"},
		{name: "all traffic from a stranger", network: func(n *awsfake.EC2) {
			n.SecurityGroups[0].IpPermissions = append(n.SecurityGroups[0].IpPermissions, ec2types.IpPermission{
				IpProtocol: aws.String("-1"), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-0ec0000000000dead")}}})
		}, wantErr: failure.NetworkCheckFailed, fragment: "not in network.allowedSourceSecurityGroupIds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, ec, net := newHandler()
			if tc.network != nil {
				tc.network(net)
			}
			_, err := c.Handle(context.Background(), replicationgroup.Input{Profile: devProfile(t, tc.edit)})
			if got := errorName(t, err); got != tc.wantErr {
				t.Fatalf("error name = %q, want %q: %v", got, tc.wantErr, err)
			}
			if !strings.Contains(err.Error(), tc.fragment) {
				t.Errorf("error %q does not say %q", err, tc.fragment)
			}
			if calls := ec.Names(); len(calls) != 0 {
				t.Errorf("ElastiCache was called: %v", calls)
			}
		})
	}
}

func TestForLambdaCarriesTheStableName(t *testing.T) {
	err := failure.ForLambda(failure.New(failure.CreateFailed, "boom"))
	data, _ := json.Marshal(err)
	if !strings.Contains(string(data), `"errorType":"CreateFailed"`) {
		t.Fatalf("lambda error = %s", data)
	}
	raw := failure.ForLambda(awsfake.APIError("ThrottlingException", "slow down"))
	data, _ = json.Marshal(raw)
	if !strings.Contains(string(data), `"errorType":"RetryableAWSError"`) {
		t.Fatalf("unnamed throttling error = %s", data)
	}
}

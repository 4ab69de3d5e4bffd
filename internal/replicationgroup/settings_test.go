package replicationgroup

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecprov/ecprov/internal/awsfake"
	"github.com/ecprov/ecprov/internal/profile"
)

// A diffCase changes one setting of a group behind ecprov's back and says
// what Diff must make of it. The expected outcome is written out here, not
// read from managedSettings, so a wrong row in the table fails.
type diffCase struct {
	field string
	name  string                   // sub-case, when a field has several
	edit  func(p *profile.Profile) // the profile for this case, if not dev.json's
	drift func(g *types.ReplicationGroup, n *awsfake.Node)
	// pending puts the profile's value back as a modification under way
	// (PendingModifiedValues); nil for settings AWS reports none for.
	pending func(g *types.ReplicationGroup, n *awsfake.Node)
	want    string // "modify", "immutable" or "none"
}

const (
	modify    = "modify"
	immutable = "immutable"
	none      = "none"
)

var diffCases = []diffCase{
	{field: "description", want: modify, drift: func(g *types.ReplicationGroup, _ *awsfake.Node) { g.Description = aws.String("edited by hand") }},
	{field: "nodeType", want: modify,
		drift: func(g *types.ReplicationGroup, _ *awsfake.Node) { g.CacheNodeType = aws.String("cache.t4g.small") },
		pending: func(_ *types.ReplicationGroup, n *awsfake.Node) {
			n.Pending.CacheNodeType = aws.String("cache.t4g.micro")
		}},
	{field: "engineVersion", name: "upgrade", want: modify,
		drift:   func(_ *types.ReplicationGroup, n *awsfake.Node) { n.EngineVersion = "6.2.6" },
		pending: func(_ *types.ReplicationGroup, n *awsfake.Node) { n.Pending.EngineVersion = aws.String("7.0.7") }},
	{field: "engineVersion", name: "downgrade", want: immutable, drift: func(_ *types.ReplicationGroup, n *awsfake.Node) { n.EngineVersion = "7.1.0" }},
	{field: "parameterGroupName", want: modify, drift: func(_ *types.ReplicationGroup, n *awsfake.Node) { n.ParameterGroupName = "default.redis7" }},
	{field: "subnetGroupName", want: immutable, drift: func(_ *types.ReplicationGroup, n *awsfake.Node) { n.SubnetGroupName = "other-subnets" }},
	// Not compared until issue 11: the emulator maps ports.
	{field: "port", want: none, drift: func(g *types.ReplicationGroup, _ *awsfake.Node) {
		g.NodeGroups[0].PrimaryEndpoint.Port = aws.Int32(7000)
	}},
	{field: "numCacheClusters", want: immutable, drift: func(g *types.ReplicationGroup, _ *awsfake.Node) { g.MemberClusters = g.MemberClusters[:1] }},
	{field: "automaticFailover", want: modify,
		drift: func(g *types.ReplicationGroup, _ *awsfake.Node) {
			g.AutomaticFailover = types.AutomaticFailoverStatusDisabled
		},
		pending: func(g *types.ReplicationGroup, _ *awsfake.Node) {
			g.PendingModifiedValues = &types.ReplicationGroupPendingModifiedValues{AutomaticFailoverStatus: types.PendingAutomaticFailoverStatusEnabled}
		}},
	{field: "multiAZ", want: modify, drift: func(g *types.ReplicationGroup, _ *awsfake.Node) { g.MultiAZ = types.MultiAZStatusDisabled }},
	{field: "atRestEncryption", want: immutable, drift: func(g *types.ReplicationGroup, _ *awsfake.Node) { g.AtRestEncryptionEnabled = aws.Bool(false) }},
	{field: "atRestEncryption.kmsKeyId", want: immutable,
		edit: func(p *profile.Profile) { p.AtRestEncryption.KMSKeyID = "1234abcd-12ab-34cd-56ef-1234567890ab" },
		drift: func(g *types.ReplicationGroup, _ *awsfake.Node) {
			g.KmsKeyId = aws.String("arn:aws:kms:us-east-1:000000000000:key/other")
		}},
	{field: "transitEncryption", want: immutable,
		drift: func(g *types.ReplicationGroup, _ *awsfake.Node) { g.TransitEncryptionEnabled = aws.Bool(false) },
		pending: func(g *types.ReplicationGroup, _ *awsfake.Node) {
			g.PendingModifiedValues = &types.ReplicationGroupPendingModifiedValues{TransitEncryptionEnabled: aws.Bool(true)}
		}},
	{field: "transitEncryptionMode", want: modify,
		drift: func(g *types.ReplicationGroup, _ *awsfake.Node) {
			g.TransitEncryptionMode = types.TransitEncryptionModePreferred
		},
		pending: func(g *types.ReplicationGroup, _ *awsfake.Node) {
			g.PendingModifiedValues = &types.ReplicationGroupPendingModifiedValues{TransitEncryptionMode: types.TransitEncryptionModeRequired}
		}},
	{field: "network.securityGroupIds", want: modify, drift: func(_ *types.ReplicationGroup, n *awsfake.Node) {
		n.SecurityGroupIDs = []string{"sg-0ec0000000000dead"}
	}},
	{field: "snapshot.window", want: modify, drift: func(g *types.ReplicationGroup, _ *awsfake.Node) { g.SnapshotWindow = aws.String("01:00-02:00") }},
	{field: "snapshot.retentionDays", want: modify, drift: func(g *types.ReplicationGroup, _ *awsfake.Node) { g.SnapshotRetentionLimit = aws.Int32(1) }},
	{field: "maintenanceWindow", want: modify, drift: func(_ *types.ReplicationGroup, n *awsfake.Node) { n.MaintenanceWindow = "mon:03:30-mon:04:30" }},
	{field: "notificationTopicArn", want: modify, drift: func(_ *types.ReplicationGroup, n *awsfake.Node) { n.TopicARN = "" }},
}

// TestDiff goes over every managed setting: equal values make no change; a
// different value is modified in place or reported immutable; a value
// already pending is not asked for again.
func TestDiff(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range diffCases {
		covered[tc.field] = true
		t.Run(tc.field+"/"+tc.name, func(t *testing.T) {
			p := devProfile(t)
			if tc.edit != nil {
				tc.edit(p)
			}
			ec := awsfake.NewElastiCache()
			if _, err := ec.CreateReplicationGroup(context.Background(), createInput(p)); err != nil {
				t.Fatal(err)
			}
			want := Desired(p)
			if d := Diff(want, observe(t, ec, p)); len(d.Modify)+len(d.Immutable) != 0 || d.ModifyInput(p.ReplicationGroupID) != nil {
				t.Fatalf("the group as created differs from the profile: %v %v", d.Modify, d.Immutable)
			}

			tc.drift(ec.Groups[p.ReplicationGroupID], ec.Nodes[p.ReplicationGroupID])
			d := Diff(want, observe(t, ec, p))
			checkDelta(t, tc, d)
			if tc.want == modify {
				// The request sets the value where Describe reads it.
				if _, err := ec.ModifyReplicationGroup(context.Background(), d.ModifyInput(p.ReplicationGroupID)); err != nil {
					t.Fatal(err)
				}
				if again := Diff(want, observe(t, ec, p)); len(again.Modify)+len(again.Immutable) != 0 {
					t.Fatalf("after the modification: %v %v", again.Modify, again.Immutable)
				}
			}

			if tc.pending == nil {
				return
			}
			ec = awsfake.NewElastiCache()
			if _, err := ec.CreateReplicationGroup(context.Background(), createInput(p)); err != nil {
				t.Fatal(err)
			}
			g, n := ec.Groups[p.ReplicationGroupID], ec.Nodes[p.ReplicationGroupID]
			tc.drift(g, n)
			tc.pending(g, n)
			have := observe(t, ec, p)
			if _, ok := have.Pending[tc.field]; !ok {
				t.Fatalf("the pending value is not observed: %v", have.Pending)
			}
			if d := Diff(want, have); len(d.Modify)+len(d.Immutable) != 0 {
				t.Fatalf("a change already pending is asked for again: %v %v", d.Modify, d.Immutable)
			}
		})
	}
	for _, m := range managedSettings {
		if !covered[m.name()] {
			t.Errorf("managed setting %s has no case in diffCases", m.name())
		}
	}
}

func checkDelta(t *testing.T, tc diffCase, d Delta) {
	t.Helper()
	in := d.ModifyInput("g")
	switch tc.want {
	case modify:
		if len(d.Modify) != 1 || d.Modify[0].Field != tc.field || len(d.Immutable) != 0 || in == nil {
			t.Fatalf("want one in-place change of %s; modify %v, immutable %v", tc.field, d.Modify, d.Immutable)
		}
		if !aws.ToBool(in.ApplyImmediately) {
			t.Error("the modification is not applied immediately")
		}
	case immutable:
		if len(d.Immutable) != 1 || d.Immutable[0].Field != tc.field || d.Immutable[0].Reason == "" || len(d.Modify) != 0 || in != nil {
			t.Fatalf("want %s reported immutable with a reason; modify %v, immutable %v", tc.field, d.Modify, d.Immutable)
		}
	case none:
		if len(d.Modify)+len(d.Immutable) != 0 || in != nil {
			t.Fatalf("want no change; modify %v, immutable %v", d.Modify, d.Immutable)
		}
	default:
		t.Fatalf("unknown outcome %q", tc.want)
	}
}

func observe(t *testing.T, ec *awsfake.ElastiCache, p *profile.Profile) Observed {
	t.Helper()
	ctx := context.Background()
	g, err := FindByID(ctx, ec, p.ReplicationGroupID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := FindCacheClusterByID(ctx, ec, g.MemberClusters[0])
	if err != nil {
		t.Fatal(err)
	}
	return Observe(g, m)
}

func devProfile(t *testing.T) *profile.Profile {
	t.Helper()
	raw, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseProfile(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreateInputTakesEverySettingFromTheProfile(t *testing.T) {
	p := devProfile(t)
	p.AtRestEncryption.KMSKeyID = "alias/cache"
	in := createInput(p)
	if aws.ToInt32(in.Port) != 6379 || aws.ToString(in.KmsKeyId) != "alias/cache" || aws.ToInt32(in.NumCacheClusters) != 2 ||
		aws.ToString(in.Engine) != "redis" || aws.ToString(in.ReplicationGroupId) != p.ReplicationGroupID || len(in.Tags) != 4 ||
		aws.ToString(in.PreferredMaintenanceWindow) != "sun:05:00-sun:06:00" || aws.ToString(in.NotificationTopicArn) == "" {
		t.Fatalf("create request = %+v", in)
	}
	p.AtRestEncryption.KMSKeyID, p.NotificationTopicARN = "", ""
	if in := createInput(p); in.KmsKeyId != nil || in.NotificationTopicArn != nil {
		t.Errorf("empty optional settings are sent: key %v topic %v", in.KmsKeyId, in.NotificationTopicArn)
	}
}

func TestDiffParametersAndTags(t *testing.T) {
	set := diffParameters(map[string]string{"timeout": "300", "maxmemory-policy": "allkeys-lru"}, map[string]string{"timeout": "0", "maxmemory-policy": "allkeys-lru", "activedefrag": "no"})
	if len(set) != 1 || set[0].Field != "parameters.timeout" || set[0].From != "0" || set[0].To != "300" {
		t.Errorf("parameters to set = %v", set)
	}
	add, changes := tagDelta("subnet-group", map[string]string{"Project": "p", "Environment": "dev"}, map[string]string{"Project": "p", "Environment": "scratch", "Owner": "someone"})
	if len(add) != 1 || add["Environment"] != "dev" || len(changes) != 1 || changes[0].Field != "tags.Environment" || changes[0].From != "scratch" {
		t.Errorf("tags to add = %v, changes %v (tags beyond the profile's are kept)", add, changes)
	}
	want := subnetGroup{name: "s", subnetIDs: []string{"subnet-a", "subnet-b"}}
	if ch := diffSubnets(want, observedSubnetGroup{subnetIDs: []string{"subnet-a", "subnet-b"}}); ch != nil {
		t.Errorf("equal subnets differ: %v", ch)
	}
	if ch := diffSubnets(want, observedSubnetGroup{subnetIDs: []string{"subnet-a"}}); ch == nil || ch.From != "subnet-a" || ch.To != "subnet-a,subnet-b" {
		t.Errorf("subnet change = %v", ch)
	}
}

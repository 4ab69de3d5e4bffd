package replicationgroup

import (
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecprov/ecprov/internal/profile"
)

// managedSettings is every replication group setting ecprov manages, in the
// order changes are reported. Each row says where the profile's value comes
// from, how the group's value is read, how the two are compared, how the
// value is set on CreateReplicationGroup, and how it is changed with
// ModifyReplicationGroup or why it cannot be. Desired, Observe, Diff and
// createInput all loop over this table; adding a setting is adding a row.
//
// "Immutable" cites the API model (botocore's elasticache 2015-02-02
// service-2.json): a setting is fixed at creation when
// ModifyReplicationGroupMessage has no member for it.
var managedSettings = []managed{
	setting[string]{
		field:   "description",
		desired: func(p *profile.Profile) string { return p.Description },
		current: onGroup(func(g *types.ReplicationGroup) string { return aws.ToString(g.Description) }),
		create: func(in *elasticache.CreateReplicationGroupInput, v string) {
			in.ReplicationGroupDescription = aws.String(v)
		},
		modify: func(in *elasticache.ModifyReplicationGroupInput, v string) {
			in.ReplicationGroupDescription = aws.String(v)
		},
	},
	setting[string]{
		field:   "nodeType",
		desired: func(p *profile.Profile) string { return p.NodeType },
		current: onGroup(func(g *types.ReplicationGroup) string { return aws.ToString(g.CacheNodeType) }),
		// A scaling the group has not applied yet shows on its member
		// clusters (the CacheCluster's PendingModifiedValues.CacheNodeType);
		// ReplicationGroupPendingModifiedValues has no node type.
		pending: memberPending(func(p *types.PendingModifiedValues) string { return aws.ToString(p.CacheNodeType) }),
		create:  func(in *elasticache.CreateReplicationGroupInput, v string) { in.CacheNodeType = aws.String(v) },
		modify:  func(in *elasticache.ModifyReplicationGroupInput, v string) { in.CacheNodeType = aws.String(v) },
	},
	setting[string]{
		field:   "engineVersion",
		desired: func(p *profile.Profile) string { return p.EngineVersion },
		current: onMember(func(m *types.CacheCluster) string { return aws.ToString(m.EngineVersion) }),
		pending: memberPending(func(p *types.PendingModifiedValues) string { return aws.ToString(p.EngineVersion) }),
		same:    sameEngineVersion,
		create:  func(in *elasticache.CreateReplicationGroupInput, v string) { in.EngineVersion = aws.String(v) },
		modify:  func(in *elasticache.ModifyReplicationGroupInput, v string) { in.EngineVersion = aws.String(v) },
		// ModifyReplicationGroupMessage.EngineVersion: "you can upgrade to a
		// newer engine version ... but you cannot downgrade".
		refuse: func(want, have string) string {
			if versionLess(have, want) {
				return ""
			}
			return "ElastiCache cannot downgrade an engine; create a new group"
		},
	},
	setting[string]{
		field:   "parameterGroupName",
		desired: func(p *profile.Profile) string { return p.ParameterGroupName },
		current: onMember(func(m *types.CacheCluster) string {
			if m.CacheParameterGroup == nil {
				return ""
			}
			return aws.ToString(m.CacheParameterGroup.CacheParameterGroupName)
		}),
		create: func(in *elasticache.CreateReplicationGroupInput, v string) {
			in.CacheParameterGroupName = aws.String(v)
		},
		modify: func(in *elasticache.ModifyReplicationGroupInput, v string) {
			in.CacheParameterGroupName = aws.String(v)
		},
	},
	setting[string]{
		field:   "subnetGroupName",
		desired: func(p *profile.Profile) string { return p.SubnetGroupName },
		current: onMember(func(m *types.CacheCluster) string { return aws.ToString(m.CacheSubnetGroupName) }),
		create:  func(in *elasticache.CreateReplicationGroupInput, v string) { in.CacheSubnetGroupName = aws.String(v) },
		fixed:   "a group's subnet group is fixed at creation", // no CacheSubnetGroupName in ModifyReplicationGroupMessage
	},
	setting[int32]{
		field:   "port",
		desired: func(p *profile.Profile) int32 { return int32(p.Port) },
		current: func(g *types.ReplicationGroup, _ *types.CacheCluster) (int32, bool) {
			if len(g.NodeGroups) == 0 || g.NodeGroups[0].PrimaryEndpoint == nil {
				return 0, false
			}
			return aws.ToInt32(g.NodeGroups[0].PrimaryEndpoint.Port), true
		},
		// Not compared yet: clients read the real port from the secret, and
		// the local emulator maps every node to a free local port, so the
		// endpoint's port need not equal the profile's. Issue 11 deletes
		// this line.
		same:   func(_, _ int32) bool { return true },
		create: func(in *elasticache.CreateReplicationGroupInput, v int32) { in.Port = aws.Int32(v) },
		fixed:  "the port is fixed at creation", // no Port in ModifyReplicationGroupMessage
	},
	setting[int]{
		field:   "numCacheClusters",
		desired: func(p *profile.Profile) int { return p.NumCacheClusters },
		current: onGroup(func(g *types.ReplicationGroup) int { return len(g.MemberClusters) }),
		create:  func(in *elasticache.CreateReplicationGroupInput, v int) { in.NumCacheClusters = aws.Int32(int32(v)) },
		// ModifyReplicationGroupMessage has no NumCacheClusters: replicas
		// are added and removed by their own operations.
		fixed: "ecprov does not change the replica count yet; use IncreaseReplicaCount/DecreaseReplicaCount",
	},
	setting[bool]{
		field:   "automaticFailover",
		desired: func(p *profile.Profile) bool { return p.Failover() },
		current: onGroup(func(g *types.ReplicationGroup) bool {
			return g.AutomaticFailover == types.AutomaticFailoverStatusEnabled || g.AutomaticFailover == types.AutomaticFailoverStatusEnabling
		}),
		pending: func(g *types.ReplicationGroup, _ *types.CacheCluster) (bool, bool) {
			if g.PendingModifiedValues == nil || g.PendingModifiedValues.AutomaticFailoverStatus == "" {
				return false, false
			}
			return g.PendingModifiedValues.AutomaticFailoverStatus == types.PendingAutomaticFailoverStatusEnabled, true
		},
		create: func(in *elasticache.CreateReplicationGroupInput, v bool) { in.AutomaticFailoverEnabled = aws.Bool(v) },
		modify: func(in *elasticache.ModifyReplicationGroupInput, v bool) { in.AutomaticFailoverEnabled = aws.Bool(v) },
	},
	setting[bool]{
		field:   "multiAZ",
		desired: func(p *profile.Profile) bool { return p.MultiAZEnabled() },
		current: onGroup(func(g *types.ReplicationGroup) bool { return g.MultiAZ == types.MultiAZStatusEnabled }),
		create:  func(in *elasticache.CreateReplicationGroupInput, v bool) { in.MultiAZEnabled = aws.Bool(v) },
		modify:  func(in *elasticache.ModifyReplicationGroupInput, v bool) { in.MultiAZEnabled = aws.Bool(v) },
	},
	setting[bool]{
		field:   "atRestEncryption",
		desired: func(*profile.Profile) bool { return true }, // R5: always on
		current: onGroup(func(g *types.ReplicationGroup) bool { return aws.ToBool(g.AtRestEncryptionEnabled) }),
		create:  func(in *elasticache.CreateReplicationGroupInput, v bool) { in.AtRestEncryptionEnabled = aws.Bool(v) },
		// CreateReplicationGroupMessage.AtRestEncryptionEnabled: "You cannot
		// modify the value of AtRestEncryptionEnabled after the replication
		// group is created."
		fixed: "encryption at rest is fixed at creation; create a new group and migrate",
	},
	setting[string]{
		field:   "atRestEncryption.kmsKeyId",
		desired: func(p *profile.Profile) string { return p.AtRestEncryption.KMSKeyID },
		current: onGroup(func(g *types.ReplicationGroup) string { return aws.ToString(g.KmsKeyId) }),
		// An empty profile value means the AWS-managed key: not compared.
		same: func(want, have string) bool { return want == "" || sameKey(want, have) },
		create: func(in *elasticache.CreateReplicationGroupInput, v string) {
			if v != "" {
				in.KmsKeyId = aws.String(v)
			}
		},
		fixed: "the at-rest key is fixed at creation", // no KmsKeyId in ModifyReplicationGroupMessage
	},
	setting[bool]{
		field:   "transitEncryption",
		desired: func(*profile.Profile) bool { return true }, // R6: always on
		current: onGroup(func(g *types.ReplicationGroup) bool { return aws.ToBool(g.TransitEncryptionEnabled) }),
		pending: func(g *types.ReplicationGroup, _ *types.CacheCluster) (bool, bool) {
			if g.PendingModifiedValues == nil || g.PendingModifiedValues.TransitEncryptionEnabled == nil {
				return false, false
			}
			return *g.PendingModifiedValues.TransitEncryptionEnabled, true
		},
		create: func(in *elasticache.CreateReplicationGroupInput, v bool) { in.TransitEncryptionEnabled = aws.Bool(v) },
		// AWS can turn TLS on in place (ModifyReplicationGroupMessage has
		// TransitEncryptionEnabled), but only through mode "preferred" while
		// every client moves to TLS: a migration ecprov leaves to people.
		fixed: "turning on TLS needs a client migration through mode preferred; ecprov does not do it in place",
	},
	setting[string]{
		field:   "transitEncryptionMode",
		desired: func(p *profile.Profile) string { return p.TransitEncryptionMode },
		// Read only while TLS is on: without it the mode means nothing, and
		// transitEncryption reports the difference.
		current: func(g *types.ReplicationGroup, _ *types.CacheCluster) (string, bool) {
			return string(g.TransitEncryptionMode), aws.ToBool(g.TransitEncryptionEnabled) && g.TransitEncryptionMode != ""
		},
		pending: func(g *types.ReplicationGroup, _ *types.CacheCluster) (string, bool) {
			if g.PendingModifiedValues == nil || g.PendingModifiedValues.TransitEncryptionMode == "" {
				return "", false
			}
			return string(g.PendingModifiedValues.TransitEncryptionMode), true
		},
		create: func(in *elasticache.CreateReplicationGroupInput, v string) {
			in.TransitEncryptionMode = types.TransitEncryptionMode(v)
		},
		modify: func(in *elasticache.ModifyReplicationGroupInput, v string) {
			in.TransitEncryptionMode = types.TransitEncryptionMode(v)
		},
	},
	setting[[]string]{
		field: "network.securityGroupIds",
		desired: func(p *profile.Profile) []string {
			return slices.Sorted(slices.Values(p.Network.SecurityGroupIDs))
		},
		current: func(_ *types.ReplicationGroup, m *types.CacheCluster) ([]string, bool) {
			if m == nil || len(m.SecurityGroups) == 0 {
				return nil, false
			}
			var ids []string
			for _, sg := range m.SecurityGroups {
				ids = append(ids, aws.ToString(sg.SecurityGroupId))
			}
			slices.Sort(ids)
			return ids, true
		},
		create: func(in *elasticache.CreateReplicationGroupInput, v []string) { in.SecurityGroupIds = v },
		modify: func(in *elasticache.ModifyReplicationGroupInput, v []string) { in.SecurityGroupIds = v },
	},
	setting[string]{
		field:   "snapshot.window",
		desired: func(p *profile.Profile) string { return p.Snapshot.Window },
		current: onGroup(func(g *types.ReplicationGroup) string { return aws.ToString(g.SnapshotWindow) }),
		create:  func(in *elasticache.CreateReplicationGroupInput, v string) { in.SnapshotWindow = aws.String(v) },
		modify:  func(in *elasticache.ModifyReplicationGroupInput, v string) { in.SnapshotWindow = aws.String(v) },
	},
	setting[int32]{
		field:   "snapshot.retentionDays",
		desired: func(p *profile.Profile) int32 { return int32(p.RetentionDays()) },
		current: onGroup(func(g *types.ReplicationGroup) int32 { return aws.ToInt32(g.SnapshotRetentionLimit) }),
		create:  func(in *elasticache.CreateReplicationGroupInput, v int32) { in.SnapshotRetentionLimit = aws.Int32(v) },
		modify:  func(in *elasticache.ModifyReplicationGroupInput, v int32) { in.SnapshotRetentionLimit = aws.Int32(v) },
	},
	setting[string]{
		field: "maintenanceWindow",
		// ElastiCache reports the window in lower case.
		desired: func(p *profile.Profile) string { return strings.ToLower(p.MaintenanceWindow) },
		current: onMember(func(m *types.CacheCluster) string { return strings.ToLower(aws.ToString(m.PreferredMaintenanceWindow)) }),
		create: func(in *elasticache.CreateReplicationGroupInput, v string) {
			in.PreferredMaintenanceWindow = aws.String(v)
		},
		modify: func(in *elasticache.ModifyReplicationGroupInput, v string) {
			in.PreferredMaintenanceWindow = aws.String(v)
		},
	},
	setting[string]{
		field:   "notificationTopicArn",
		desired: func(p *profile.Profile) string { return p.NotificationTopicARN },
		// An inactive topic gets no notices: it counts as none.
		current: func(_ *types.ReplicationGroup, m *types.CacheCluster) (string, bool) {
			if m == nil {
				return "", false
			}
			if n := m.NotificationConfiguration; n != nil && aws.ToString(n.TopicStatus) != "inactive" {
				return aws.ToString(n.TopicArn), true
			}
			return "", true
		},
		// No topic in the profile leaves the group's topic alone.
		same: func(want, have string) bool { return want == "" || want == have },
		create: func(in *elasticache.CreateReplicationGroupInput, v string) {
			if v != "" {
				in.NotificationTopicArn = aws.String(v)
			}
		},
		modify: func(in *elasticache.ModifyReplicationGroupInput, v string) {
			in.NotificationTopicArn = aws.String(v)
			// Notices are sent only while the status is active
			// (ModifyReplicationGroupMessage.NotificationTopicStatus).
			in.NotificationTopicStatus = aws.String("active")
		},
	},
}

// onGroup reads a setting that DescribeReplicationGroups reports.
func onGroup[T any](read func(g *types.ReplicationGroup) T) func(*types.ReplicationGroup, *types.CacheCluster) (T, bool) {
	return func(g *types.ReplicationGroup, _ *types.CacheCluster) (T, bool) { return read(g), true }
}

// onMember reads a setting that only the member clusters report
// (DescribeCacheClusters); it is unknown while no member could be read, or
// while the member does not report it yet.
func onMember(read func(m *types.CacheCluster) string) func(*types.ReplicationGroup, *types.CacheCluster) (string, bool) {
	return func(_ *types.ReplicationGroup, m *types.CacheCluster) (string, bool) {
		if m == nil {
			return "", false
		}
		v := read(m)
		return v, v != ""
	}
}

// memberPending reads a change under way from a member cluster's
// PendingModifiedValues.
func memberPending(read func(p *types.PendingModifiedValues) string) func(*types.ReplicationGroup, *types.CacheCluster) (string, bool) {
	return func(_ *types.ReplicationGroup, m *types.CacheCluster) (string, bool) {
		if m == nil || m.PendingModifiedValues == nil {
			return "", false
		}
		v := read(m.PendingModifiedValues)
		return v, v != ""
	}
}

// sameEngineVersion: the profile names a minor line ("7.0"); AWS reports the
// patch ("7.0.7").
func sameEngineVersion(want, have string) bool {
	return have == want || strings.HasPrefix(have, want+".")
}

func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < 2 && i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return false
}

// sameKey compares a profile's key reference with the ARN AWS reports. An
// alias cannot be resolved without KMS, so it is taken as matching.
func sameKey(want, have string) bool {
	switch {
	case want == have:
		return true
	case strings.HasPrefix(want, "alias/") || strings.Contains(want, ":alias/"):
		return have != ""
	default:
		return strings.HasSuffix(have, "/"+want) || strings.HasSuffix(have, ":"+want)
	}
}

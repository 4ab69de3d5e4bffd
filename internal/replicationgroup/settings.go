package replicationgroup

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecprov/ecprov/internal/profile"
)

// Settings are the replication group settings ecprov manages, in one
// comparable shape for both the desired and the observed group.
type Settings struct {
	Description           string
	NodeType              string
	EngineVersion         string
	ParameterGroupName    string
	SubnetGroupName       string
	Port                  int32
	NumCacheClusters      int
	AutomaticFailover     bool
	MultiAZ               bool
	AtRestEncryption      bool
	KMSKeyID              string
	TransitEncryption     bool
	TransitEncryptionMode string
	SecurityGroupIDs      []string
	SnapshotWindow        string
	SnapshotRetention     int32
	MaintenanceWindow     string
	NotificationTopicARN  string
}

// Desired is what the profile asks for.
func Desired(p *profile.Profile) Settings {
	sgs := slices.Clone(p.Network.SecurityGroupIDs)
	sort.Strings(sgs)
	return Settings{
		Description:           p.Description,
		NodeType:              p.NodeType,
		EngineVersion:         p.EngineVersion,
		ParameterGroupName:    p.ParameterGroupName,
		SubnetGroupName:       p.SubnetGroupName,
		Port:                  int32(p.Port),
		NumCacheClusters:      p.NumCacheClusters,
		AutomaticFailover:     p.Failover(),
		MultiAZ:               p.MultiAZEnabled(),
		AtRestEncryption:      true,
		KMSKeyID:              p.AtRestEncryption.KMSKeyID,
		TransitEncryption:     true,
		TransitEncryptionMode: p.TransitEncryptionMode,
		SecurityGroupIDs:      sgs,
		SnapshotWindow:        p.Snapshot.Window,
		SnapshotRetention:     int32(p.RetentionDays()),
		MaintenanceWindow:     strings.ToLower(p.MaintenanceWindow),
		NotificationTopicARN:  p.NotificationTopicARN,
	}
}

// Observed reads the settings of a group. Some live on the group, the rest
// (engine version, parameter group, maintenance window, security groups,
// notification topic) only on its member clusters; member may be nil early
// in a creation.
func Observed(g *types.ReplicationGroup, member *types.CacheCluster) Settings {
	s := Settings{
		Description:           aws.ToString(g.Description),
		NodeType:              aws.ToString(g.CacheNodeType),
		NumCacheClusters:      len(g.MemberClusters),
		AutomaticFailover:     g.AutomaticFailover == types.AutomaticFailoverStatusEnabled || g.AutomaticFailover == types.AutomaticFailoverStatusEnabling,
		MultiAZ:               g.MultiAZ == types.MultiAZStatusEnabled,
		AtRestEncryption:      aws.ToBool(g.AtRestEncryptionEnabled),
		KMSKeyID:              aws.ToString(g.KmsKeyId),
		TransitEncryption:     aws.ToBool(g.TransitEncryptionEnabled),
		TransitEncryptionMode: string(g.TransitEncryptionMode),
		SnapshotWindow:        aws.ToString(g.SnapshotWindow),
		SnapshotRetention:     aws.ToInt32(g.SnapshotRetentionLimit),
	}
	if len(g.NodeGroups) > 0 && g.NodeGroups[0].PrimaryEndpoint != nil {
		s.Port = aws.ToInt32(g.NodeGroups[0].PrimaryEndpoint.Port)
	}
	if member != nil {
		s.EngineVersion = aws.ToString(member.EngineVersion)
		if member.CacheParameterGroup != nil {
			s.ParameterGroupName = aws.ToString(member.CacheParameterGroup.CacheParameterGroupName)
		}
		s.SubnetGroupName = aws.ToString(member.CacheSubnetGroupName)
		s.MaintenanceWindow = strings.ToLower(aws.ToString(member.PreferredMaintenanceWindow))
		for _, sg := range member.SecurityGroups {
			s.SecurityGroupIDs = append(s.SecurityGroupIDs, aws.ToString(sg.SecurityGroupId))
		}
		sort.Strings(s.SecurityGroupIDs)
		if member.NotificationConfiguration != nil && aws.ToString(member.NotificationConfiguration.TopicStatus) != "inactive" {
			s.NotificationTopicARN = aws.ToString(member.NotificationConfiguration.TopicArn)
		}
	}
	return s
}

// Change is one difference between desired and observed state.
type Change struct {
	Resource string `json:"resource"` // replication-group, parameter-group, subnet-group, tags
	Field    string `json:"field"`    // profile field it comes from
	From     string `json:"from"`
	To       string `json:"to"`
	// Reason says why an immutable change cannot be made in place.
	Reason string `json:"reason,omitempty"`
}

func (c Change) String() string {
	s := fmt.Sprintf("%s %s: %q -> %q", c.Resource, c.Field, c.From, c.To)
	if c.Reason != "" {
		s += " (" + c.Reason + ")"
	}
	return s
}

// Delta is what to change: the in-place modifications, and the differences
// that ElastiCache cannot apply to an existing group.
type Delta struct {
	Modify    []Change
	Immutable []Change
	input     elasticache.ModifyReplicationGroupInput
}

// ModifyInput is the single ModifyReplicationGroup call that applies every
// in-place change, or nil when there is none.
func (d Delta) ModifyInput(id string) *elasticache.ModifyReplicationGroupInput {
	if len(d.Modify) == 0 {
		return nil
	}
	in := d.input
	in.ReplicationGroupId = aws.String(id)
	in.ApplyImmediately = aws.Bool(true)
	return &in
}

// Diff compares the group as it should be with the group as it is.
func Diff(want, have Settings) Delta {
	var d Delta
	mod := func(field, from, to string, set func(*elasticache.ModifyReplicationGroupInput)) {
		d.Modify = append(d.Modify, Change{Resource: "replication-group", Field: field, From: from, To: to})
		set(&d.input)
	}
	fixed := func(field, from, to, reason string) {
		d.Immutable = append(d.Immutable, Change{Resource: "replication-group", Field: field, From: from, To: to, Reason: reason})
	}

	if want.Description != have.Description {
		mod("description", have.Description, want.Description, func(in *elasticache.ModifyReplicationGroupInput) {
			in.ReplicationGroupDescription = aws.String(want.Description)
		})
	}
	if want.NodeType != have.NodeType {
		mod("nodeType", have.NodeType, want.NodeType, func(in *elasticache.ModifyReplicationGroupInput) {
			in.CacheNodeType = aws.String(want.NodeType)
		})
	}
	if have.EngineVersion != "" && !sameEngineVersion(want.EngineVersion, have.EngineVersion) {
		if versionLess(have.EngineVersion, want.EngineVersion) {
			mod("engineVersion", have.EngineVersion, want.EngineVersion, func(in *elasticache.ModifyReplicationGroupInput) {
				in.EngineVersion = aws.String(want.EngineVersion)
			})
		} else {
			fixed("engineVersion", have.EngineVersion, want.EngineVersion, "ElastiCache cannot downgrade an engine; create a new group")
		}
	}
	if have.ParameterGroupName != "" && want.ParameterGroupName != have.ParameterGroupName {
		mod("parameterGroupName", have.ParameterGroupName, want.ParameterGroupName, func(in *elasticache.ModifyReplicationGroupInput) {
			in.CacheParameterGroupName = aws.String(want.ParameterGroupName)
		})
	}
	if have.SubnetGroupName != "" && want.SubnetGroupName != have.SubnetGroupName {
		fixed("subnetGroupName", have.SubnetGroupName, want.SubnetGroupName, "a group's subnet group is fixed at creation")
	}
	// The port is fixed at creation and not compared: clients read the real
	// one from the secret, and the local emulator maps every node to a free
	// local port, so the endpoint port need not equal the profile's.
	if want.NumCacheClusters != have.NumCacheClusters {
		fixed("numCacheClusters", strconv.Itoa(have.NumCacheClusters), strconv.Itoa(want.NumCacheClusters), "ecprov does not change the replica count yet; use IncreaseReplicaCount/DecreaseReplicaCount")
	}
	if want.AutomaticFailover != have.AutomaticFailover {
		mod("automaticFailover", strconv.FormatBool(have.AutomaticFailover), strconv.FormatBool(want.AutomaticFailover), func(in *elasticache.ModifyReplicationGroupInput) {
			in.AutomaticFailoverEnabled = aws.Bool(want.AutomaticFailover)
		})
	}
	if want.MultiAZ != have.MultiAZ {
		mod("multiAZ", strconv.FormatBool(have.MultiAZ), strconv.FormatBool(want.MultiAZ), func(in *elasticache.ModifyReplicationGroupInput) {
			in.MultiAZEnabled = aws.Bool(want.MultiAZ)
		})
	}
	if want.AtRestEncryption != have.AtRestEncryption {
		fixed("atRestEncryption", strconv.FormatBool(have.AtRestEncryption), strconv.FormatBool(want.AtRestEncryption), "encryption at rest is fixed at creation; create a new group and migrate")
	}
	if want.KMSKeyID != "" && !sameKey(want.KMSKeyID, have.KMSKeyID) {
		fixed("atRestEncryption.kmsKeyId", have.KMSKeyID, want.KMSKeyID, "the at-rest key is fixed at creation")
	}
	if want.TransitEncryption != have.TransitEncryption {
		fixed("transitEncryption", strconv.FormatBool(have.TransitEncryption), strconv.FormatBool(want.TransitEncryption), "turning on TLS needs a client migration through mode preferred; ecprov does not do it in place")
	} else if have.TransitEncryption && have.TransitEncryptionMode != "" && want.TransitEncryptionMode != have.TransitEncryptionMode {
		mod("transitEncryptionMode", have.TransitEncryptionMode, want.TransitEncryptionMode, func(in *elasticache.ModifyReplicationGroupInput) {
			in.TransitEncryptionMode = types.TransitEncryptionMode(want.TransitEncryptionMode)
		})
	}
	if have.SecurityGroupIDs != nil && !slices.Equal(want.SecurityGroupIDs, have.SecurityGroupIDs) {
		mod("network.securityGroupIds", strings.Join(have.SecurityGroupIDs, ","), strings.Join(want.SecurityGroupIDs, ","), func(in *elasticache.ModifyReplicationGroupInput) {
			in.SecurityGroupIds = want.SecurityGroupIDs
		})
	}
	if want.SnapshotWindow != have.SnapshotWindow {
		mod("snapshot.window", have.SnapshotWindow, want.SnapshotWindow, func(in *elasticache.ModifyReplicationGroupInput) {
			in.SnapshotWindow = aws.String(want.SnapshotWindow)
		})
	}
	if want.SnapshotRetention != have.SnapshotRetention {
		mod("snapshot.retentionDays", strconv.Itoa(int(have.SnapshotRetention)), strconv.Itoa(int(want.SnapshotRetention)), func(in *elasticache.ModifyReplicationGroupInput) {
			in.SnapshotRetentionLimit = aws.Int32(want.SnapshotRetention)
		})
	}
	if have.MaintenanceWindow != "" && want.MaintenanceWindow != have.MaintenanceWindow {
		mod("maintenanceWindow", have.MaintenanceWindow, want.MaintenanceWindow, func(in *elasticache.ModifyReplicationGroupInput) {
			in.PreferredMaintenanceWindow = aws.String(want.MaintenanceWindow)
		})
	}
	if want.NotificationTopicARN != "" && want.NotificationTopicARN != have.NotificationTopicARN {
		mod("notificationTopicArn", have.NotificationTopicARN, want.NotificationTopicARN, func(in *elasticache.ModifyReplicationGroupInput) {
			in.NotificationTopicArn = aws.String(want.NotificationTopicARN)
			in.NotificationTopicStatus = aws.String("active")
		})
	}
	return d
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

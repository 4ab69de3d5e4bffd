package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/profile"
	"github.com/ecprov/ecprov/internal/profilestore"
)

// What one environment has in AWS, read with the Describe calls a user
// would make. Fields are the raw SDK outputs, so that a comparison sees
// everything AWS reports.
type inventory struct {
	Group          any                `json:"group"`
	Members        []any              `json:"members"`
	ParameterGroup any                `json:"parameterGroup"`
	Parameters     map[string]string  `json:"parameters"`
	SubnetGroup    any                `json:"subnetGroup"`
	Tags           map[string]any     `json:"tags"`
	Alarms         []any              `json:"alarms"`
	AlarmNames     []string           `json:"-"`
	Thresholds     map[string]float64 `json:"-"`
	Secret         any                `json:"secret"`
	SecretDeleted  bool               `json:"-"`
	SecretVersions int                `json:"secretVersions"`
	SecretValue    string             `json:"-"`
	StoredProfile  bool               `json:"storedProfile"`
}

// inspect reads everything ecprov makes for p. Missing resources are left
// nil (or empty).
func (l *lane) inspect(t *testing.T, p *profile.Profile) inventory {
	t.Helper()
	ctx := context.Background()
	ec := elasticache.NewFromConfig(l.cfg)
	cw := cloudwatch.NewFromConfig(l.cfg)
	sm := secretsmanager.NewFromConfig(l.cfg)
	inv := inventory{Tags: map[string]any{}, Parameters: map[string]string{}, Thresholds: map[string]float64{}}
	tags := func(arn string) {
		out, err := ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(arn)})
		if err != nil {
			t.Fatalf("tags of %s: %v", arn, err)
		}
		inv.Tags[arn] = out.TagList
	}

	g, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(p.ReplicationGroupID)})
	switch {
	case err == nil && len(g.ReplicationGroups) == 1:
		rg := g.ReplicationGroups[0]
		inv.Group = rg
		tags(aws.ToString(rg.ARN))
		for _, id := range rg.MemberClusters {
			c, err := ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id), ShowCacheNodeInfo: aws.Bool(true)})
			if err != nil {
				t.Fatalf("describe %s: %v", id, err)
			}
			inv.Members = append(inv.Members, c.CacheClusters)
		}
	case failure.ErrorCode(err) != "ReplicationGroupNotFoundFault":
		t.Fatalf("describe group %s: %v", p.ReplicationGroupID, err)
	}

	pg, err := ec.DescribeCacheParameterGroups(ctx, &elasticache.DescribeCacheParameterGroupsInput{CacheParameterGroupName: aws.String(p.ParameterGroupName)})
	switch {
	case err == nil && len(pg.CacheParameterGroups) == 1:
		inv.ParameterGroup = pg.CacheParameterGroups[0]
		tags(aws.ToString(pg.CacheParameterGroups[0].ARN))
		var marker *string
		for {
			ps, err := ec.DescribeCacheParameters(ctx, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String(p.ParameterGroupName), Marker: marker})
			if err != nil {
				t.Fatal(err)
			}
			for _, prm := range ps.Parameters {
				inv.Parameters[aws.ToString(prm.ParameterName)] = aws.ToString(prm.ParameterValue)
			}
			if aws.ToString(ps.Marker) == "" {
				break
			}
			marker = ps.Marker
		}
	case failure.ErrorCode(err) != "CacheParameterGroupNotFound":
		t.Fatalf("describe parameter group: %v", err)
	}

	sg, err := ec.DescribeCacheSubnetGroups(ctx, &elasticache.DescribeCacheSubnetGroupsInput{CacheSubnetGroupName: aws.String(p.SubnetGroupName)})
	switch {
	case err == nil && len(sg.CacheSubnetGroups) == 1:
		inv.SubnetGroup = sg.CacheSubnetGroups[0]
		tags(aws.ToString(sg.CacheSubnetGroups[0].ARN))
	case failure.ErrorCode(err) != "CacheSubnetGroupNotFoundFault":
		t.Fatalf("describe subnet group: %v", err)
	}

	var next *string
	for {
		a, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(alarms.Prefix(p.ReplicationGroupID)), NextToken: next})
		if err != nil {
			t.Fatalf("describe alarms: %v", err)
		}
		for _, m := range a.MetricAlarms {
			inv.Alarms = append(inv.Alarms, m)
			inv.AlarmNames = append(inv.AlarmNames, aws.ToString(m.AlarmName))
			inv.Thresholds[aws.ToString(m.AlarmName)] = aws.ToFloat64(m.Threshold)
		}
		if aws.ToString(a.NextToken) == "" {
			break
		}
		next = a.NextToken
	}
	sort.Strings(inv.AlarmNames)

	d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(p.SecretName)})
	switch {
	case err == nil:
		inv.Secret = d
		inv.SecretDeleted = d.DeletedDate != nil
		inv.SecretVersions = len(d.VersionIdsToStages)
		if !inv.SecretDeleted {
			v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(p.SecretName)})
			if err != nil {
				t.Fatalf("get secret: %v", err)
			}
			inv.SecretValue = aws.ToString(v.SecretString)
		}
	case failure.ErrorCode(err) != "ResourceNotFoundException":
		t.Fatalf("describe secret: %v", err)
	}
	_, err = sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(profilestore.Name(p))})
	inv.StoredProfile = err == nil
	if err != nil && failure.ErrorCode(err) != "ResourceNotFoundException" {
		t.Fatalf("describe stored profile: %v", err)
	}
	return inv
}

// leftovers lists what a teardown should have removed and did not. The
// endpoint secret may stay, scheduled for deletion (its recovery window).
func (inv inventory) leftovers() []string {
	var out []string
	if inv.Group != nil {
		out = append(out, "replication group")
	}
	if inv.ParameterGroup != nil {
		out = append(out, "parameter group")
	}
	if inv.SubnetGroup != nil {
		out = append(out, "subnet group")
	}
	if len(inv.AlarmNames) > 0 {
		out = append(out, fmt.Sprintf("%d alarms", len(inv.AlarmNames)))
	}
	if inv.Secret != nil && !inv.SecretDeleted {
		out = append(out, "endpoint secret (not scheduled for deletion)")
	}
	if inv.StoredProfile {
		out = append(out, "stored profile")
	}
	return out
}

// converged checks what a successful provision of p must leave: an
// available group with its two members, the profile's parameters and
// subnets, six alarms, a live endpoint secret naming the current primary,
// and the stored profile.
func (inv inventory) converged(p *profile.Profile) []string {
	var out []string
	data, _ := json.Marshal(inv.Group)
	var g struct {
		Status         string
		MemberClusters []string
		NodeGroups     []struct {
			NodeGroupMembers []struct{ CacheClusterId, CurrentRole string }
		}
		SnapshotRetentionLimit int
	}
	_ = json.Unmarshal(data, &g)
	if g.Status != "available" || len(g.MemberClusters) != p.NumCacheClusters {
		out = append(out, fmt.Sprintf("group is %q with %d members", g.Status, len(g.MemberClusters)))
	}
	if g.SnapshotRetentionLimit != p.RetentionDays() {
		out = append(out, fmt.Sprintf("snapshot retention %d, want %d", g.SnapshotRetentionLimit, p.RetentionDays()))
	}
	primary := ""
	for _, ng := range g.NodeGroups {
		for _, m := range ng.NodeGroupMembers {
			if m.CurrentRole == "primary" {
				primary = m.CacheClusterId
			}
		}
	}
	for k, v := range p.Parameters {
		if inv.Parameters[k] != v {
			out = append(out, fmt.Sprintf("parameter %s = %q, want %q", k, inv.Parameters[k], v))
		}
	}
	data, _ = json.Marshal(inv.SubnetGroup)
	var sg struct {
		Subnets []struct{ SubnetIdentifier string }
	}
	_ = json.Unmarshal(data, &sg)
	var subnets []string
	for _, s := range sg.Subnets {
		subnets = append(subnets, s.SubnetIdentifier)
	}
	sort.Strings(subnets)
	want := append([]string(nil), p.Network.SubnetIDs...)
	sort.Strings(want)
	if strings.Join(subnets, ",") != strings.Join(want, ",") {
		out = append(out, fmt.Sprintf("subnet group has %v, want %v", subnets, want))
	}
	for arn, tl := range inv.Tags {
		data, _ := json.Marshal(tl)
		for k, v := range p.Tags {
			if !strings.Contains(string(data), fmt.Sprintf(`"Key":%q,"Value":%q`, k, v)) {
				out = append(out, fmt.Sprintf("%s lacks tag %s=%s", arn, k, v))
			}
		}
	}
	data, _ = json.Marshal(inv.Secret)
	for k, v := range p.Tags {
		if inv.Secret != nil && !strings.Contains(string(data), fmt.Sprintf(`"Key":%q,"Value":%q`, k, v)) {
			out = append(out, fmt.Sprintf("endpoint secret lacks tag %s=%s", k, v))
		}
	}
	if len(inv.AlarmNames) != 3*p.NumCacheClusters {
		out = append(out, fmt.Sprintf("%d alarms, want %d: %v", len(inv.AlarmNames), 3*p.NumCacheClusters, inv.AlarmNames))
	}
	for _, member := range g.MemberClusters {
		for _, a := range alarms.Desired(p, member) {
			name := aws.ToString(a.AlarmName)
			if have, ok := inv.Thresholds[name]; !ok || have != aws.ToFloat64(a.Threshold) {
				out = append(out, fmt.Sprintf("alarm %s: threshold %v (present %v), want %v", name, have, ok, aws.ToFloat64(a.Threshold)))
			}
		}
	}
	var doc struct{ CurrentPrimaryNode, ReplicationGroupID string }
	switch {
	case inv.Secret == nil || inv.SecretDeleted:
		out = append(out, "endpoint secret missing or scheduled for deletion")
	case json.Unmarshal([]byte(inv.SecretValue), &doc) != nil || doc.ReplicationGroupID != p.ReplicationGroupID || doc.CurrentPrimaryNode != primary:
		out = append(out, fmt.Sprintf("endpoint secret %s does not name the group and its primary %s", inv.SecretValue, primary))
	}
	if !inv.StoredProfile {
		out = append(out, "no stored profile")
	}
	return out
}

// comparable is the inventory as JSON without what changes by itself:
// timestamps, alarm states (evaluated on live metrics), request metadata.
func (inv inventory) comparable(t *testing.T) string {
	t.Helper()
	data, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	_ = json.Unmarshal(data, &v)
	v = scrub(v)
	out, _ := json.MarshalIndent(v, "", " ")
	return string(out)
}

func scrub(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k := range x {
			lk := strings.ToLower(k)
			if strings.Contains(lk, "date") || strings.Contains(lk, "time") || strings.HasPrefix(lk, "state") || k == "ResultMetadata" {
				delete(x, k)
				continue
			}
			x[k] = scrub(x[k])
		}
	case []any:
		for i := range x {
			x[i] = scrub(x[i])
		}
	}
	return v
}

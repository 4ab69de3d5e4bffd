package profile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func loadShipped(t *testing.T, env string) *Profile {
	t.Helper()
	p, err := Load(PathFor("../../environments", env))
	if err != nil {
		t.Fatalf("shipped profile %s: %v", env, err)
	}
	return p
}

func TestShippedProfilesAreValid(t *testing.T) {
	dev := loadShipped(t, "dev")
	prod := loadShipped(t, "prod")
	if prod.SecretName != "audio-pipeline/redis-endpoint" {
		t.Errorf("prod secretName = %q, want audio-pipeline/redis-endpoint (R11)", prod.SecretName)
	}
	if dev.SecretName != "audio-pipeline/dev/redis-endpoint" {
		t.Errorf("dev secretName = %q", dev.SecretName)
	}
	for _, p := range []*Profile{dev, prod} {
		if p.NodeType != "cache.t4g.micro" || p.EngineVersion != "7.0" || p.ParameterGroupFamily != "redis7" ||
			p.NumCacheClusters != 2 || !p.Failover() || !p.MultiAZEnabled() || p.TransitEncryptionMode != "required" ||
			p.Snapshot.Window != "03:00-04:00" || p.RetentionDays() != 7 || p.SecretRecoveryWindowDays != 7 ||
			p.Parameters["timeout"] != "300" || p.Parameters["maxmemory-policy"] != "allkeys-lru" {
			t.Errorf("%s does not carry the R1-R11 defaults: %+v", p.Environment, p)
		}
		for _, k := range RequiredTagKeys {
			if p.Tags[k] == "" {
				t.Errorf("%s: tag %s missing", p.Environment, k)
			}
		}
	}
}

func TestDefaultsFillAMinimalProfile(t *testing.T) {
	p, err := Decode(strings.NewReader(`{
		"environment": "staging",
		"replicationGroupId": "audio-pipeline-staging",
		"secretName": "audio-pipeline/staging/redis-endpoint",
		"network": {"subnetIds": ["subnet-0ec00000000000a01", "subnet-0ec00000000000b01"],
		            "securityGroupIds": ["sg-0ec000000000c0001"],
		            "allowedSourceSecurityGroupIds": ["sg-0ec000000000a0001"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	p.ApplyDefaults()
	if err := p.Validate(); err != nil {
		t.Fatalf("minimal profile rejected: %v", err)
	}
	checks := map[string][2]any{
		"nodeType":           {p.NodeType, "cache.t4g.micro"},
		"parameterGroupName": {p.ParameterGroupName, "audio-pipeline-staging-redis7"},
		"subnetGroupName":    {p.SubnetGroupName, "audio-pipeline-staging-subnets"},
		"port":               {p.Port, 6379},
		"maintenanceWindow":  {p.MaintenanceWindow, "sun:05:00-sun:06:00"},
		"tags.Environment":   {p.Tags["Environment"], "staging"},
		"tags.ManagedBy":     {p.Tags["ManagedBy"], "ecprov"},
		"alarms.evictions":   {p.Alarms.EvictionsPerMinute, float64(100)},
	}
	for field, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", field, c[0], c[1])
		}
	}
}

func TestRetentionZeroIsKeptNotDefaulted(t *testing.T) {
	p := loadShipped(t, "dev")
	zero := 0
	p.Snapshot.RetentionDays = &zero
	p.ApplyDefaults()
	if p.RetentionDays() != 0 {
		t.Fatalf("explicit retention 0 became %d", p.RetentionDays())
	}
}

// TestInvalidProfiles: each case breaks one rule and must be reported on the
// named field, with a rule text containing the given fragment.
func TestInvalidProfiles(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(p *Profile)
		field  string
		rule   string
	}{
		{"rg id too long", func(p *Profile) { p.ReplicationGroupID = "audio-pipeline-" + strings.Repeat("x", 30) }, "replicationGroupId", "at most 40"},
		{"rg id starts with digit", func(p *Profile) { p.ReplicationGroupID = "1audio" }, "replicationGroupId", "start with a letter"},
		{"rg id double hyphen", func(p *Profile) { p.ReplicationGroupID = "audio-pipeline--dev" }, "replicationGroupId", "two consecutive hyphens"},
		{"rg id trailing hyphen", func(p *Profile) { p.ReplicationGroupID = "audio-pipeline-dev-" }, "replicationGroupId", "end with a hyphen"},
		{"rg id underscore", func(p *Profile) { p.ReplicationGroupID = "audio-pipeline_dev" }, "replicationGroupId", "letters, digits and hyphens"},
		{"rg id upper case", func(p *Profile) { p.ReplicationGroupID = "audio-pipeline-Dev" }, "replicationGroupId", "lower case"},
		{"rg id missing", func(p *Profile) { p.ReplicationGroupID = "" }, "replicationGroupId", "required"},
		{"rg id without project prefix", func(p *Profile) { p.ReplicationGroupID = "cache-dev" }, "replicationGroupId", "project prefix"},
		{"environment upper", func(p *Profile) { p.Environment = "Dev" }, "environment", "lower-case"},
		{"region bogus", func(p *Profile) { p.Region = "europe" }, "region", "not an AWS region"},
		{"node type unknown", func(p *Profile) { p.NodeType = "cache.t4g.nano" }, "nodeType", "not a supported node type"},
		{"engine version unknown", func(p *Profile) { p.EngineVersion = "5.0.6" }, "engineVersion", "not a supported Redis version"},
		{"family mismatch", func(p *Profile) { p.ParameterGroupFamily = "redis6.x" }, "parameterGroupFamily", "does not match engineVersion"},
		{"port too low", func(p *Profile) { p.Port = 80 }, "port", "between 1024 and 65535"},
		{"too many clusters", func(p *Profile) { p.NumCacheClusters = 7 }, "numCacheClusters", "between 1 and 6"},
		{"failover with one node", func(p *Profile) { p.NumCacheClusters = 1 }, "automaticFailover", "at least 2 cache clusters"},
		{"multi-az without failover", func(p *Profile) { f := false; p.AutomaticFailover = &f }, "multiAZ", "needs automaticFailover"},
		{"transit mode", func(p *Profile) { p.TransitEncryptionMode = "disabled" }, "transitEncryptionMode", `"required" or "preferred"`},
		{"kms key garbage", func(p *Profile) { p.AtRestEncryption.KMSKeyID = "my-key" }, "atRestEncryption.kmsKeyId", "not a KMS key"},
		{"kms key other region", func(p *Profile) {
			p.AtRestEncryption.KMSKeyID = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, "atRestEncryption.kmsKeyId", "is in region"},
		{"one subnet", func(p *Profile) { p.Network.SubnetIDs = p.Network.SubnetIDs[:1] }, "network.subnetIds", "at least 2"},
		{"subnet id format", func(p *Profile) { p.Network.SubnetIDs[1] = "subnet-xyz" }, "network.subnetIds[1]", "not a subnet id"},
		{"duplicate subnet", func(p *Profile) { p.Network.SubnetIDs[1] = p.Network.SubnetIDs[0] }, "network.subnetIds[1]", "listed twice"},
		{"sg id format", func(p *Profile) { p.Network.SecurityGroupIDs = []string{"redis-sg"} }, "network.securityGroupIds[0]", "not a security group id"},
		{"no allowed sources", func(p *Profile) { p.Network.AllowedSourceSecurityGroupIDs = nil }, "network.allowedSourceSecurityGroupIds", "at least 1"},
		{"redis group as own client", func(p *Profile) {
			p.Network.AllowedSourceSecurityGroupIDs = append(p.Network.AllowedSourceSecurityGroupIDs, p.Network.SecurityGroupIDs[0])
		}, "network.allowedSourceSecurityGroupIds[2]", "its own client"},
		{"vpc id format", func(p *Profile) { p.Network.VPCID = "vpc-1" }, "network.vpcId", "not a VPC id"},
		{"unknown parameter", func(p *Profile) { p.Parameters["maxmemory-polcy"] = "allkeys-lru" }, "parameters.maxmemory-polcy", "not a parameter"},
		{"bad eviction policy", func(p *Profile) { p.Parameters["maxmemory-policy"] = "lru" }, "parameters.maxmemory-policy", "must be one of"},
		{"timeout not a number", func(p *Profile) { p.Parameters["timeout"] = "5m" }, "parameters.timeout", "whole number"},
		{"snapshot window short", func(p *Profile) { p.Snapshot.Window = "03:00-03:30" }, "snapshot.window", "is 30 minutes; ElastiCache needs at least 60"},
		{"snapshot window format", func(p *Profile) { p.Snapshot.Window = "3am-4am" }, "snapshot.window", "hh24:mi-hh24:mi"},
		{"retention too long", func(p *Profile) { r := 36; p.Snapshot.RetentionDays = &r }, "snapshot.retentionDays", "between 0 and 35"},
		{"retention negative", func(p *Profile) { r := -1; p.Snapshot.RetentionDays = &r }, "snapshot.retentionDays", "between 0 and 35"},
		{"maintenance overlaps snapshot", func(p *Profile) { p.MaintenanceWindow = "tue:03:30-tue:04:30" }, "maintenanceWindow", "overlaps"},
		{"maintenance short", func(p *Profile) { p.MaintenanceWindow = "sun:05:00-sun:05:30" }, "maintenanceWindow", "60 minutes to 24 hours"},
		{"maintenance bad day", func(p *Profile) { p.MaintenanceWindow = "sunday:05:00-sunday:06:00" }, "maintenanceWindow", "ddd:hh24:mi"},
		{"cpu threshold above 100", func(p *Profile) { p.Alarms.CPUUtilizationPercent = 150 }, "alarms.cpuUtilizationPercent", "below 100"},
		{"memory threshold negative", func(p *Profile) { p.Alarms.MemoryUsagePercent = -5 }, "alarms.memoryUsagePercent", "above 0"},
		{"evictions below one", func(p *Profile) { p.Alarms.EvictionsPerMinute = 0.5 }, "alarms.evictionsPerMinute", "at least 1"},
		{"sustained too long", func(p *Profile) { p.Alarms.SustainedMinutes = 90 }, "alarms.sustainedMinutes", "between 1 and 60"},
		{"action topic not arn", func(p *Profile) { p.Alarms.ActionTopicARN = "ops-alerts" }, "alarms.actionTopicArn", "not an SNS topic ARN"},
		{"notification topic other region", func(p *Profile) {
			p.NotificationTopicARN = "arn:aws:sns:eu-west-1:123456789012:notices"
		}, "notificationTopicArn", "must be in"},
		{"secret name missing", func(p *Profile) { p.SecretName = "" }, "secretName", "required"},
		{"secret name bad chars", func(p *Profile) { p.SecretName = "audio-pipeline/dev redis" }, "secretName", "does not allow"},
		{"secret name outside project", func(p *Profile) { p.SecretName = "other/dev/redis-endpoint" }, "secretName", `must start with "audio-pipeline/"`},
		{"secret name random-suffix lookalike", func(p *Profile) { p.SecretName = "audio-pipeline/dev/redis-abcdef" }, "secretName", "six characters"},
		{"recovery window short", func(p *Profile) { p.SecretRecoveryWindowDays = 3 }, "secretRecoveryWindowDays", "between 7 and 30"},
		{"aws tag prefix", func(p *Profile) { p.Tags["aws:team"] = "audio" }, "tags.aws:team", "reserved"},
		{"required tag emptied", func(p *Profile) { p.Tags["Module"] = " " }, "tags.Module", "required"},
		{"managed-by changed", func(p *Profile) { p.Tags["ManagedBy"] = "terraform" }, "tags.ManagedBy", `must be "ecprov"`},
		{"environment tag mismatch", func(p *Profile) { p.Tags["Environment"] = "prod" }, "tags.Environment", "differs"},
		{"parameter group name bad", func(p *Profile) { p.ParameterGroupName = "audio-pipeline-dev--params" }, "parameterGroupName", "two consecutive hyphens"},
		{"subnet group outside project", func(p *Profile) { p.SubnetGroupName = "shared-subnets" }, "subnetGroupName", "project prefix"},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := loadShipped(t, "dev")
			tc.mutate(p)
			err := p.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("accepted; want a violation on %s", tc.field)
			}
			for _, v := range ve.Violations {
				if v.Field == tc.field && strings.Contains(v.Rule, tc.rule) {
					if v.Fix == "" && !strings.HasPrefix(tc.field, "parameters.") {
						t.Errorf("violation on %s has no fix: %s", tc.field, v)
					}
					return
				}
			}
			t.Fatalf("want %s %q; got:\n%v", tc.field, tc.rule, err)
		})
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	p := loadShipped(t, "dev")
	p.ReplicationGroupID = "audio-pipeline-dev-"
	p.Snapshot.Window = "03:00-03:30"
	p.NodeType = "cache.t2.nano"
	p.Network.SubnetIDs = []string{"subnet-0ec00000000000a01"}
	p.SecretRecoveryWindowDays = 40
	err := p.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("accepted a profile with five faults")
	}
	want := []string{"replicationGroupId", "snapshot.window", "nodeType", "network.subnetIds", "secretRecoveryWindowDays"}
	got := ve.Fields()
	for _, f := range want {
		if !slices.Contains(got, f) {
			t.Errorf("fault on %s not reported; got %v", f, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("reported %d problems %v, want exactly %d", len(got), got, len(want))
	}
}

func TestErrorMessageNamesFileFieldRuleAndFix(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), `"window": "03:00-04:00"`, `"window": "03:00-03:30"`, 1)
	path := filepath.Join(dir, "dev.json")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	want := path + `: snapshot.window "03:00-03:30" is 30 minutes; ElastiCache needs at least 60; e.g. "03:00-04:00"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v\nwant it to contain %s", err, want)
	}
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	cases := []struct{ doc, field, rule string }{
		{`{"nodeSize": "cache.t4g.micro"}`, "nodeSize", "not a profile field"},
		{`{"port": "6379"}`, "port", "must be a JSON number"},
		{`{"network": {"subnetIds": "subnet-0ec00000000000a01"}}`, "network.subnetIds", "must be a JSON array"},
		// encoding/json alone would take these case variants for the fields.
		{`{"secretname": "audio-pipeline/dev/redis-endpoint"}`, "secretname", "not a profile field"},
		{`{"network": {"subnetIDs": []}}`, "network.subnetIDs", "not a profile field"},
		{`{"parameters": {"timeout": 300}}`, "parameters.timeout", "must be a JSON string, not number"},
	}
	for _, tc := range cases {
		_, err := Decode(strings.NewReader(tc.doc))
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Violations[0].Field != tc.field || !strings.Contains(ve.Violations[0].Rule, tc.rule) {
			t.Errorf("%s: got %v, want %s %s", tc.doc, err, tc.field, tc.rule)
		}
	}
	if _, err := Decode(strings.NewReader(`{"environment": "dev",}`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("trailing comma: %v", err)
	}
}

func TestWindowsOverlap(t *testing.T) {
	cases := []struct {
		daily, weekly string
		overlap       bool
	}{
		{"03:00-04:00", "sun:05:00-sun:06:00", false},
		{"03:00-04:00", "sun:04:00-sun:05:00", false}, // touching is not overlapping
		{"03:00-04:00", "sun:03:59-sun:05:00", true},
		{"23:30-00:30", "mon:00:00-mon:01:00", true}, // daily window across midnight
		{"23:30-00:30", "sat:23:00-sun:00:10", true}, // weekly window across the week's end
		{"05:00-06:00", "sat:23:00-sun:01:00", false},
	}
	for _, tc := range cases {
		ds, de, _ := parseDailyWindow(tc.daily)
		ws, we, _ := parseWeeklyWindow(tc.weekly)
		if got := windowsOverlap(ds, de, ws, we); got != tc.overlap {
			t.Errorf("%s vs %s: overlap = %v, want %v", tc.daily, tc.weekly, got, tc.overlap)
		}
	}
}

func TestHashIsStableAndSensitive(t *testing.T) {
	a, b := loadShipped(t, "dev"), loadShipped(t, "dev")
	if a.Hash() != b.Hash() {
		t.Fatal("same profile, different hash")
	}
	b.Alarms.CPUUtilizationPercent = 70
	if a.Hash() == b.Hash() {
		t.Fatal("changed profile, same hash")
	}
}

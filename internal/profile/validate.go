package profile

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Violation is one broken rule: the field path as written in the profile,
// the rule with the offending value, and a way out.
type Violation struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
	Fix   string `json:"fix,omitempty"`
}

func (v Violation) String() string {
	if v.Fix == "" {
		return v.Field + " " + v.Rule
	}
	return v.Field + " " + v.Rule + "; " + v.Fix
}

// ValidationError carries every violation of one profile.
type ValidationError struct {
	Source     string // file the profile came from, if any
	Violations []Violation
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	prefix := ""
	if e.Source != "" {
		prefix = e.Source + ": "
	}
	fmt.Fprintf(&b, "%sinvalid profile (%d problem", prefix, len(e.Violations))
	if len(e.Violations) != 1 {
		b.WriteString("s")
	}
	b.WriteString(")")
	for _, v := range e.Violations {
		b.WriteString("\n  ")
		b.WriteString(prefix)
		b.WriteString(v.String())
	}
	return b.String()
}

// Fields lists the field paths that broke a rule, in order.
func (e *ValidationError) Fields() []string {
	out := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		out[i] = v.Field
	}
	return out
}

type checker struct{ vs []Violation }

func (c *checker) add(field, fix, format string, args ...any) {
	c.vs = append(c.vs, Violation{Field: field, Rule: fmt.Sprintf(format, args...), Fix: fix})
}

var (
	envPattern      = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	projectPattern  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,29}$`)
	regionPattern   = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	namePattern     = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	vpcPattern      = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetPattern   = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	sgPattern       = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	snsARNPattern   = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sns:([a-z0-9-]+):([0-9]{12}):([A-Za-z0-9_-]{1,256})$`)
	kmsARNPattern   = regexp.MustCompile(`^arn:aws(-[a-z]+)*:kms:([a-z0-9-]+):[0-9]{12}:(key/[0-9a-f-]{36}|key/mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+)$`)
	kmsIDPattern    = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+)$`)
	secretPattern   = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)
	secretSuffix    = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)
	tagCharsPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// NodeTypes are the node types ecprov accepts, with their memory in GiB as
// ElastiCache documents it. The R1 upgrade path is t4g.micro -> small -> medium.
var NodeTypes = map[string]float64{
	"cache.t4g.micro":  0.5,
	"cache.t4g.small":  1.37,
	"cache.t4g.medium": 3.09,
	"cache.t3.micro":   0.5,
	"cache.t3.small":   1.37,
	"cache.t3.medium":  3.09,
	"cache.m7g.large":  6.38,
	"cache.m7g.xlarge": 12.93,
	"cache.r7g.large":  13.07,
	"cache.r7g.xlarge": 26.32,
}

// EngineVersions maps the Redis versions ecprov accepts to their family.
var EngineVersions = map[string]string{
	"6.2": "redis6.x",
	"7.0": "redis7",
	"7.1": "redis7",
}

// Parameters ecprov knows how to validate; others would be accepted by
// ElastiCache, but a typo there silently does nothing, so we refuse them.
var parameterRules = map[string]func(string) string{
	"timeout":                 intRange(0, 2147483647),
	"maxmemory-policy":        oneOf("volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction"),
	"maxmemory-samples":       intRange(1, 64),
	"tcp-keepalive":           intRange(0, 2147483647),
	"notify-keyspace-events":  keyspaceEvents,
	"lazyfree-lazy-eviction":  oneOf("yes", "no"),
	"lazyfree-lazy-expire":    oneOf("yes", "no"),
	"activedefrag":            oneOf("yes", "no"),
	"slowlog-log-slower-than": intRange(-1, 2147483647),
	"slowlog-max-len":         intRange(0, 2147483647),
	"maxclients":              intRange(1, 65000),
}

// ParameterNames are the parameters a profile may set.
func ParameterNames() []string {
	out := make([]string, 0, len(parameterRules))
	for k := range parameterRules {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Validate checks the (defaulted) profile against ElastiCache's rules and
// ecprov's own, and returns a *ValidationError with every violation, or nil.
func (p *Profile) Validate() error {
	c := &checker{}
	p.checkIdentity(c)
	p.checkEngine(c)
	p.checkNetwork(c)
	p.checkParameters(c)
	p.checkWindows(c)
	p.checkAlarms(c)
	p.checkSecret(c)
	p.checkTags(c)
	if len(c.vs) == 0 {
		return nil
	}
	return &ValidationError{Violations: c.vs}
}

func (p *Profile) checkIdentity(c *checker) {
	switch {
	case p.Environment == "":
		c.add("environment", `e.g. "dev"`, "is required")
	case !envPattern.MatchString(p.Environment):
		c.add("environment", `e.g. "staging"`, "%q must be 1-20 lower-case letters, digits or hyphens, starting with a letter", p.Environment)
	}
	if !projectPattern.MatchString(p.Project) || strings.HasSuffix(p.Project, "-") {
		c.add("project", `e.g. "audio-pipeline"`, "%q must be 1-30 lower-case letters, digits or hyphens, starting with a letter and not ending with a hyphen", p.Project)
	}
	if !regionPattern.MatchString(p.Region) {
		c.add("region", `e.g. "us-east-1"`, "%q is not an AWS region name", p.Region)
	}
	id := p.ReplicationGroupID
	switch {
	case id == "":
		c.add("replicationGroupId", fmt.Sprintf("e.g. %q", p.Project+"-"+orDefault(p.Environment, "dev")), "is required")
	default:
		if msg := elastiCacheNameRule(id, 40); msg != "" {
			c.add("replicationGroupId", "e.g. "+strconv.Quote(p.Project+"-"+orDefault(p.Environment, "dev")), "%q %s", id, msg)
		} else if strings.ToLower(id) != id {
			c.add("replicationGroupId", "write it as "+strconv.Quote(strings.ToLower(id)), "%q has upper-case letters; ElastiCache stores ids in lower case, so look-ups by this spelling would not match", id)
		}
		if p.Project != "" && !strings.HasPrefix(id, p.Project+"-") {
			c.add("replicationGroupId", "e.g. "+strconv.Quote(p.Project+"-"+orDefault(p.Environment, "dev")), "%q must start with the project prefix %q; the deployed IAM policies only allow groups named so", id, p.Project+"-")
		}
	}
	for _, f := range []struct{ field, value string }{
		{"parameterGroupName", p.ParameterGroupName},
		{"subnetGroupName", p.SubnetGroupName},
	} {
		if f.value == "" || p.derived[f.field] == f.value {
			continue // derived from replicationGroupId, which is checked above
		}
		if msg := elastiCacheNameRule(f.value, 255); msg != "" {
			c.add(f.field, "leave it out to use the default derived from replicationGroupId", "%q %s", f.value, msg)
		} else if !strings.HasPrefix(strings.ToLower(f.value), p.Project+"-") {
			c.add(f.field, "leave it out to use the default derived from replicationGroupId", "%q must start with the project prefix %q", f.value, p.Project+"-")
		}
	}
	if utf8.RuneCountInString(p.Description) > 255 {
		c.add("description", "shorten it", "is %d characters; at most 255", utf8.RuneCountInString(p.Description))
	}
}

// elastiCacheNameRule returns what is wrong with an ElastiCache identifier,
// or "" when it is fine.
func elastiCacheNameRule(name string, max int) string {
	switch {
	case len(name) > max:
		return fmt.Sprintf("is %d characters; ElastiCache allows at most %d", len(name), max)
	case !namePattern.MatchString(name):
		return "may contain only letters, digits and hyphens"
	case !isLetter(name[0]):
		return "must start with a letter"
	case strings.Contains(name, "--"):
		return "must not contain two consecutive hyphens"
	case strings.HasSuffix(name, "-"):
		return "must not end with a hyphen"
	}
	return ""
}

func isLetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

func (p *Profile) checkEngine(c *checker) {
	if _, ok := NodeTypes[p.NodeType]; !ok {
		c.add("nodeType", `e.g. "cache.t4g.micro", upgrading to "cache.t4g.small" or "cache.t4g.medium"`, "%q is not a supported node type (supported: %s)", p.NodeType, strings.Join(slices.Sorted(maps.Keys(NodeTypes)), ", "))
	}
	family, ok := EngineVersions[p.EngineVersion]
	if !ok {
		c.add("engineVersion", `use "7.0" (or "7.1")`, "%q is not a supported Redis version (supported: %s)", p.EngineVersion, strings.Join(slices.Sorted(maps.Keys(EngineVersions)), ", "))
	} else if p.ParameterGroupFamily != family {
		c.add("parameterGroupFamily", fmt.Sprintf("use %q or leave it out", family), "%q does not match engineVersion %q, whose family is %q", p.ParameterGroupFamily, p.EngineVersion, family)
	}
	if p.Port < 1024 || p.Port > 65535 {
		c.add("port", "use 6379", "%d must be between 1024 and 65535", p.Port)
	}
	if p.NumCacheClusters < 1 || p.NumCacheClusters > 6 {
		c.add("numCacheClusters", "use 2 (one primary, one replica)", "%d must be between 1 and 6 (one primary and up to 5 replicas)", p.NumCacheClusters)
	}
	if p.Failover() && p.NumCacheClusters < 2 {
		c.add("automaticFailover", `set numCacheClusters to 2 or more, or automaticFailover to false`, "needs at least 2 cache clusters; numCacheClusters is %d", p.NumCacheClusters)
	}
	if p.MultiAZEnabled() && !p.Failover() {
		c.add("multiAZ", "enable automaticFailover or set multiAZ to false", "needs automaticFailover")
	}
	if k := p.AtRestEncryption.KMSKeyID; k != "" {
		checkKMSKey(c, "atRestEncryption.kmsKeyId", k, p.Region)
	}
	if p.TransitEncryptionMode != "required" && p.TransitEncryptionMode != "preferred" {
		c.add("transitEncryptionMode", `use "required"`, "%q must be \"required\" or \"preferred\" (transit encryption is always on)", p.TransitEncryptionMode)
	}
}

func checkKMSKey(c *checker, field, key, region string) {
	if m := kmsARNPattern.FindStringSubmatch(key); m != nil {
		if m[2] != region {
			c.add(field, "use a key in the profile's region", "key %q is in region %q, not %q", key, m[2], region)
		}
		return
	}
	if !kmsIDPattern.MatchString(key) {
		c.add(field, `use a key ARN, a key id or "alias/NAME"`, "%q is not a KMS key ARN, key id or alias", key)
	}
}

func (p *Profile) checkNetwork(c *checker) {
	n := p.Network
	if n.VPCID != "" && !vpcPattern.MatchString(n.VPCID) {
		c.add("network.vpcId", `e.g. "vpc-0123456789abcdef0"`, "%q is not a VPC id", n.VPCID)
	}
	checkIDs(c, "network.subnetIds", n.SubnetIDs, subnetPattern, "subnet", 2, 20,
		"list at least two private subnets in different Availability Zones")
	checkIDs(c, "network.securityGroupIds", n.SecurityGroupIDs, sgPattern, "security group", 1, 5,
		"list the Redis security group")
	checkIDs(c, "network.allowedSourceSecurityGroupIds", n.AllowedSourceSecurityGroupIDs, sgPattern, "security group", 1, 10,
		"list the API and Worker security groups")
	for i, id := range n.AllowedSourceSecurityGroupIDs {
		for _, own := range n.SecurityGroupIDs {
			if id == own {
				c.add(fmt.Sprintf("network.allowedSourceSecurityGroupIds[%d]", i), "list only the client groups (API, Worker) here",
					"%q is also in network.securityGroupIds; the Redis group must not be its own client", id)
			}
		}
	}
}

func checkIDs(c *checker, field string, ids []string, pattern *regexp.Regexp, kind string, min, max int, fix string) {
	if len(ids) < min {
		c.add(field, fix, "has %d %s id(s); at least %d needed", len(ids), kind, min)
	}
	if len(ids) > max {
		c.add(field, fmt.Sprintf("list at most %d", max), "has %d %s ids; ElastiCache allows at most %d", len(ids), kind, max)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !pattern.MatchString(id) {
			c.add(f, fmt.Sprintf("copy the id from the VPC console, e.g. %q", strings.SplitN(pattern.String()[1:], "(", 2)[0]+"0123456789abcdef0"), "%q is not a %s id", id, kind)
		}
		if seen[id] {
			c.add(f, "remove the duplicate", "%q is listed twice", id)
		}
		seen[id] = true
	}
}

func (p *Profile) checkParameters(c *checker) {
	for _, name := range slices.Sorted(maps.Keys(p.Parameters)) {
		rule, ok := parameterRules[name]
		field := "parameters." + name
		if !ok {
			c.add(field, "supported: "+strings.Join(ParameterNames(), ", "), "is not a parameter ecprov manages")
			continue
		}
		if msg := rule(p.Parameters[name]); msg != "" {
			c.add(field, "", "%q %s", p.Parameters[name], msg)
		}
	}
}

func intRange(lo, hi int) func(string) string {
	return func(v string) string {
		n, err := strconv.Atoi(v)
		if err != nil {
			return "must be a whole number, written as a string (e.g. \"300\")"
		}
		if n < lo || n > hi {
			return fmt.Sprintf("must be between %d and %d", lo, hi)
		}
		return ""
	}
}

func oneOf(values ...string) func(string) string {
	return func(v string) string {
		for _, ok := range values {
			if v == ok {
				return ""
			}
		}
		return "must be one of " + strings.Join(values, ", ")
	}
}

func keyspaceEvents(v string) string {
	for _, r := range v {
		if !strings.ContainsRune("KEg$lshzxeAtmdn", r) {
			return fmt.Sprintf("has %q, which is not a keyspace event class (KEg$lshzxeAtmdn)", r)
		}
	}
	return ""
}

func (p *Profile) checkWindows(c *checker) {
	snapStart, snapEnd, snapErr := parseDailyWindow(p.Snapshot.Window)
	if snapErr != "" {
		c.add("snapshot.window", `e.g. "03:00-04:00" (UTC)`, "%q %s", p.Snapshot.Window, snapErr)
	} else if d := (snapEnd - snapStart + minutesPerDay) % minutesPerDay; d < 60 {
		c.add("snapshot.window", fmt.Sprintf("e.g. %q", fmtHHMM(snapStart)+"-"+fmtHHMM((snapStart+60)%minutesPerDay)),
			"%q is %d minutes; ElastiCache needs at least 60", p.Snapshot.Window, d)
		snapErr = "short"
	}
	if r := p.RetentionDays(); r < 0 || r > 35 {
		c.add("snapshot.retentionDays", "use 7", "%d must be between 0 and 35", r)
	}
	mStart, mEnd, mErr := parseWeeklyWindow(p.MaintenanceWindow)
	if mErr != "" {
		c.add("maintenanceWindow", `e.g. "sun:05:00-sun:06:00" (UTC)`, "%q %s", p.MaintenanceWindow, mErr)
		return
	}
	d := (mEnd - mStart + minutesPerWeek) % minutesPerWeek
	if d < 60 || d > 24*60 {
		c.add("maintenanceWindow", `e.g. "sun:05:00-sun:06:00"`, "%q is %d minutes; ElastiCache needs 60 minutes to 24 hours", p.MaintenanceWindow, d)
		return
	}
	if snapErr == "" && windowsOverlap(snapStart, snapEnd, mStart, mEnd) {
		c.add("maintenanceWindow", `move it, e.g. "sun:05:00-sun:06:00"`,
			"%q overlaps the daily snapshot window %q; ElastiCache needs them apart", p.MaintenanceWindow, p.Snapshot.Window)
	}
}

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

var days = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseHHMM(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

func fmtHHMM(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func parseDailyWindow(s string) (start, end int, problem string) {
	parts := strings.Split(s, "-")
	if len(parts) != 2 {
		return 0, 0, `must be "hh24:mi-hh24:mi" in UTC`
	}
	a, ok1 := parseHHMM(parts[0])
	b, ok2 := parseHHMM(parts[1])
	if !ok1 || !ok2 {
		return 0, 0, `must be "hh24:mi-hh24:mi" in UTC`
	}
	return a, b, ""
}

func parseWeeklyWindow(s string) (start, end int, problem string) {
	parts := strings.Split(strings.ToLower(s), "-")
	if len(parts) != 2 {
		return 0, 0, `must be "ddd:hh24:mi-ddd:hh24:mi" in UTC`
	}
	var out [2]int
	for i, part := range parts {
		if len(part) != 9 || part[3] != ':' {
			return 0, 0, `must be "ddd:hh24:mi-ddd:hh24:mi" in UTC`
		}
		day := -1
		for d, name := range days {
			if part[:3] == name {
				day = d
			}
		}
		m, ok := parseHHMM(part[4:])
		if day < 0 || !ok {
			return 0, 0, `must be "ddd:hh24:mi-ddd:hh24:mi" in UTC, with ddd one of sun, mon, tue, wed, thu, fri, sat`
		}
		out[i] = day*minutesPerDay + m
	}
	return out[0], out[1], ""
}

// windowsOverlap tells whether a daily window and a weekly window share a
// minute on the week's circle.
func windowsOverlap(dStart, dEnd, wStart, wEnd int) bool {
	var week [minutesPerWeek]bool
	for m := wStart; m != wEnd; m = (m + 1) % minutesPerWeek {
		week[m] = true
	}
	for day := 0; day < 7; day++ {
		for m := dStart; m != dEnd; m = (m + 1) % minutesPerDay {
			if week[(day*minutesPerDay+m)%minutesPerWeek] {
				return true
			}
		}
	}
	return false
}

func (p *Profile) checkAlarms(c *checker) {
	a := p.Alarms
	if a.CPUUtilizationPercent <= 0 || a.CPUUtilizationPercent >= 100 {
		c.add("alarms.cpuUtilizationPercent", "use 80", "%g must be above 0 and below 100", a.CPUUtilizationPercent)
	}
	if a.MemoryUsagePercent <= 0 || a.MemoryUsagePercent >= 100 {
		c.add("alarms.memoryUsagePercent", "use 85", "%g must be above 0 and below 100", a.MemoryUsagePercent)
	}
	if a.EvictionsPerMinute < 1 {
		c.add("alarms.evictionsPerMinute", "use 100", "%g must be at least 1", a.EvictionsPerMinute)
	}
	if a.SustainedMinutes < 1 || a.SustainedMinutes > 60 {
		c.add("alarms.sustainedMinutes", "use 5", "%d must be between 1 and 60", a.SustainedMinutes)
	}
	if a.ActionTopicARN != "" {
		checkTopic(c, "alarms.actionTopicArn", a.ActionTopicARN, p.Region)
	}
	if p.NotificationTopicARN != "" {
		checkTopic(c, "notificationTopicArn", p.NotificationTopicARN, p.Region)
	}
}

func checkTopic(c *checker, field, arn, region string) {
	m := snsARNPattern.FindStringSubmatch(arn)
	switch {
	case m == nil:
		c.add(field, `e.g. "arn:aws:sns:us-east-1:123456789012:ecprov-notices"`, "%q is not an SNS topic ARN", arn)
	case m[2] != region:
		c.add(field, "use a topic in the profile's region", "topic %q is in region %q; it must be in %q", arn, m[2], region)
	}
}

func (p *Profile) checkSecret(c *checker) {
	name := p.SecretName
	switch {
	case name == "":
		c.add("secretName", fmt.Sprintf("e.g. %q", p.Project+"/"+orDefault(p.Environment, "dev")+"/redis-endpoint"), "is required")
	case len(name) > 512:
		c.add("secretName", "shorten it", "is %d characters; Secrets Manager allows at most 512", len(name))
	case !secretPattern.MatchString(name):
		c.add("secretName", "use letters, digits and /_+=.@-", "%q has characters Secrets Manager does not allow", name)
	default:
		if !strings.HasPrefix(name, p.Project+"/") {
			c.add("secretName", fmt.Sprintf("e.g. %q", p.Project+"/"+orDefault(p.Environment, "dev")+"/redis-endpoint"), "%q must start with %q; the deployed IAM policies only allow secrets named so", name, p.Project+"/")
		}
		if secretSuffix.MatchString(name) {
			c.add("secretName", `end it differently, e.g. "/redis-endpoint"`, "%q ends with a hyphen and six characters, which Secrets Manager confuses with the random suffix of an ARN", name)
		}
	}
	if w := p.SecretRecoveryWindowDays; w < 7 || w > 30 {
		c.add("secretRecoveryWindowDays", "use 7", "%d must be between 7 and 30", w)
	}
	if k := p.SecretKMSKeyID; k != "" {
		checkKMSKey(c, "secretKmsKeyId", k, p.Region)
	}
}

func (p *Profile) checkTags(c *checker) {
	if len(p.Tags) > 50 {
		c.add("tags", "remove some", "has %d tags; AWS allows at most 50", len(p.Tags))
	}
	for _, k := range slices.Sorted(maps.Keys(p.Tags)) {
		v := p.Tags[k]
		field := "tags." + k
		switch {
		case utf8.RuneCountInString(k) > 128:
			c.add(field, "shorten the key", "key is %d characters; at most 128", utf8.RuneCountInString(k))
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			c.add(field, "use another prefix", "keys starting with \"aws:\" are reserved by AWS")
		case !tagCharsPattern.MatchString(k):
			c.add(field, "use letters, digits, spaces and _.:/=+-@", "key has characters AWS tags do not allow")
		}
		if utf8.RuneCountInString(v) > 256 {
			c.add(field, "shorten the value", "value is %d characters; at most 256", utf8.RuneCountInString(v))
		} else if !tagCharsPattern.MatchString(v) {
			c.add(field, "use letters, digits, spaces and _.:/=+-@", "value %q has characters AWS tags do not allow", v)
		}
	}
	for _, k := range RequiredTagKeys {
		if strings.TrimSpace(p.Tags[k]) == "" {
			c.add("tags."+k, "leave it out to get the default", "is required on every resource (R12) and is empty")
		}
	}
	if v, ok := p.Tags["ManagedBy"]; ok && v != "" && v != ManagedBy {
		c.add("tags.ManagedBy", "leave it out", "%q must be %q; ecprov finds its resources by it", v, ManagedBy)
	}
	if v := p.Tags["Environment"]; v != "" && p.Environment != "" && v != p.Environment {
		c.add("tags.Environment", "leave it out to use the environment name", "%q differs from environment %q", v, p.Environment)
	}
	if v := p.Tags["Project"]; v != "" && v != p.Project {
		c.add("tags.Project", "leave it out to use the project name", "%q differs from project %q", v, p.Project)
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Package profile holds an environment profile: what one environment's Redis
// replication group should be. It loads profiles from environments/<env>.json,
// fills defaults and validates them, returning every violation at once.
package profile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// Profile is the desired state of one environment. Field names are the JSON
// keys users write; README.md documents each of them. replicationGroupId and
// secretName are fixed names that other tools read.
type Profile struct {
	// Environment is the environment name (dev, staging, prod, ...).
	Environment string `json:"environment"`
	// Project prefixes every resource name and the secret name; IAM policies
	// in the CDK app are scoped to it.
	Project string `json:"project"`
	// Region is the AWS region of every resource.
	Region string `json:"region"`

	ReplicationGroupID string `json:"replicationGroupId"`
	Description        string `json:"description"`

	NodeType             string `json:"nodeType"`
	EngineVersion        string `json:"engineVersion"`
	ParameterGroupFamily string `json:"parameterGroupFamily"`
	ParameterGroupName   string `json:"parameterGroupName"`
	SubnetGroupName      string `json:"subnetGroupName"`
	Port                 int    `json:"port"`

	NumCacheClusters  int   `json:"numCacheClusters"`
	AutomaticFailover *bool `json:"automaticFailover,omitempty"`
	MultiAZ           *bool `json:"multiAZ,omitempty"`

	AtRestEncryption      AtRestEncryption `json:"atRestEncryption"`
	TransitEncryptionMode string           `json:"transitEncryptionMode"`

	Network Network `json:"network"`

	// Parameters are the cache parameter group values ecprov keeps in place.
	Parameters map[string]string `json:"parameters"`

	Snapshot          Snapshot `json:"snapshot"`
	MaintenanceWindow string   `json:"maintenanceWindow"`

	Alarms Alarms `json:"alarms"`

	// NotificationTopicARN receives ElastiCache notices (failover etc.); the
	// relay function turns them into EventBridge events.
	NotificationTopicARN string `json:"notificationTopicArn,omitempty"`

	SecretName               string `json:"secretName"`
	SecretRecoveryWindowDays int    `json:"secretRecoveryWindowDays"`
	SecretKMSKeyID           string `json:"secretKmsKeyId,omitempty"`

	Tags map[string]string `json:"tags"`

	// derived marks names ApplyDefaults made from replicationGroupId, so
	// that a bad id is reported once, not again through every derived name.
	derived map[string]string
}

// AtRestEncryption is always on (R5); only the key is a choice.
type AtRestEncryption struct {
	// KMSKeyID is a customer managed key (ARN, key id or alias). Empty means
	// the AWS managed key.
	KMSKeyID string `json:"kmsKeyId,omitempty"`
}

// Network is where the group lives and who may reach it (R2, R7).
type Network struct {
	// VPCID is optional; when set, the subnets must be in it.
	VPCID            string   `json:"vpcId,omitempty"`
	SubnetIDs        []string `json:"subnetIds"`
	SecurityGroupIDs []string `json:"securityGroupIds"`
	// AllowedSourceSecurityGroupIDs are the only groups that may reach the
	// port (the API and Worker groups).
	AllowedSourceSecurityGroupIDs []string `json:"allowedSourceSecurityGroupIds"`
}

// Snapshot is the daily automatic backup (R9).
type Snapshot struct {
	Window        string `json:"window"`
	RetentionDays *int   `json:"retentionDays,omitempty"`
}

// Alarms are the per-node CloudWatch alarms (R10).
type Alarms struct {
	CPUUtilizationPercent float64 `json:"cpuUtilizationPercent"`
	MemoryUsagePercent    float64 `json:"memoryUsagePercent"`
	EvictionsPerMinute    float64 `json:"evictionsPerMinute"`
	// SustainedMinutes is how long CPU and memory must stay above their
	// thresholds before the alarm fires.
	SustainedMinutes int `json:"sustainedMinutes"`
	// ActionTopicARN, when set, is notified on ALARM and OK.
	ActionTopicARN string `json:"actionTopicArn,omitempty"`
}

// Defaults of the shipped profiles, named for the requirement they carry.
const (
	DefaultProject                  = "audio-pipeline"
	DefaultRegion                   = "us-east-1"
	DefaultNodeType                 = "cache.t4g.micro" // R1
	DefaultEngineVersion            = "7.0"             // R3
	DefaultPort                     = 6379
	DefaultNumCacheClusters         = 2          // R4
	DefaultTransitEncryptionMode    = "required" // R6
	DefaultSnapshotWindow           = "03:00-04:00"
	DefaultSnapshotRetentionDays    = 7 // R9
	DefaultMaintenanceWindow        = "sun:05:00-sun:06:00"
	DefaultCPUThreshold             = 80  // R10
	DefaultMemoryThreshold          = 85  // R10
	DefaultEvictionsPerMinute       = 100 // R10
	DefaultSustainedMinutes         = 5   // R10
	DefaultSecretRecoveryWindowDays = 7   // R11
	ManagedBy                       = "ecprov"
	DefaultModule                   = "elasticache-redis"
)

// RequiredParameters are the R8 values; a profile may add others or change
// these, but cannot drop them.
func RequiredParameters() map[string]string {
	return map[string]string{"timeout": "300", "maxmemory-policy": "allkeys-lru"}
}

// RequiredTagKeys are the R12 tags every resource carries.
var RequiredTagKeys = []string{"Project", "Environment", "ManagedBy", "Module"}

// Load reads, decodes, defaults and validates the profile at path. A
// validation failure is returned as *ValidationError listing every problem.
func Load(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	p, err := Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.ApplyDefaults()
	if err := p.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.Source = path
		}
		return p, err
	}
	return p, nil
}

// PathFor is where the profile of env lives under dir.
func PathFor(dir, env string) string {
	return filepath.Join(dir, env+".json")
}

// Decode reads one profile. Unknown fields are errors: a misspelt field
// silently falling back to a default is how clusters end up wrong.
func Decode(r io.Reader) (*Profile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		// checkKeys names a nested field by its path and a parameter or
		// tag by its key, where the decoder's error does not.
		if vs := checkKeys(data, reflect.TypeOf(p), ""); len(vs) > 0 {
			return nil, &ValidationError{Violations: vs}
		}
		return nil, describeDecodeError(err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value; a profile is a single object")
	}
	// encoding/json matches keys case-insensitively: "secretname" would
	// fill secretName silently, and the tools that read the fixed names
	// replicationGroupId and secretName from the file would not find them.
	if vs := checkKeys(data, reflect.TypeOf(p), ""); len(vs) > 0 {
		return nil, &ValidationError{Violations: vs}
	}
	return &p, nil
}

// checkKeys reports every key of data that is not exactly the name of a
// field of t (by its json tag), and every value of a map of strings
// (parameters, tags) that is not a JSON string. Values of another type
// than the field's are left to the decoder.
func checkKeys(data []byte, t reflect.Type, path string) []Violation {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return nil
	}
	var vs []Violation
	switch t.Kind() {
	case reflect.Struct:
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); t.Field(i).IsExported() && name != "" && name != "-" {
				fields[name] = t.Field(i).Type
			}
		}
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			ft, ok := fields[key]
			if ok {
				vs = append(vs, checkKeys(obj[key], ft, path+key+".")...)
				continue
			}
			fix := "check the spelling against README.md, section Profile fields (names are case-sensitive)"
			for name := range fields {
				if strings.EqualFold(name, key) {
					fix = fmt.Sprintf("write it %q (names are case-sensitive)", name)
				}
			}
			vs = append(vs, Violation{Field: path + key, Rule: "is not a profile field", Fix: fix})
		}
	case reflect.Map:
		if t.Elem().Kind() != reflect.String {
			return nil
		}
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			var s string
			if json.Unmarshal(obj[key], &s) != nil {
				vs = append(vs, Violation{Field: path + key, Rule: "must be a JSON string, not " + kindOf(obj[key]),
					Fix: "parameter and tag values are strings: write it in quotes"})
			}
		}
	}
	return vs
}

// kindOf names the JSON type of a value, as a user would say it.
func kindOf(v json.RawMessage) string {
	switch b := bytes.TrimSpace(v); {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case b[0] == 't' || b[0] == 'f':
		return "boolean"
	case b[0] == 'n':
		return "null"
	default:
		return "number"
	}
}

func describeDecodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return &ValidationError{Violations: []Violation{{
			Field: typeErr.Field,
			Rule:  fmt.Sprintf("must be a JSON %s, not %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value),
			Fix:   "see the field's type in README.md, section Profile fields",
		}}}
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("not valid JSON at byte %d: %w", syntaxErr.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return &ValidationError{Violations: []Violation{{
			Field: strings.Trim(name, `"`),
			Rule:  "is not a profile field",
			Fix:   "check the spelling against README.md, section Profile fields (names are case-sensitive)",
		}}}
	}
	return fmt.Errorf("decode profile: %w", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "float64":
		return "number"
	case "slice":
		return "array"
	case "map", "struct":
		return "object"
	case "bool":
		return "boolean"
	}
	return goKind
}

// ApplyDefaults fills every empty field with the shipped default. Names of
// the parameter and subnet groups derive from the replication group id.
func (p *Profile) ApplyDefaults() {
	if p.Project == "" {
		p.Project = DefaultProject
	}
	if p.Region == "" {
		p.Region = DefaultRegion
	}
	if p.Description == "" {
		p.Description = fmt.Sprintf("%s %s Redis (managed by ecprov)", p.Project, p.Environment)
	}
	if p.NodeType == "" {
		p.NodeType = DefaultNodeType
	}
	if p.EngineVersion == "" {
		p.EngineVersion = DefaultEngineVersion
	}
	if p.ParameterGroupFamily == "" {
		p.ParameterGroupFamily = familyFor(p.EngineVersion)
	}
	p.derived = map[string]string{}
	if p.ParameterGroupName == "" && p.ReplicationGroupID != "" {
		p.ParameterGroupName = p.ReplicationGroupID + "-" + strings.ReplaceAll(p.ParameterGroupFamily, ".", "-")
		p.derived["parameterGroupName"] = p.ParameterGroupName
	}
	if p.SubnetGroupName == "" && p.ReplicationGroupID != "" {
		p.SubnetGroupName = p.ReplicationGroupID + "-subnets"
		p.derived["subnetGroupName"] = p.SubnetGroupName
	}
	if p.Port == 0 {
		p.Port = DefaultPort
	}
	if p.NumCacheClusters == 0 {
		p.NumCacheClusters = DefaultNumCacheClusters
	}
	if p.AutomaticFailover == nil {
		p.AutomaticFailover = ptr(p.NumCacheClusters >= 2)
	}
	if p.MultiAZ == nil {
		p.MultiAZ = ptr(*p.AutomaticFailover)
	}
	if p.TransitEncryptionMode == "" {
		p.TransitEncryptionMode = DefaultTransitEncryptionMode
	}
	params := RequiredParameters()
	for k, v := range p.Parameters {
		params[k] = v
	}
	p.Parameters = params
	if p.Snapshot.Window == "" {
		p.Snapshot.Window = DefaultSnapshotWindow
	}
	if p.Snapshot.RetentionDays == nil {
		p.Snapshot.RetentionDays = ptr(DefaultSnapshotRetentionDays)
	}
	if p.MaintenanceWindow == "" {
		p.MaintenanceWindow = DefaultMaintenanceWindow
	}
	if p.Alarms.CPUUtilizationPercent == 0 {
		p.Alarms.CPUUtilizationPercent = DefaultCPUThreshold
	}
	if p.Alarms.MemoryUsagePercent == 0 {
		p.Alarms.MemoryUsagePercent = DefaultMemoryThreshold
	}
	if p.Alarms.EvictionsPerMinute == 0 {
		p.Alarms.EvictionsPerMinute = DefaultEvictionsPerMinute
	}
	if p.Alarms.SustainedMinutes == 0 {
		p.Alarms.SustainedMinutes = DefaultSustainedMinutes
	}
	if p.SecretRecoveryWindowDays == 0 {
		p.SecretRecoveryWindowDays = DefaultSecretRecoveryWindowDays
	}
	tags := map[string]string{
		"Project":     p.Project,
		"Environment": p.Environment,
		"ManagedBy":   ManagedBy,
		"Module":      DefaultModule,
	}
	for k, v := range p.Tags {
		tags[k] = v
	}
	p.Tags = tags
}

// familyFor maps an engine version to its parameter group family; unknown
// versions get "" so that validation reports the version, not the family.
func familyFor(engineVersion string) string {
	switch {
	case strings.HasPrefix(engineVersion, "7."):
		return "redis7"
	case strings.HasPrefix(engineVersion, "6."):
		return "redis6.x"
	}
	return ""
}

// RetentionDays is the snapshot retention after defaults.
func (p *Profile) RetentionDays() int {
	if p.Snapshot.RetentionDays == nil {
		return DefaultSnapshotRetentionDays
	}
	return *p.Snapshot.RetentionDays
}

// Failover reports whether automatic failover is on after defaults.
func (p *Profile) Failover() bool { return p.AutomaticFailover != nil && *p.AutomaticFailover }

// MultiAZEnabled reports whether Multi-AZ is on after defaults.
func (p *Profile) MultiAZEnabled() bool { return p.MultiAZ != nil && *p.MultiAZ }

// Hash is a short stable digest of the resolved profile; execution names use
// it so that a re-run of the same profile follows the running execution.
func (p *Profile) Hash() string {
	data, _ := json.Marshal(p) // a Profile always marshals
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:12]
}

// MemberClusterID is the id ElastiCache gives the n-th (1-based) member.
func MemberClusterID(replicationGroupID string, n int) string {
	return fmt.Sprintf("%s-%03d", replicationGroupID, n)
}

func ptr[T any](v T) *T { return &v }

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/ecprov/ecprov/internal/profile"
)

// Config is what one orchestration stack is made from. Everything a user may
// change comes from CDK context (cdk.json or `-c key=value`); everything else
// comes from internal/orchestration.
type Config struct {
	// StackName is the CloudFormation stack; `ecprov --stack` reads its outputs.
	StackName string
	// Prefix names the deployed functions, state machines, bus, topic and
	// rules (orchestration.FunctionName and friends).
	Prefix string
	// Project scopes the IAM policies: replication, parameter and subnet
	// groups named "<project>-*", secrets named "<project>/*". It must match
	// the profiles' "project" field, which validation ties to those names.
	Project string
	// Environment is only a tag: one orchestration stack serves every
	// environment of the account and region.
	Environment string
	// AlarmTopic adds an encrypted SNS topic for alarm actions.
	AlarmTopic bool
	// KMSKeyARNs are customer managed keys that profiles name
	// (atRestEncryption.kmsKeyId, secretKmsKeyId); the functions may use
	// them only through ElastiCache and Secrets Manager.
	KMSKeyARNs []string
	// Root is the repository root: statemachine/ and dist/ are read from it.
	Root string
}

// Context keys, with their defaults in DefaultConfig.
const (
	ctxStackName   = "stackName"
	ctxPrefix      = "prefix"
	ctxProject     = "project"
	ctxEnvironment = "environment"
	ctxAlarmTopic  = "alarmTopic"
	ctxKMSKeyARNs  = "kmsKeyArns"
)

// DefaultConfig is the stack `make deploy` builds with no context given.
func DefaultConfig(root string) Config {
	return Config{
		StackName:   "ecprov",
		Prefix:      "ecprov",
		Project:     profile.DefaultProject,
		Environment: "shared",
		Root:        root,
	}
}

// ConfigFromContext reads the context of app over DefaultConfig.
func ConfigFromContext(app awscdk.App, root string) (Config, error) {
	c := DefaultConfig(root)
	get := func(key string) (string, bool) {
		v := app.Node().TryGetContext(jsii.String(key))
		if v == nil {
			return "", false
		}
		return strings.TrimSpace(fmt.Sprint(v)), true
	}
	for key, dst := range map[string]*string{ctxStackName: &c.StackName, ctxPrefix: &c.Prefix, ctxProject: &c.Project, ctxEnvironment: &c.Environment} {
		if v, ok := get(key); ok {
			*dst = v
		}
	}
	if v, ok := get(ctxAlarmTopic); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("context %s=%q: want true or false", ctxAlarmTopic, v)
		}
		c.AlarmTopic = b
	}
	if v, ok := get(ctxKMSKeyARNs); ok {
		for _, k := range strings.FieldsFunc(strings.Trim(v, "[]"), func(r rune) bool { return r == ',' || r == ' ' }) {
			c.KMSKeyARNs = append(c.KMSKeyARNs, k)
		}
	}
	return c, c.Validate()
}

// Validate rejects names AWS would reject at deploy time, so that a typo
// fails `cdk synth`, not a CloudFormation update half-way through.
func (c Config) Validate() error {
	var errs []error
	name := func(key, v string, max int, rule string) {
		if v == "" || len(v) > max || !validName(v) {
			errs = append(errs, fmt.Errorf("context %s=%q: %s", key, v, rule))
		}
	}
	name(ctxStackName, c.StackName, 128, "a CloudFormation stack name is 1-128 letters, digits and hyphens, starting with a letter")
	// The longest derived name is "<prefix>-elasticache-notices" (SNS topic,
	// 256) and "<prefix>-publishsecret" (Lambda, 64); 40 leaves room for both.
	name(ctxPrefix, c.Prefix, 40, "the prefix is 1-40 letters, digits and hyphens, starting with a letter")
	name(ctxProject, c.Project, 40, `the project is 1-40 letters, digits and hyphens, starting with a letter, as in the profiles' "project" field`)
	for _, k := range c.KMSKeyARNs {
		if !strings.HasPrefix(k, "arn:") || !strings.Contains(k, ":kms:") || !strings.Contains(k, ":key/") {
			errs = append(errs, fmt.Errorf("context %s: %q is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); aliases cannot scope an IAM policy", ctxKMSKeyARNs, k))
		}
	}
	return errors.Join(errs...)
}

func validName(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case (r >= '0' && r <= '9' || r == '-') && i > 0:
		default:
			return false
		}
	}
	return !strings.HasSuffix(s, "-")
}

// FindRoot walks up from dir to the repository root, the directory that
// holds statemachine/ and go.mod. The CDK CLI runs the app from the root,
// `go test` runs it from infra/.
func FindRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if isDir(filepath.Join(d, "statemachine")) && isFile(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no directory above %s holds statemachine/ and go.mod; run the CDK app inside the ecprov repository", dir)
		}
		d = parent
	}
}

func isDir(p string) bool  { st, err := os.Stat(p); return err == nil && st.IsDir() }
func isFile(p string) bool { st, err := os.Stat(p); return err == nil && !st.IsDir() }

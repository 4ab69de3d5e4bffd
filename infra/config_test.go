package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig("/repo")
	tests := []struct {
		name    string
		change  func(*Config)
		problem string // "" when valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"prefix with digits and hyphens", func(c *Config) { c.Prefix = "team-2" }, ""},
		{"empty prefix", func(c *Config) { c.Prefix = "" }, "context prefix"},
		{"prefix starts with digit", func(c *Config) { c.Prefix = "2team" }, "context prefix"},
		{"prefix with underscore", func(c *Config) { c.Prefix = "my_team" }, "context prefix"},
		{"prefix trailing hyphen", func(c *Config) { c.Prefix = "team-" }, "context prefix"},
		{"prefix too long", func(c *Config) { c.Prefix = strings.Repeat("a", 41) }, "context prefix"},
		{"project with slash", func(c *Config) { c.Project = "audio/pipeline" }, "context project"},
		{"stack name with dot", func(c *Config) { c.StackName = "ecprov.prod" }, "context stackName"},
		{"key ARN", func(c *Config) {
			c.KMSKeyARNs = []string{"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
		}, ""},
		{"key alias", func(c *Config) { c.KMSKeyARNs = []string{"alias/ecprov"} }, "context kmsKeyArns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.problem == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
				t.Errorf("Validate() = %v, want an error about %q", err, tt.problem)
			}
		})
	}
}

func TestFindRoot(t *testing.T) {
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "statemachine", "provision.asl.json")); err != nil {
		t.Errorf("FindRoot(.) = %s, which has no statemachine/provision.asl.json", root)
	}
	if _, err := FindRoot(t.TempDir()); err == nil {
		t.Error("FindRoot(temp dir) found a root")
	}
}

func TestConfigFromContext(t *testing.T) {
	key1 := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	key2 := "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
	tests := []struct {
		name    string
		context map[string]any
		want    func(Config) bool
		problem string
	}{
		{"none: defaults", map[string]any{}, func(c Config) bool {
			d := DefaultConfig("/repo")
			return c.StackName == d.StackName && c.Prefix == d.Prefix && c.Project == d.Project && !c.AlarmTopic
		}, ""},
		{"-c values are strings", map[string]any{"stackName": "ecprov-staging", "prefix": "stg", "project": "audio-pipeline", "alarmTopic": "true", "kmsKeyArns": key1 + "," + key2},
			func(c Config) bool {
				return c.StackName == "ecprov-staging" && c.Prefix == "stg" && c.AlarmTopic && len(c.KMSKeyARNs) == 2 && c.KMSKeyARNs[1] == key2
			}, ""},
		{"cdk.json values keep their JSON types", map[string]any{"alarmTopic": true, "kmsKeyArns": []any{key1}},
			func(c Config) bool { return c.AlarmTopic && len(c.KMSKeyARNs) == 1 && c.KMSKeyARNs[0] == key1 }, ""},
		{"alarmTopic not a boolean", map[string]any{"alarmTopic": "yes please"}, nil, "alarmTopic"},
		{"bad prefix", map[string]any{"prefix": "Team Blue"}, nil, "context prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.context
			app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
			c, err := ConfigFromContext(app, "/repo")
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Errorf("ConfigFromContext() error = %v, want one about %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatalf("ConfigFromContext() = %v", err)
			}
			if !tt.want(c) {
				t.Errorf("ConfigFromContext() = %+v", c)
			}
		})
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ecprov/ecprov/internal/contract"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

func TestPrintProvisionOutputs(t *testing.T) {
	raw := `{"environment":"dev","replicationGroupId":"audio-pipeline-dev","action":"created","changes":[],
		"primaryEndpoint":{"address":"127.0.0.1","port":6379},"readerEndpoint":{"address":"127.0.0.2","port":6379},"port":6379,
		"currentPrimary":"audio-pipeline-dev-001","securityGroupIds":["sg-1","sg-2"],"secretArn":"arn:secret","secretVersionId":"v1",
		"secretChanged":true,"alarmNames":["a1","a2"],"alarmsChanged":true}`
	var out bytes.Buffer
	printOutputs(&out, "provision", json.RawMessage(raw))
	want := strings.Join([]string{
		"  replication group  audio-pipeline-dev",
		"  primary endpoint   127.0.0.1:6379",
		"  reader endpoint    127.0.0.2:6379",
		"  port               6379",
		"  current primary    audio-pipeline-dev-001",
		"  security groups    [sg-1 sg-2]",
		"  secret ARN         arn:secret",
		"  secret version     v1",
		"  action             created",
		"  alarms             2",
		"    a1",
		"    a2",
	}, "\n") + "\n"
	if out.String() != want {
		t.Errorf("provision outputs:\n%s\nwant\n%s", out.String(), want)
	}
}

// Teardown's outputs print as indented JSON with sorted keys, as they did
// when the CLI decoded them into a map.
func TestPrintTeardownOutputs(t *testing.T) {
	raw := `{"environment":"dev","replicationGroupId":"g","finalSnapshot":"g-final-1",
		"deleted":{"alarms":["a"],"replicationGroup":["g"],"parameterAndSubnetGroups":["p","s"],"secret":null},
		"alreadyGone":{"alarms":[],"replicationGroup":[],"parameterAndSubnetGroups":[],"secret":["x"]}}`
	var asMap map[string]any
	if err := json.Unmarshal([]byte(raw), &asMap); err != nil {
		t.Fatal(err)
	}
	data, _ := json.MarshalIndent(asMap, "  ", "  ")
	var out bytes.Buffer
	printOutputs(&out, "teardown", json.RawMessage(raw))
	if want := "  " + string(data) + "\n"; out.String() != want {
		t.Errorf("teardown outputs:\n%s\nwant\n%s", out.String(), want)
	}
}

func TestPrintStatus(t *testing.T) {
	deleted := time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)
	st := contract.StatusView{
		Environment: "dev", ReplicationGroupID: "g", Status: "available",
		Topology: &replicationgroup.Topology{
			PrimaryEndpoint: &replicationgroup.Endpoint{Address: "127.0.0.1", Port: 6379}, TLS: true,
			Members: []replicationgroup.Member{{CacheClusterID: "g-001", Role: "primary", AvailabilityZone: "us-east-1a"}},
		},
		Secret:           contract.SecretView{Found: true, ARN: "arn:s", CurrentVersion: "v2", Versions: 2, ScheduledForDeletion: &deleted},
		Alarms:           map[string]string{"ecprov/g/b": "OK", "ecprov/g/a": "ALARM"},
		RecentExecutions: map[string][]string{"teardown": {"t1"}, "provision": {"p1"}},
	}
	var out bytes.Buffer
	printStatus(&out, st)
	want := "environment        dev\nreplication group  g (available)\nprimary endpoint   127.0.0.1:6379\ntls                true\nmembers\n" +
		"  g-001                    primary  us-east-1a\n" +
		"secret             arn:s\n  current version  v2 (2 versions)\n  scheduled for deletion on 2026-03-01 04:00:00 +0000 UTC\n" +
		"alarms             2\n  " + pad("ecprov/g/a", 70) + " ALARM\n  " + pad("ecprov/g/b", 70) + " OK\n" +
		"recent executions\n  provision  p1\n  teardown   t1\n"
	if out.String() != want {
		t.Errorf("status:\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	printStatus(&out, contract.StatusView{Environment: "dev", ReplicationGroupID: "g", Group: "replication group g not found"})
	if want := "environment        dev\nreplication group  g: replication group g not found\nsecret             not found\nrecent executions\n"; out.String() != want {
		t.Errorf("status of nothing:\n%s\nwant\n%s", out.String(), want)
	}
}

func pad(s string, n int) string { return s + strings.Repeat(" ", n-len(s)) }

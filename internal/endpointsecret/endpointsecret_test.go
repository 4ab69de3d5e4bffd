package endpointsecret_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/ecprov/ecprov/internal/awsfake"
	"github.com/ecprov/ecprov/internal/endpointsecret"
	"github.com/ecprov/ecprov/internal/failure"
)

const secretName = "audio-pipeline/dev/redis-endpoint"

func setup(t *testing.T) (*endpointsecret.Handler, *awsfake.ElastiCache, *awsfake.SecretsManager, endpointsecret.Input) {
	t.Helper()
	ec := awsfake.NewElastiCache()
	_, err := ec.CreateReplicationGroup(context.Background(), &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String("audio-pipeline-dev"), NumCacheClusters: aws.Int32(2), Port: aws.Int32(6379),
		TransitEncryptionEnabled: aws.Bool(true), EngineVersion: aws.String("7.0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	sm := awsfake.NewSecretsManager()
	clock := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	p := &endpointsecret.Handler{ElastiCache: ec, Secrets: sm, Now: func() time.Time { clock = clock.Add(time.Minute); return clock }}
	return p, ec, sm, endpointsecret.Input{Profile: data}
}

func document(t *testing.T, sm *awsfake.SecretsManager) endpointsecret.Document {
	t.Helper()
	var d endpointsecret.Document
	if err := json.Unmarshal([]byte(sm.Secrets[secretName].Value), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCreatesThenWritesOnlyOnChange(t *testing.T) {
	p, ec, sm, in := setup(t)
	ctx := context.Background()
	out, err := p.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Created || !out.Changed || out.SecretARN == "" || out.VersionID == "" {
		t.Fatalf("first publish = %+v", out)
	}
	d := document(t, sm)
	want := endpointsecret.Document{
		PrimaryEndpoint: "master.audio-pipeline-dev.cache.local", ReaderEndpoint: "replica.audio-pipeline-dev.cache.local",
		Port: 6379, EngineVersion: "7.0.7", ReplicationGroupID: "audio-pipeline-dev", TLS: true,
		CurrentPrimaryNode: "audio-pipeline-dev-001", UpdatedAt: d.UpdatedAt,
	}
	if d != want || d.UpdatedAt == "" {
		t.Fatalf("document = %+v\nwant %+v", d, want)
	}
	if tags := sm.Secrets[secretName].Tags; tags["ManagedBy"] != "ecprov" || tags["Environment"] != "dev" {
		t.Errorf("secret tags = %v", tags)
	}
	sm.Names()

	// Same group, later clock: the timestamp alone is no change.
	again, err := p.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed || again.VersionID != out.VersionID || sm.Secrets[secretName].Versions != 1 {
		t.Fatalf("re-run wrote a version: %+v (versions %d)", again, sm.Secrets[secretName].Versions)
	}
	for _, c := range sm.Names() {
		if c != "DescribeSecret" && c != "GetSecretValue" {
			t.Errorf("re-run called %s", c)
		}
	}

	// After a failover the document names the new primary.
	ec.Failover("audio-pipeline-dev")
	moved, err := p.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !moved.Changed || moved.VersionID == out.VersionID || moved.CurrentPrimaryNode != "audio-pipeline-dev-002" || document(t, sm).CurrentPrimaryNode != "audio-pipeline-dev-002" {
		t.Fatalf("after failover: %+v", moved)
	}
	// And failing back is a new version too, not a replay of the first token.
	ec.Failover("audio-pipeline-dev")
	back, err := p.Handle(ctx, in)
	if err != nil || !back.Changed || sm.Secrets[secretName].Versions != 3 || document(t, sm).CurrentPrimaryNode != "audio-pipeline-dev-001" {
		t.Fatalf("fail back: %+v %v (versions %d)", back, err, sm.Secrets[secretName].Versions)
	}
}

func TestSecretScheduledForDeletionIsRestored(t *testing.T) {
	p, _, sm, in := setup(t)
	ctx := context.Background()
	if _, err := p.Handle(ctx, in); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	sm.Secrets[secretName].Deleted = &deleted
	sm.Names()
	out, err := p.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Restored || sm.Secrets[secretName].Deleted != nil {
		t.Fatalf("not restored: %+v", out)
	}
	if !slices.Contains(sm.Names(), "RestoreSecret") {
		t.Error("RestoreSecret not called")
	}
	if out.Changed {
		t.Error("restoring an up-to-date secret wrote a version")
	}
}

func TestErrorsAreClassified(t *testing.T) {
	p, _, sm, in := setup(t)
	sm.FailNext("DescribeSecret", awsfake.APIError("ThrottlingException", "Rate exceeded"))
	if _, err := p.Handle(context.Background(), in); failure.NameOf(err) != failure.RetryableAWSError {
		t.Fatalf("throttling: %v", err)
	}
	sm.FailNext("CreateSecret", awsfake.APIError("AccessDeniedException", "no"))
	if _, err := p.Handle(context.Background(), in); failure.NameOf(err) != failure.AWSError {
		t.Fatalf("access denied: %v", err)
	}
	p2, _, _, _ := setup(t)
	in.Profile = json.RawMessage(`{"environment":"dev"}`)
	if _, err := p2.Handle(context.Background(), in); failure.NameOf(err) != failure.InvalidProfile {
		t.Fatalf("bad profile: %v", err)
	}
	missing, _, _, good := setup(t)
	var m map[string]any
	_ = json.Unmarshal(good.Profile, &m)
	m["replicationGroupId"] = "audio-pipeline-gone"
	good.Profile, _ = json.Marshal(m)
	if _, err := missing.Handle(context.Background(), good); failure.NameOf(err) != failure.NotFound {
		t.Fatalf("missing group: %v", err)
	}
}

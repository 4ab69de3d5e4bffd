package profilestore_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ecprov/ecprov/internal/awsfake"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/profilestore"
)

func TestSaveResolveDelete(t *testing.T) {
	raw, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	sm := awsfake.NewSecretsManager()
	s := &profilestore.Handler{Secrets: sm}
	ctx := context.Background()
	out, err := s.Handle(ctx, profilestore.Input{Action: "save", Profile: raw})
	if err != nil || !out.Changed || out.Name != "audio-pipeline/ecprov/profiles/dev" {
		t.Fatalf("save: %+v %v", out, err)
	}
	again, err := s.Handle(ctx, profilestore.Input{Action: "save", Profile: raw})
	if err != nil || again.Changed || sm.Secrets[out.Name].Versions != 1 {
		t.Fatalf("second save wrote: %+v %v", again, err)
	}
	got, err := s.Handle(ctx, profilestore.Input{Action: "resolve", ReplicationGroupID: "audio-pipeline-dev"})
	if err != nil || len(got.Profiles) != 1 {
		t.Fatalf("resolve: %+v %v", got, err)
	}
	var p map[string]any
	if err := json.Unmarshal(got.Profiles[0], &p); err != nil || p["parameterGroupName"] != "audio-pipeline-dev-redis7" {
		t.Fatalf("resolved profile lacks defaults: %v %v", p["parameterGroupName"], err)
	}
	all, err := s.Handle(ctx, profilestore.Input{Action: "resolve", All: true})
	if err != nil || len(all.Profiles) != 1 {
		t.Fatalf("resolve all: %+v %v", all, err)
	}
	if _, err := s.Handle(ctx, profilestore.Input{Action: "resolve", ReplicationGroupID: "audio-pipeline-qa"}); failure.NameOf(err) != failure.NotFound {
		t.Fatalf("unknown group: %v", err)
	}
	if _, err := s.Handle(ctx, profilestore.Input{Action: "delete", Profile: raw}); err != nil || len(sm.Secrets) != 0 {
		t.Fatalf("delete: %v, %d left", err, len(sm.Secrets))
	}
	if _, err := s.Handle(ctx, profilestore.Input{Action: "delete", Profile: raw}); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Handle(ctx, profilestore.Input{Action: "frobnicate"}); failure.NameOf(err) != failure.InvalidInput {
		t.Fatalf("bad action: %v", err)
	}
}

// racingSecrets lets a concurrent run create the copy, with another
// profile, between save's read and its create.
type racingSecrets struct {
	*awsfake.SecretsManager
	other []byte
	raced bool
}

func (r *racingSecrets) CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error) {
	if !r.raced {
		r.raced = true
		theirs := *in
		theirs.SecretString = aws.String(string(r.other))
		if _, err := r.SecretsManager.CreateSecret(ctx, &theirs); err != nil {
			return nil, err
		}
	}
	return r.SecretsManager.CreateSecret(ctx, in, opts...)
}

func TestSaveAfterAConcurrentCreateStoresOurs(t *testing.T) {
	raw, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	sm := &racingSecrets{SecretsManager: awsfake.NewSecretsManager(), other: []byte(`{"someone":"else"}`)}
	out, err := (&profilestore.Handler{Secrets: sm}).Handle(context.Background(), profilestore.Input{Action: "save", Profile: raw})
	if err != nil || !out.Changed {
		t.Fatalf("save: %+v %v", out, err)
	}
	if v := sm.Secrets[out.Name].Value; !strings.Contains(v, `"replicationGroupId":"audio-pipeline-dev"`) {
		t.Fatalf("stored %s, want this run's profile", v)
	}
}

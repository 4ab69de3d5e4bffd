package profilestore_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

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
	s := &profilestore.Store{Secrets: sm}
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

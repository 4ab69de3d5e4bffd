package teardown_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/awsfake"
	"github.com/ecprov/ecprov/internal/endpointsecret"
	"github.com/ecprov/ecprov/internal/profilestore"
	"github.com/ecprov/ecprov/internal/replicationgroup"
	"github.com/ecprov/ecprov/internal/teardown"
)

func TestTeardownRemovesEverythingAndToleratesARerun(t *testing.T) {
	raw, err := os.ReadFile("../../environments/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ec, sm, cw := awsfake.NewElastiCache(), awsfake.NewSecretsManager(), awsfake.NewCloudWatch()
	if _, err := (&replicationgroup.Handler{EC2: awsfake.DevNetwork(), ElastiCache: ec}).Handle(ctx, replicationgroup.Input{Profile: raw}); err != nil {
		t.Fatal(err)
	}
	if _, err := (&endpointsecret.Handler{ElastiCache: ec, Secrets: sm}).Handle(ctx, endpointsecret.Input{Profile: raw}); err != nil {
		t.Fatal(err)
	}
	am := &alarms.Handler{ElastiCache: ec, CloudWatch: cw}
	if _, err := am.Handle(ctx, alarms.Input{Profile: raw}); err != nil {
		t.Fatal(err)
	}
	store := &profilestore.Handler{Secrets: sm}
	if _, err := store.Handle(ctx, profilestore.Input{Action: "save", Profile: raw}); err != nil {
		t.Fatal(err)
	}
	r := &teardown.Handler{ElastiCache: ec, Alarms: am, Secrets: sm, Profiles: store,
		Now: func() time.Time { return time.Date(2026, 11, 26, 13, 5, 0, 0, time.UTC) }}
	run := func(step string) teardown.Output {
		t.Helper()
		out, err := r.Handle(ctx, teardown.Input{Step: step, Profile: raw})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return out
	}
	if out := run(teardown.StepAlarms); len(out.Deleted) != 6 || len(cw.Alarms) != 0 {
		t.Fatalf("alarms: %+v", out)
	}
	out := run(teardown.StepGroup)
	if out.FinalSnapshot != "audio-pipeline-dev-final-20261126-130500" || ec.LastFinalSnapshot != out.FinalSnapshot {
		t.Fatalf("group: %+v (final snapshot %q)", out, ec.LastFinalSnapshot)
	}
	ec.Forget("audio-pipeline-dev") // the deletion finished
	if out := run(teardown.StepGroups); len(out.Deleted) != 2 || len(ec.ParamGroups)+len(ec.SubnetGroups) != 0 {
		t.Fatalf("groups: %+v", out)
	}
	out = run(teardown.StepSecret)
	secret := sm.Secrets["audio-pipeline/dev/redis-endpoint"]
	if secret == nil || secret.Deleted == nil || time.Until(*secret.Deleted) < 6*24*time.Hour {
		t.Fatalf("secret not scheduled for deletion with a 7-day window: %+v", secret)
	}
	if _, ok := sm.Secrets["audio-pipeline/ecprov/profiles/dev"]; ok {
		t.Fatal("stored profile left behind")
	}

	// A second teardown finds everything gone and succeeds.
	for _, step := range []string{teardown.StepAlarms, teardown.StepGroup, teardown.StepGroups, teardown.StepSecret} {
		out := run(step)
		if len(out.Deleted) != 0 {
			t.Errorf("%s deleted again: %v", step, out.Deleted)
		}
		if step != teardown.StepAlarms && len(out.AlreadyGone) == 0 {
			t.Errorf("%s did not report what was already gone", step)
		}
	}
	if !slices.Contains(sm.Names(), "DescribeSecret") {
		t.Error("secret step did not look before deleting")
	}
}

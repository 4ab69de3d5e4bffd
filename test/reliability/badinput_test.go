package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/profile"
)

// expectation is one entry of testdata/profiles/bad/expectations.json.
type expectation struct {
	// Mistake is what the user did, for the reader.
	Mistake string `json:"mistake"`
	// Error is InvalidProfile (profile.Load, `ecprov validate` and the
	// state machine refuse it) or NetworkCheckFailed (a well-formed
	// profile whose network fails the state machine's pre-flight).
	Error string `json:"error"`
	// Field and Message are the field the problem is reported on and a
	// fragment of the message ("" for a file that is not JSON at all).
	Field   string `json:"field"`
	Message string `json:"message"`
}

const corpus = "../../testdata/profiles/bad"

func loadCorpus(t *testing.T) (map[string]expectation, []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpus, "expectations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]expectation
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("expectations.json: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(corpus, "*.json"))
	var names []string
	for _, f := range files {
		if name := filepath.Base(f); name != "expectations.json" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := want[n]; !ok {
			t.Errorf("%s has no entry in expectations.json", n)
		}
	}
	for n, e := range want {
		if !slices.Contains(names, n) {
			t.Errorf("expectations.json names %s, which does not exist", n)
		}
		if e.Error != failure.InvalidProfile && e.Error != failure.NetworkCheckFailed {
			t.Errorf("%s: error %q is neither InvalidProfile nor NetworkCheckFailed", n, e.Error)
		}
	}
	if len(names) < 30 {
		t.Errorf("the corpus has %d profiles; the suite wants at least 30", len(names))
	}
	return want, names
}

// Every profile of the bad corpus is refused on the right field with the
// right message, by profile.Load and by `ecprov validate` (exit status 2);
// the ones whose fault is in the network pass both, as they must offline.
func TestBadProfilesAreRefusedOffline(t *testing.T) {
	t.Parallel()
	want, names := loadCorpus(t)
	cli := filepath.Join(t.TempDir(), "ecprov")
	build := exec.Command("go", "build", "-o", cli, "./cmd/ecprov")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ecprov: %v\n%s", err, out)
	}
	for _, name := range names {
		e := want[name]
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(corpus, name)
			_, err := profile.Load(path)
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(cli, "validate", "--profile", path)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(runErr, &exitErr) {
				code = exitErr.ExitCode()
			} else if runErr != nil {
				t.Fatal(runErr)
			}

			if e.Error == failure.NetworkCheckFailed {
				if err != nil || code != 0 {
					t.Errorf("a profile whose only fault is in the network must pass offline: Load: %v; validate exit %d: %s", err, code, stderr.String())
				}
				return
			}
			if err == nil {
				t.Fatalf("profile.Load accepted it (%s)", e.Mistake)
			}
			checkProblem(t, "profile.Load", err, e)
			if code != 2 {
				t.Errorf("ecprov validate exit status %d, want 2", code)
			}
			if out := stderr.String(); !strings.Contains(out, e.Field) || !strings.Contains(out, e.Message) {
				t.Errorf("ecprov validate does not name %q with %q:\n%s", e.Field, e.Message, out)
			}
		})
	}
}

// checkProblem: err reports the expected field with the expected message.
func checkProblem(t *testing.T, who string, err error, e expectation) {
	t.Helper()
	var ve *profile.ValidationError
	if e.Field == "" || !errors.As(err, &ve) {
		if !strings.Contains(err.Error(), e.Field) || !strings.Contains(err.Error(), e.Message) {
			t.Errorf("%s: %v; want %q with %q", who, err, e.Field, e.Message)
		}
		return
	}
	for _, v := range ve.Violations {
		if v.Field == e.Field && strings.Contains(v.String(), e.Message) {
			return
		}
	}
	t.Errorf("%s reports %v, none on %q with %q:\n%v", who, ve.Fields(), e.Field, e.Message, err)
}

// Every profile of the corpus that is JSON at all, handed to the provision
// state machine as the console would: it fails in CreateCluster with the
// expected error name, the cause names the field and the problem, no other
// step runs, and not one resource appears.
func TestBadProfilesAreRefusedByTheStateMachine(t *testing.T) {
	t.Parallel()
	want, names := loadCorpus(t)
	l := takeLane(t) // alone on it, so that "no new resource" is exact
	before := l.everything(t)
	api := sfn.NewFromConfig(l.cfg)
	sm := l.machineARN(t, "provision")
	var wg sync.WaitGroup
	ran := 0
	for i, name := range names {
		data, err := os.ReadFile(filepath.Join(corpus, name))
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(data) {
			continue // not even a JSON document: no execution input can carry it
		}
		ran++
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := want[name]
			input, _ := json.Marshal(map[string]json.RawMessage{"profile": data})
			out, err := api.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm),
				Name: aws.String(fmt.Sprintf("bad-%02d-%d", i, time.Now().UnixMilli())), Input: aws.String(string(input))})
			if err != nil {
				t.Errorf("%s: start: %v", name, err)
				return
			}
			arn := aws.ToString(out.ExecutionArn)
			t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
				r := l.follow(t, arn)
				if r.Status != "FAILED" || r.Error != e.Error {
					t.Fatalf("got %s; want %s (%s)", r, e.Error, e.Mistake)
				}
				// The cause of a failed Lambda task is the function's error
				// document, as on AWS.
				var doc struct{ ErrorMessage, ErrorType string }
				if err := json.Unmarshal([]byte(r.Cause), &doc); err != nil || doc.ErrorType != e.Error {
					t.Fatalf("cause is not %s's error document: %s", e.Error, r.Cause)
				}
				checkProblem(t, "the cause", errors.New(doc.ErrorMessage), expectation{Field: e.Field, Message: e.Message})
				for _, ev := range l.history(t, arn) {
					if ev.Type == sfntypes.HistoryEventTypeTaskStateEntered {
						if s := aws.ToString(ev.StateEnteredEventDetails.Name); s != "CreateCluster" && s != "NotifyFailure" {
							t.Errorf("state %s ran after the profile was refused", s)
						}
					}
				}
			})
		}()
	}
	wg.Wait()
	if after := l.everything(t); !slices.Equal(before, after) {
		t.Errorf("resources appeared: before %v, after %v", before, after)
	}
	t.Logf("%d of %d bad profiles ran through the state machine", ran, len(names))
}

// everything lists every resource of the lane's emulator by kind and name.
func (l *lane) everything(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	ec := elasticache.NewFromConfig(l.cfg)
	var out []string
	g, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range g.ReplicationGroups {
		out = append(out, "group "+aws.ToString(x.ReplicationGroupId))
	}
	pg, err := ec.DescribeCacheParameterGroups(ctx, &elasticache.DescribeCacheParameterGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range pg.CacheParameterGroups {
		out = append(out, "parameter-group "+aws.ToString(x.CacheParameterGroupName))
	}
	sg, err := ec.DescribeCacheSubnetGroups(ctx, &elasticache.DescribeCacheSubnetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range sg.CacheSubnetGroups {
		out = append(out, "subnet-group "+aws.ToString(x.CacheSubnetGroupName))
	}
	s, err := secretsmanager.NewFromConfig(l.cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range s.SecretList {
		out = append(out, "secret "+aws.ToString(x.Name))
	}
	a, err := cloudwatch.NewFromConfig(l.cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range a.MetricAlarms {
		out = append(out, "alarm "+aws.ToString(x.AlarmName))
	}
	sort.Strings(out)
	return out
}

package secretsmanager_test

import (
	"context"
	"errors"
	"maps"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/ecprov/ecprov/emulator/secretsmanager"
	"github.com/ecprov/ecprov/emulator/server"
)

// clock is a settable time source for the emulator under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newClient starts a Secrets Manager emulator behind the real router and
// returns the real SDK client pointed at it.
func newClient(t *testing.T) (*sm.Client, *clock) {
	t.Helper()
	clk := &clock{now: time.Now()}
	svc := secretsmanager.New(secretsmanager.Options{Now: clk.Now})
	ts := httptest.NewServer(server.New(nil, svc))
	t.Cleanup(ts.Close)
	client := sm.New(sm.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	return client, clk
}

var ctx = context.Background()

func mustCreate(t *testing.T, c *sm.Client, name, value string) *sm.CreateSecretOutput {
	t.Helper()
	out, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatalf("CreateSecret %s: %v", name, err)
	}
	return out
}

func stagesOf(t *testing.T, c *sm.Client, id string) map[string][]string {
	t.Helper()
	d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeSecret: %v", err)
	}
	return d.VersionIdsToStages
}

func TestCreateSecretARNAndLookup(t *testing.T) {
	c, _ := newClient(t)
	out := mustCreate(t, c, "audio-pipeline/redis-endpoint", `{"port":6379}`)

	arnRE := regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:audio-pipeline/redis-endpoint-[A-Za-z0-9]{6}$`)
	if !arnRE.MatchString(aws.ToString(out.ARN)) {
		t.Fatalf("ARN %q does not match %s", aws.ToString(out.ARN), arnRE)
	}
	if aws.ToString(out.VersionId) == "" {
		t.Fatal("CreateSecret with a value returned no VersionId")
	}
	partial := aws.ToString(out.ARN)[:len(aws.ToString(out.ARN))-7]
	for _, id := range []string{"audio-pipeline/redis-endpoint", aws.ToString(out.ARN), partial} {
		got, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetSecretValue(%q): %v", id, err)
		}
		if aws.ToString(got.SecretString) != `{"port":6379}` || aws.ToString(got.ARN) != aws.ToString(out.ARN) {
			t.Errorf("GetSecretValue(%q) = %q %q", id, aws.ToString(got.SecretString), aws.ToString(got.ARN))
		}
		if !slices.Equal(got.VersionStages, []string{"AWSCURRENT"}) {
			t.Errorf("VersionStages = %v, want [AWSCURRENT]", got.VersionStages)
		}
		if got.CreatedDate == nil || time.Since(*got.CreatedDate) > time.Minute {
			t.Errorf("CreatedDate = %v, want about now", got.CreatedDate)
		}
	}

	// A secret created without a value has no version yet.
	bare, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("bare")})
	if err != nil {
		t.Fatal(err)
	}
	if bare.VersionId != nil {
		t.Errorf("CreateSecret without value returned VersionId %q", *bare.VersionId)
	}
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("bare")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT" {
		t.Errorf("GetSecretValue on a secret without value: %v", err)
	}
}

func TestBinarySecret(t *testing.T) {
	c, _ := newClient(t)
	bin := []byte{0, 1, 2, 0xff}
	if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("bin"), SecretBinary: bin}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("bin")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.SecretBinary, bin) || got.SecretString != nil {
		t.Errorf("got binary %v string %v, want %v and nil", got.SecretBinary, got.SecretString, bin)
	}
	_, err = c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("bin"), SecretBinary: bin, SecretString: aws.String("x")})
	var ip *types.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Errorf("string and binary together: got %v, want InvalidParameterException", err)
	}
}

// TestVersionStages follows the staging labels through a series of writes:
// AWSCURRENT moves to each new version, AWSPREVIOUS to the one before, and a
// version left without labels drops out of VersionIdsToStages but can still
// be read by id.
func TestVersionStages(t *testing.T) {
	c, _ := newClient(t)
	v1 := aws.ToString(mustCreate(t, c, "s", "one").VersionId)

	put := func(value string, stages ...string) string {
		t.Helper()
		out, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("s"), SecretString: aws.String(value), VersionStages: stages})
		if err != nil {
			t.Fatalf("PutSecretValue %s: %v", value, err)
		}
		return aws.ToString(out.VersionId)
	}
	v2 := put("two")
	if got, want := stagesOf(t, c, "s"), map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT"}}; !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after second put: %v, want %v", got, want)
	}
	v3 := put("three")
	if got, want := stagesOf(t, c, "s"), map[string][]string{v2: {"AWSPREVIOUS"}, v3: {"AWSCURRENT"}}; !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after third put: %v, want %v", got, want)
	}
	v4 := put("four", "STAGING")
	if got, want := stagesOf(t, c, "s"), map[string][]string{v2: {"AWSPREVIOUS"}, v3: {"AWSCURRENT"}, v4: {"STAGING"}}; !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after put with custom label: %v, want %v", got, want)
	}

	tests := []struct {
		name      string
		versionID string
		stage     string
		want      string
	}{
		{"default is AWSCURRENT", "", "", "three"},
		{"AWSPREVIOUS", "", "AWSPREVIOUS", "two"},
		{"custom label", "", "STAGING", "four"},
		{"deprecated version by id", v1, "", "one"},
		{"id and matching stage", v3, "AWSCURRENT", "three"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &sm.GetSecretValueInput{SecretId: aws.String("s")}
			if tt.versionID != "" {
				in.VersionId = aws.String(tt.versionID)
			}
			if tt.stage != "" {
				in.VersionStage = aws.String(tt.stage)
			}
			got, err := c.GetSecretValue(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(got.SecretString) != tt.want {
				t.Errorf("value %q, want %q", aws.ToString(got.SecretString), tt.want)
			}
		})
	}

	errTests := []struct {
		name      string
		in        *sm.GetSecretValueInput
		wantCode  string
		wantMatch string
	}{
		{"unknown stage", &sm.GetSecretValueInput{SecretId: aws.String("s"), VersionStage: aws.String("NOPE")},
			"ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: NOPE"},
		{"unknown version", &sm.GetSecretValueInput{SecretId: aws.String("s"), VersionId: aws.String("00000000-0000-4000-8000-000000000000")},
			"ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: 00000000-0000-4000-8000-000000000000"},
		{"stage not on version", &sm.GetSecretValueInput{SecretId: aws.String("s"), VersionId: aws.String(v1), VersionStage: aws.String("AWSCURRENT")},
			"InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId."},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.GetSecretValue(ctx, tt.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode || ae.ErrorMessage() != tt.wantMatch {
				t.Errorf("got %v, want %s: %s", err, tt.wantCode, tt.wantMatch)
			}
		})
	}
}

func TestClientRequestToken(t *testing.T) {
	c, _ := newClient(t)
	const tok1 = "11111111-1111-4111-8111-111111111111"
	const tok2 = "22222222-2222-4222-8222-222222222222"
	created, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("a"), ClientRequestToken: aws.String(tok1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.VersionId) != tok1 {
		t.Fatalf("VersionId %q, want the token %q", aws.ToString(created.VersionId), tok1)
	}

	isExists := func(err error) bool { var e *types.ResourceExistsException; return errors.As(err, &e) }
	isValidation := func(err error) bool {
		var ae smithy.APIError
		return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
	}
	create := func(value, tok string) func() (string, error) {
		return func() (string, error) {
			out, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String(value), ClientRequestToken: aws.String(tok)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.VersionId), nil
		}
	}
	put := func(value, tok string) func() (string, error) {
		return func() (string, error) {
			out, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("s"), SecretString: aws.String(value), ClientRequestToken: aws.String(tok)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.VersionId), nil
		}
	}
	tests := []struct {
		name        string
		call        func() (versionID string, err error)
		wantVersion string
		wantErr     func(error) bool // nil: the call must succeed
	}{
		{"CreateSecret retried with same token and value", create("a", tok1), tok1, nil},
		{"CreateSecret same token, other value", create("b", tok1), "", isExists},
		{"CreateSecret existing name, new token", create("a", tok2), "", isExists},
		{"PutSecretValue same token and value is a no-op", put("a", tok1), tok1, nil},
		{"PutSecretValue same token, other value", put("b", tok1), "", isExists},
		{"PutSecretValue token too short", put("b", "short"), "", isValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if tt.wantErr == nil {
				if err != nil || got != tt.wantVersion {
					t.Errorf("got %q, %v; want %q", got, err, tt.wantVersion)
				}
			} else if !tt.wantErr(err) {
				t.Errorf("got %q, %v; want an error", got, err)
			}
		})
	}
	// None of the retries above may have added a version.
	if got := stagesOf(t, c, "s"); len(got) != 1 || !slices.Equal(got[tok1], []string{"AWSCURRENT"}) {
		t.Errorf("versions after retries: %v, want only %s", got, tok1)
	}
}

func TestDeleteAndRestore(t *testing.T) {
	c, clk := newClient(t)
	created := mustCreate(t, c, "s", "v")

	del, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	if d := del.DeletionDate.Sub(clk.Now()); d < 30*24*time.Hour-time.Minute || d > 30*24*time.Hour+time.Minute {
		t.Errorf("default DeletionDate is %v away, want 30 days", d)
	}

	const marked = "You can't perform this operation on the secret because it was marked for deletion."
	var ir *types.InvalidRequestException
	if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("s")}); !errors.As(err, &ir) || ir.ErrorMessage() != marked {
		t.Errorf("GetSecretValue on deleted secret: %v", err)
	}
	if _, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("s"), SecretString: aws.String("w")}); !errors.As(err, &ir) || ir.ErrorMessage() != marked {
		t.Errorf("PutSecretValue on deleted secret: %v", err)
	}
	if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("w")}); !errors.As(err, &ir) ||
		ir.ErrorMessage() != "You can't create this secret because a secret with this name is already scheduled for deletion." {
		t.Errorf("CreateSecret over deleted secret: %v", err)
	}
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("s")}); !errors.As(err, &ir) {
		t.Errorf("second DeleteSecret: %v, want InvalidRequestException", err)
	}
	d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("s")})
	if err != nil || d.DeletedDate == nil {
		t.Fatalf("DescribeSecret on deleted secret: DeletedDate %v, err %v", d.DeletedDate, err)
	}
	list, err := c.ListSecrets(ctx, &sm.ListSecretsInput{})
	if err != nil || len(list.SecretList) != 0 {
		t.Errorf("ListSecrets lists %d deleted secrets (err %v), want 0", len(list.SecretList), err)
	}
	list, err = c.ListSecrets(ctx, &sm.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	if err != nil || len(list.SecretList) != 1 || list.SecretList[0].DeletedDate == nil {
		t.Errorf("ListSecrets IncludePlannedDeletion: %+v, %v", list, err)
	}

	res, err := c.RestoreSecret(ctx, &sm.RestoreSecretInput{SecretId: aws.String("s")})
	if err != nil || aws.ToString(res.ARN) != aws.ToString(created.ARN) {
		t.Fatalf("RestoreSecret: %v %v", res, err)
	}
	got, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("s")})
	if err != nil || aws.ToString(got.SecretString) != "v" {
		t.Fatalf("GetSecretValue after restore: %v %v", got, err)
	}

	// The recovery window ends: the secret is gone and its name free.
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("s"), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
		t.Fatal(err)
	}
	clk.advance(7*24*time.Hour + time.Second)
	var nf *types.ResourceNotFoundException
	if _, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("s")}); !errors.As(err, &nf) {
		t.Errorf("DescribeSecret after the recovery window: %v, want ResourceNotFoundException", err)
	}
	again := mustCreate(t, c, "s", "new")
	if aws.ToString(again.ARN) == aws.ToString(created.ARN) {
		t.Errorf("re-created secret reuses ARN %s; AWS gives a new random suffix", aws.ToString(again.ARN))
	}

	// Force delete: gone at once.
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("s"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("s")}); !errors.As(err, &nf) || nf.ErrorMessage() != "Secrets Manager can't find the specified secret." {
		t.Errorf("DescribeSecret after force delete: %v", err)
	}
}

func TestDeleteSecretParameters(t *testing.T) {
	c, _ := newClient(t)
	mustCreate(t, c, "s", "v")
	tests := []struct {
		name    string
		in      *sm.DeleteSecretInput
		wantErr string
		wantMsg string
	}{
		{"both window and force", &sm.DeleteSecretInput{SecretId: aws.String("s"), RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)},
			"InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."},
		{"window too short", &sm.DeleteSecretInput{SecretId: aws.String("s"), RecoveryWindowInDays: aws.Int64(6)},
			"InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."},
		{"window too long", &sm.DeleteSecretInput{SecretId: aws.String("s"), RecoveryWindowInDays: aws.Int64(31)},
			"InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."},
		{"unknown secret", &sm.DeleteSecretInput{SecretId: aws.String("nope")},
			"ResourceNotFoundException", "Secrets Manager can't find the specified secret."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DeleteSecret(ctx, tt.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantErr || ae.ErrorMessage() != tt.wantMsg {
				t.Errorf("got %v, want %s: %s", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
	// The failed calls above must not have scheduled anything.
	if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("s")}); err != nil {
		t.Errorf("secret unusable after rejected deletes: %v", err)
	}
}

func TestResourceNotFound(t *testing.T) {
	c, _ := newClient(t)
	id := aws.String("missing")
	calls := map[string]func() error{
		"GetSecretValue": func() error { _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: id}); return err },
		"PutSecretValue": func() error {
			_, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: id, SecretString: aws.String("x")})
			return err
		},
		"DescribeSecret": func() error { _, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: id}); return err },
		"RestoreSecret":  func() error { _, err := c.RestoreSecret(ctx, &sm.RestoreSecretInput{SecretId: id}); return err },
		"TagResource": func() error {
			_, err := c.TagResource(ctx, &sm.TagResourceInput{SecretId: id, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"UpdateSecret": func() error {
			_, err := c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: id, SecretString: aws.String("x")})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			var nf *types.ResourceNotFoundException
			if err := call(); !errors.As(err, &nf) || nf.ErrorMessage() != "Secrets Manager can't find the specified secret." {
				t.Errorf("got %v, want ResourceNotFoundException", err)
			}
		})
	}
}

func TestListSecretsFiltersAndTags(t *testing.T) {
	c, _ := newClient(t)
	for _, s := range []struct {
		name, desc string
		tags       map[string]string
	}{
		{"audio-pipeline/redis-endpoint", "Redis endpoint for prod", map[string]string{"Environment": "prod", "Project": "audio"}},
		{"audio-pipeline/dev/redis-endpoint", "Redis endpoint for dev", map[string]string{"Environment": "dev", "Project": "audio"}},
		{"other", "unrelated", nil},
	} {
		in := &sm.CreateSecretInput{Name: aws.String(s.name), Description: aws.String(s.desc), SecretString: aws.String("{}")}
		for k, v := range s.tags {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		if _, err := c.CreateSecret(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	f := func(key types.FilterNameStringType, values ...string) types.Filter {
		return types.Filter{Key: key, Values: values}
	}
	tests := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{"no filter", nil, []string{"audio-pipeline/dev/redis-endpoint", "audio-pipeline/redis-endpoint", "other"}},
		{"name prefix", []types.Filter{f(types.FilterNameStringTypeName, "audio-pipeline/")}, []string{"audio-pipeline/dev/redis-endpoint", "audio-pipeline/redis-endpoint"}},
		{"name is case-sensitive", []types.Filter{f(types.FilterNameStringTypeName, "Audio")}, nil},
		{"name negated", []types.Filter{f(types.FilterNameStringTypeName, "!audio")}, []string{"other"}},
		{"tag-key", []types.Filter{f(types.FilterNameStringTypeTagKey, "Environment")}, []string{"audio-pipeline/dev/redis-endpoint", "audio-pipeline/redis-endpoint"}},
		{"tag-value", []types.Filter{f(types.FilterNameStringTypeTagValue, "prod")}, []string{"audio-pipeline/redis-endpoint"}},
		{"values are ORed", []types.Filter{f(types.FilterNameStringTypeTagValue, "prod", "dev")}, []string{"audio-pipeline/dev/redis-endpoint", "audio-pipeline/redis-endpoint"}},
		{"filters are ANDed", []types.Filter{f(types.FilterNameStringTypeTagKey, "Project"), f(types.FilterNameStringTypeTagValue, "dev")}, []string{"audio-pipeline/dev/redis-endpoint"}},
		{"description ignores case", []types.Filter{f(types.FilterNameStringTypeDescription, "redis")}, []string{"audio-pipeline/dev/redis-endpoint", "audio-pipeline/redis-endpoint"}},
		{"all", []types.Filter{f(types.FilterNameStringTypeAll, "UNRELATED")}, []string{"other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.ListSecrets(ctx, &sm.ListSecretsInput{Filters: tt.filters})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range out.SecretList {
				got = append(got, aws.ToString(e.Name))
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// Pagination walks every secret exactly once.
	var names []string
	p := sm.NewListSecretsPaginator(c, &sm.ListSecretsInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range page.SecretList {
			names = append(names, aws.ToString(e.Name))
			if len(e.SecretVersionsToStages) != 1 {
				t.Errorf("%s: SecretVersionsToStages %v", aws.ToString(e.Name), e.SecretVersionsToStages)
			}
		}
	}
	if pages != 2 || len(names) != 3 {
		t.Errorf("paginated listing: %d pages, names %v; want 2 pages, 3 names", pages, names)
	}

	// Tags: add, overwrite, remove.
	if _, err := c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("other"), Tags: []types.Tag{
		{Key: aws.String("Owner"), Value: aws.String("a")}, {Key: aws.String("Team"), Value: aws.String("x")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("other"), Tags: []types.Tag{{Key: aws.String("Owner"), Value: aws.String("b")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &sm.UntagResourceInput{SecretId: aws.String("other"), TagKeys: []string{"Team"}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("other")})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Tags) != 1 || aws.ToString(d.Tags[0].Key) != "Owner" || aws.ToString(d.Tags[0].Value) != "b" {
		t.Errorf("tags after tag/retag/untag: %+v", d.Tags)
	}
	if aws.ToString(d.Description) != "unrelated" {
		t.Errorf("Description = %q", aws.ToString(d.Description))
	}
}

func TestUpdateSecret(t *testing.T) {
	c, _ := newClient(t)
	v1 := aws.ToString(mustCreate(t, c, "s", "one").VersionId)
	out, err := c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: aws.String("s"), SecretString: aws.String("two"), Description: aws.String("d")})
	if err != nil {
		t.Fatal(err)
	}
	v2 := aws.ToString(out.VersionId)
	if got, want := stagesOf(t, c, "s"), map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT"}}; !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("stages after UpdateSecret: %v, want %v", got, want)
	}
	out, err = c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: aws.String("s"), Description: aws.String("only description")})
	if err != nil || out.VersionId != nil {
		t.Errorf("UpdateSecret without value: VersionId %v, err %v; want none", out.VersionId, err)
	}
}

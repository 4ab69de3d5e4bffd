package secretsmanager_test

// Compatibility with clients other than the Go SDK: the AWS CLI, and moto as
// a second opinion on what the responses hold.

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/ecprov/ecprov/emulator/internal/awscli"
	"github.com/ecprov/ecprov/emulator/secretsmanager"
	"github.com/ecprov/ecprov/emulator/server"
)

func TestAWSCLI(t *testing.T) {
	awscli.Require(t)
	ts := httptest.NewServer(server.New(nil, secretsmanager.New(secretsmanager.Options{})))
	defer ts.Close()
	cli := func(args ...string) (map[string]any, string, int) { return awscli.Run(t, ts.URL, args...) }

	out, stderr, code := cli("secretsmanager", "create-secret", "--name", "audio-pipeline/dev/redis-endpoint",
		"--secret-string", `{"port":6379}`, "--description", "endpoint", "--tags", "Key=Environment,Value=dev")
	if code != 0 {
		t.Fatalf("create-secret: exit %d: %s", code, stderr)
	}
	arn, _ := out["ARN"].(string)
	if !regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:audio-pipeline/dev/redis-endpoint-[A-Za-z0-9]{6}$`).MatchString(arn) ||
		out["Name"] != "audio-pipeline/dev/redis-endpoint" || out["VersionId"] == nil {
		t.Fatalf("create-secret output: %v", out)
	}
	first := out["VersionId"].(string)

	out, stderr, code = cli("secretsmanager", "put-secret-value", "--secret-id", arn, "--secret-string", `{"port":6380}`)
	if code != 0 || fmt.Sprint(out["VersionStages"]) != "[AWSCURRENT]" {
		t.Fatalf("put-secret-value: exit %d %v %s", code, out, stderr)
	}

	out, _, code = cli("secretsmanager", "get-secret-value", "--secret-id", "audio-pipeline/dev/redis-endpoint", "--version-stage", "AWSPREVIOUS")
	if code != 0 || out["SecretString"] != `{"port":6379}` || out["VersionId"] != first {
		t.Errorf("get-secret-value AWSPREVIOUS: exit %d %v", code, out)
	}
	if _, ok := out["CreatedDate"].(float64); !ok {
		t.Errorf("CreatedDate %v (%T), want epoch seconds", out["CreatedDate"], out["CreatedDate"])
	}

	out, _, code = cli("secretsmanager", "describe-secret", "--secret-id", arn)
	stages, _ := out["VersionIdsToStages"].(map[string]any)
	if code != 0 || len(stages) != 2 || fmt.Sprint(stages[first]) != "[AWSPREVIOUS]" || out["Description"] != "endpoint" {
		t.Errorf("describe-secret: exit %d %v", code, out)
	}

	out, _, code = cli("secretsmanager", "list-secrets", "--filters", "Key=tag-value,Values=dev")
	if list, _ := out["SecretList"].([]any); code != 0 || len(list) != 1 {
		t.Errorf("list-secrets by tag value: exit %d %v", code, out)
	}

	out, _, code = cli("secretsmanager", "delete-secret", "--secret-id", arn, "--recovery-window-in-days", "7")
	if d, ok := out["DeletionDate"].(float64); code != 0 || !ok || time.Until(time.Unix(int64(d), 0)) < 6*24*time.Hour {
		t.Errorf("delete-secret: exit %d %v", code, out)
	}

	errTests := []struct {
		args []string
		want string
	}{
		{[]string{"secretsmanager", "get-secret-value", "--secret-id", arn},
			"An error occurred (InvalidRequestException) when calling the GetSecretValue operation: You can't perform this operation on the secret because it was marked for deletion."},
		{[]string{"secretsmanager", "get-secret-value", "--secret-id", "missing"},
			"An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret."},
	}
	for _, tt := range errTests {
		_, stderr, code := cli(tt.args...)
		if code == 0 || stderr != tt.want {
			t.Errorf("aws %s: exit %d\n got stderr %q\nwant %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
	}
}

// startMoto runs moto's server on a free port for the test, or skips.
func startMoto(t *testing.T) string {
	t.Helper()
	if err := exec.Command("python3", "-c", "import moto.server").Run(); err != nil {
		t.Skip("moto not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Skipf("starting moto: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url + "/moto-api/"); err == nil {
			resp.Body.Close()
			return url
		}
	}
	t.Skip("moto did not start within 20 s")
	return ""
}

// TestSecondOpinionMoto makes the same calls against moto and the emulator
// and compares what a client reads from the answers.
func TestSecondOpinionMoto(t *testing.T) {
	motoURL := startMoto(t)
	ts := httptest.NewServer(server.New(nil, secretsmanager.New(secretsmanager.Options{})))
	defer ts.Close()

	type observed struct {
		Name, VersionID1, VersionID2  string
		ARNOK                         bool
		PutStages, PreviousStages     []string
		PreviousValue                 string
		VersionIDsToStages            map[string][]string
		DeletedDateSet                bool
		ErrDeletedGet, ErrMissing     string
		ErrDuplicateCreate, ErrBadDel string
		RestoredValue                 string
	}
	const (
		name = "second/opinion"
		tok1 = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
		tok2 = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	)
	arnRE := regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:\d{12}:secret:second/opinion-[A-Za-z0-9]{6}$`)
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return fmt.Sprint(err)
	}
	run := func(endpoint string) observed {
		c := sm.New(sm.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
			BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1})
		var o observed
		created, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("one"), ClientRequestToken: aws.String(tok1)})
		if err != nil {
			t.Fatalf("%s: CreateSecret: %v", endpoint, err)
		}
		o.Name, o.VersionID1, o.ARNOK = aws.ToString(created.Name), aws.ToString(created.VersionId), arnRE.MatchString(aws.ToString(created.ARN))
		put, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String("two"), ClientRequestToken: aws.String(tok2)})
		if err != nil {
			t.Fatalf("%s: PutSecretValue: %v", endpoint, err)
		}
		o.VersionID2, o.PutStages = aws.ToString(put.VersionId), put.VersionStages
		prev, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: created.ARN, VersionStage: aws.String("AWSPREVIOUS")})
		if err != nil {
			t.Fatalf("%s: GetSecretValue: %v", endpoint, err)
		}
		o.PreviousValue, o.PreviousStages = aws.ToString(prev.SecretString), prev.VersionStages
		_, err = c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("x")})
		o.ErrDuplicateCreate = code(err)
		_, err = c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String(name), RecoveryWindowInDays: aws.Int64(3)})
		o.ErrBadDel = code(err)
		if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String(name), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
			t.Fatalf("%s: DeleteSecret: %v", endpoint, err)
		}
		d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String(name)})
		if err != nil {
			t.Fatalf("%s: DescribeSecret: %v", endpoint, err)
		}
		o.VersionIDsToStages, o.DeletedDateSet = d.VersionIdsToStages, d.DeletedDate != nil
		_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(name)})
		o.ErrDeletedGet = code(err)
		_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("missing")})
		o.ErrMissing = code(err)
		if _, err := c.RestoreSecret(ctx, &sm.RestoreSecretInput{SecretId: aws.String(name)}); err != nil {
			t.Fatalf("%s: RestoreSecret: %v", endpoint, err)
		}
		got, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(name)})
		if err != nil {
			t.Fatalf("%s: GetSecretValue after restore: %v", endpoint, err)
		}
		o.RestoredValue = aws.ToString(got.SecretString)
		return o
	}
	moto, ours := run(motoURL), run(ts.URL)

	fields := []struct {
		name      string
		moto, ems any
	}{
		{"Name", moto.Name, ours.Name},
		{"ARN shape", moto.ARNOK, ours.ARNOK},
		{"VersionId from CreateSecret", moto.VersionID1, ours.VersionID1},
		{"VersionId from PutSecretValue", moto.VersionID2, ours.VersionID2},
		{"PutSecretValue VersionStages", fmt.Sprint(moto.PutStages), fmt.Sprint(ours.PutStages)},
		{"AWSPREVIOUS value", moto.PreviousValue, ours.PreviousValue},
		{"AWSPREVIOUS VersionStages", fmt.Sprint(moto.PreviousStages), fmt.Sprint(ours.PreviousStages)},
		{"VersionIdsToStages", fmt.Sprint(sortedStages(moto.VersionIDsToStages)), fmt.Sprint(sortedStages(ours.VersionIDsToStages))},
		{"DeletedDate set", moto.DeletedDateSet, ours.DeletedDateSet},
		{"error: duplicate CreateSecret", moto.ErrDuplicateCreate, ours.ErrDuplicateCreate},
		{"error: 3-day recovery window", moto.ErrBadDel, ours.ErrBadDel},
		{"error: GetSecretValue on deleted", moto.ErrDeletedGet, ours.ErrDeletedGet},
		{"error: unknown secret", moto.ErrMissing, ours.ErrMissing},
		{"value after restore", moto.RestoredValue, ours.RestoredValue},
	}
	for _, f := range fields {
		if f.moto != f.ems {
			t.Errorf("%s: moto %v, emulator %v", f.name, f.moto, f.ems)
		}
	}
	if !ours.ARNOK || ours.VersionID1 != tok1 {
		t.Errorf("emulator answers are off on their own: %+v", ours)
	}
}

func sortedStages(m map[string][]string) []string {
	var out []string
	for id, stages := range m {
		s := slices.Clone(stages)
		slices.Sort(s)
		out = append(out, id+"="+strings.Join(s, ","))
	}
	slices.Sort(out)
	return out
}

package secretsmanager_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

// errorCode is the AWS error code of err, "" for none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func tags(n int) []types.Tag {
	out := make([]types.Tag, n)
	for i := range out {
		out[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")}
	}
	return out
}

// TestLimits: the limits the adversarial probe found unenforced (issue
// 15), through the real SDK, each just past AWS's bound and at it.
func TestLimits(t *testing.T) {
	c, _ := newClient(t)
	euro := strings.Repeat("€", 21846) // 21,846 characters, 65,538 bytes
	tests := []struct {
		name string
		call func() error
		want string // error code; "" for success
	}{
		// botocore secretsmanager 2017-10-17 SecretStringType: max 65536.
		{"SecretString 65,537 bytes", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("big"), SecretString: aws.String(strings.Repeat("x", 65537))})
			return err
		}, "ValidationException"},
		{"SecretString 65,536 bytes", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("at-limit"), SecretString: aws.String(strings.Repeat("x", 65536))})
			return err
		}, ""},
		// Secrets Manager quotas: "Secret value size: 65,536 bytes".
		{"SecretString under 65,536 characters but over 65,536 bytes", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("euro"), SecretString: aws.String(euro)})
			return err
		}, "ValidationException"},
		{"PutSecretValue 65,537 bytes", func() error {
			_, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("at-limit"), SecretString: aws.String(strings.Repeat("x", 65537))})
			return err
		}, "ValidationException"},
		// botocore SecretBinaryType: max 65536.
		{"SecretBinary 65,537 bytes", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("bin"), SecretBinary: make([]byte, 65537)})
			return err
		}, "ValidationException"},
		// botocore DescriptionType: max 2048.
		{"Description 2,049 characters", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("desc"), Description: aws.String(strings.Repeat("d", 2049))})
			return err
		}, "ValidationException"},
		{"UpdateSecret Description 2,049 characters", func() error {
			_, err := c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: aws.String("at-limit"), Description: aws.String(strings.Repeat("d", 2049))})
			return err
		}, "ValidationException"},
		{"Description 2,048 characters", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("desc"), Description: aws.String(strings.Repeat("d", 2048))})
			return err
		}, ""},
		// "Maximum number of tags per secret: 50" (TagResource).
		{"51 tags", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("tags51"), Tags: tags(51)})
			return err
		}, "InvalidParameterException"},
		{"50 tags", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("tags50"), Tags: tags(50)})
			return err
		}, ""},
		{"a 51st tag", func() error {
			_, err := c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("tags50"), Tags: []types.Tag{{Key: aws.String("one-more"), Value: aws.String("v")}}})
			return err
		}, "InvalidParameterException"},
		{"retagging a key of the 50", func() error {
			_, err := c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("tags50"), Tags: []types.Tag{{Key: aws.String("k07"), Value: aws.String("new")}}})
			return err
		}, ""},
		// botocore TagKeyType: max 128.
		{"tag key 129 characters", func() error {
			_, err := c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("desc"), Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}})
			return err
		}, "ValidationException"},
		// botocore MaxResultsType: 1 to 100.
		{"MaxResults 0", func() error {
			_, err := c.ListSecrets(ctx, &sm.ListSecretsInput{MaxResults: aws.Int32(0)})
			return err
		}, "ValidationException"},
		{"MaxResults 101", func() error {
			_, err := c.ListSecrets(ctx, &sm.ListSecretsInput{MaxResults: aws.Int32(101)})
			return err
		}, "ValidationException"},
		{"ListSecretVersionIds MaxResults 101", func() error {
			_, err := c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("at-limit"), MaxResults: aws.Int32(101)})
			return err
		}, "ValidationException"},
		{"MaxResults 100", func() error {
			_, err := c.ListSecrets(ctx, &sm.ListSecretsInput{MaxResults: aws.Int32(100)})
			return err
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorCode(tc.call()); got != tc.want {
				t.Errorf("error code %q, want %q", got, tc.want)
			}
		})
	}
	d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("tags50")})
	if err != nil || len(d.Tags) != 50 {
		t.Errorf("after a refused 51st tag the secret has %d tags (%v), want the 50 it had", len(d.Tags), err)
	}
}

// TestNextTokenOverflow: a NextToken whose offset is near 2^63 used to
// overflow the page arithmetic and come back as a token of a negative
// offset; it is an invalid token, as any token the service did not hand
// out.
func TestNextTokenOverflow(t *testing.T) {
	c, _ := newClient(t)
	for i := range 3 {
		mustCreate(t, c, fmt.Sprintf("s%d", i), "v")
	}
	page, err := c.ListSecrets(ctx, &sm.ListSecretsInput{MaxResults: aws.Int32(2)})
	if err != nil || len(page.SecretList) != 2 || page.NextToken == nil {
		t.Fatalf("first page: %v %v", page, err)
	}
	rest, err := c.ListSecrets(ctx, &sm.ListSecretsInput{MaxResults: aws.Int32(2), NextToken: page.NextToken})
	if err != nil || len(rest.SecretList) != 1 || rest.NextToken != nil {
		t.Fatalf("second page: %v %v", rest, err)
	}
	for _, offset := range []string{"9223372036854775800", "9223372036854775807", "9223372036854775808", "-1", "4"} {
		tok := base64.RawURLEncoding.EncodeToString([]byte("offset:" + offset))
		_, err := c.ListSecrets(ctx, &sm.ListSecretsInput{MaxResults: aws.Int32(100), NextToken: aws.String(tok)})
		var inv *types.InvalidNextTokenException
		if !errors.As(err, &inv) {
			t.Errorf("ListSecrets NextToken of offset %s: %v, want InvalidNextTokenException", offset, err)
		}
		_, err = c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("s0"), NextToken: aws.String(tok)})
		if !errors.As(err, &inv) {
			t.Errorf("ListSecretVersionIds NextToken of offset %s: %v, want InvalidNextTokenException", offset, err)
		}
	}
}

package sns_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/emulator/sns"
)

func snsTags(n int) []types.Tag {
	out := make([]types.Tag, n)
	for i := range out {
		out[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")}
	}
	return out
}

// TestTagLimits: at most 50 tags on a topic (TagLimitExceededException,
// "Can't add more than 50 tags to a topic") and tag keys of at most 128
// characters (botocore sns 2010-03-31 TagKey), through the real SDK.
func TestTagLimits(t *testing.T) {
	c, _, _, _ := newEmulator(t)
	_, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("t51"), Tags: snsTags(51)})
	apiError(t, err, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	topic, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("t50"), Tags: snsTags(50)})
	if err != nil {
		t.Fatalf("CreateTopic with 50 tags: %v", err)
	}
	_, err = c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: topic.TopicArn,
		Tags: []types.Tag{{Key: aws.String("one-more"), Value: aws.String("v")}}})
	apiError(t, err, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	if _, err := c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: topic.TopicArn,
		Tags: []types.Tag{{Key: aws.String("k03"), Value: aws.String("new")}}}); err != nil {
		t.Errorf("retagging one of the 50: %v", err)
	}
	got, err := c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: topic.TopicArn})
	if err != nil || len(got.Tags) != 50 {
		t.Errorf("the topic has %d tags (%v), want the 50 it had", len(got.Tags), err)
	}

	long := strings.Repeat("k", 129)
	_, err = c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: topic.TopicArn,
		Tags: []types.Tag{{Key: aws.String(long), Value: aws.String("v")}}})
	apiError(t, err, "ValidationError", "1 validation error detected: Value '"+long+
		"' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128")
	_, err = c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("long-key"),
		Tags: []types.Tag{{Key: aws.String(long), Value: aws.String("v")}}})
	apiError(t, err, "ValidationError", "1 validation error detected: Value '"+long+
		"' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128")
	if _, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("key-128"),
		Tags: []types.Tag{{Key: aws.String(long[:128]), Value: aws.String("v")}}}); err != nil {
		t.Errorf("a 128-character key: %v", err)
	}
}

// TestMissingAction: a request without Action gets the Query protocol's
// MissingAction error, HTTP 400 ("Common Errors", Amazon SNS API
// Reference), in SNS's XML error shape.
func TestMissingAction(t *testing.T) {
	svc := sns.New(sns.Options{})
	defer svc.Close()
	ts := httptest.NewServer(server.New(nil, svc))
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader("Version=2010-03-31&Name=t"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", server.DummyAuthorization("sns"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	id := resp.Header.Get("x-amzn-RequestId")
	want := `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>MissingAction</Code>` +
		`<Message>The request must contain the parameter Action.</Message></Error><RequestId>` + id + `</RequestId></ErrorResponse>`
	if resp.StatusCode != http.StatusBadRequest || string(body) != want || id == "" {
		t.Errorf("got %d %s\nwant 400 %s", resp.StatusCode, body, want)
	}
}

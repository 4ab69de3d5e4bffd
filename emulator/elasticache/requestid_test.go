package elasticache_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/emulator/elasticache"
	"github.com/ecprov/ecprov/emulator/server"
)

// TestOneRequestID: a response names one request id, the router's: the
// RequestId in the body is the x-amzn-RequestId (and x-amz-request-id)
// header, on success and on error, as AWS answers.
func TestOneRequestID(t *testing.T) {
	svc, err := elasticache.New(elasticache.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ts := httptest.NewServer(server.New(nil, svc))
	defer ts.Close()
	for _, params := range []url.Values{
		{"Action": {"DescribeReplicationGroups"}},                                 // success
		{"Action": {"DescribeReplicationGroups"}, "ReplicationGroupId": {"nope"}}, // the service's error
		{"Action": {"CreateReplicationGroup"}, "Port": {"0"}},                     // a validation error
		{"Action": {"TestFailover"}, "NodeGroupId": {"x"}},                        // the model's error
		{}, // MissingAction
	} {
		params.Set("Version", "2015-02-02")
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", server.DummyAuthorization("elasticache"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var ids struct {
			Result string `xml:"ResponseMetadata>RequestId"`
			Error  string `xml:"RequestId"`
		}
		if err := xml.Unmarshal(body, &ids); err != nil {
			t.Fatalf("%v: %v\n%s", params, err, body)
		}
		inBody := ids.Result + ids.Error
		header, amz := resp.Header.Get("x-amzn-RequestId"), resp.Header.Get("x-amz-request-id")
		if inBody == "" || inBody != header || header != amz {
			t.Errorf("%v (%d): RequestId %q in the body, x-amzn-RequestId %q, x-amz-request-id %q; want one id\n%s",
				params, resp.StatusCode, inBody, header, amz, body)
		}
	}
}

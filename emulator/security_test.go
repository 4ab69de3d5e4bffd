package emulator_test

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec "github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/ecprov/ecprov/emulator"
	emec2 "github.com/ecprov/ecprov/emulator/ec2"
)

// TestWebPagesCannotDriveTheEmulator replays, against a real replication
// group, the probes that deleted it: a cross-site GET (what an <img> sends),
// a cross-site form POST, a request whose Host is a rebound DNS name, and a
// text/plain POST to the fault endpoint. Each is refused, and the group and
// the fault list are untouched.
func TestWebPagesCannotDriveTheEmulator(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not on PATH")
	}
	e := start(t, emulator.Options{})
	c := newClients(e.Env())
	if _, err := c.ec.CreateCacheSubnetGroup(ctx, &ec.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("ecprov-sec"), CacheSubnetGroupDescription: aws.String("test"),
		SubnetIds: []string{emec2.SubnetA1, emec2.SubnetB1},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ec.CreateReplicationGroup(ctx, &ec.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String("victim"), ReplicationGroupDescription: aws.String("security test"),
		Engine: aws.String("redis"), EngineVersion: aws.String("7.0"), CacheNodeType: aws.String("cache.t4g.micro"),
		NumCacheClusters: aws.Int32(1), CacheSubnetGroupName: aws.String("ecprov-sec"),
		SecurityGroupIds: []string{emec2.SecurityGroupRedis},
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "replication group available", func() bool {
		out, err := c.ec.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("victim")})
		return err == nil && aws.ToString(out.ReplicationGroups[0].Status) == "available"
	})

	url := e.URL()
	const del = "Action=DeleteReplicationGroup&ReplicationGroupId=victim&Version=2015-02-02"
	probes := []struct {
		name, method, path, contentType, body string
		header                                map[string]string
		want                                  int
	}{
		{"cross-site GET", http.MethodGet, "/?" + del, "", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"GET with no browser headers at all", http.MethodGet, "/?" + del, "", "", nil, http.StatusForbidden},
		{"cross-site form POST", http.MethodPost, "/", "application/x-www-form-urlencoded", del, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"rebound DNS name", http.MethodPost, "/", "application/x-www-form-urlencoded", del, map[string]string{"Host": "evil.example:4566"}, http.StatusForbidden},
		{"text/plain POST to the faults", http.MethodPost, "/_emulator/faults", "text/plain", `{"status":500}`, nil, http.StatusUnsupportedMediaType},
	}
	for _, p := range probes {
		req, _ := http.NewRequest(p.method, url+p.path, strings.NewReader(p.body))
		if p.contentType != "" {
			req.Header.Set("Content-Type", p.contentType)
		}
		for k, v := range p.header {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != p.want {
			t.Errorf("%s: %d %s; want %d", p.name, resp.StatusCode, b, p.want)
		}
	}

	out, err := c.ec.DescribeReplicationGroups(ctx, &ec.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("victim")})
	if err != nil || aws.ToString(out.ReplicationGroups[0].Status) != "available" {
		t.Fatalf("the group did not survive the probes: %v %v", out, err)
	}
	if faults := e.Router().Faults().List(); len(faults) != 0 {
		t.Fatalf("a probe added faults: %+v", faults)
	}
}

package ec2

import (
	"net/http/httptest"
	"testing"

	"github.com/ecprov/ecprov/emulator/internal/modelprobe"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel/botocore"
)

// TestAPIModel keeps the embedded model equal to the AWS CLI's, for the
// actions served.
func TestAPIModel(t *testing.T) {
	botocore.CheckEmbedded(t, "ec2", apiModel, "apimodel.json", New("us-east-1").OperationNames())
}

var probeFilters = []any{map[string]any{"Name": "vpc-id", "Values": []any{"vpc-1"}}}

// TestModelConstraints breaks every constraint the AWS CLI's model states
// on the actions served (MaxResults 5 to 1000), and expects EC2's answer:
// InvalidParameterValue.
func TestModelConstraints(t *testing.T) {
	m := botocore.Require(t, "ec2", "2016-11-15")
	ts := httptest.NewServer(server.New(nil, New("us-east-1")))
	defer ts.Close()
	tg := modelprobe.Target{Endpoint: ts.URL, SigningName: "ec2", Protocol: modelprobe.EC2, APIVersion: "2016-11-15"}
	n := modelprobe.Probe(t, tg, m, "InvalidParameterValue",
		modelprobe.Case{Operation: "DescribeVpcs", Request: map[string]any{"Filters": probeFilters, "MaxResults": 5}},
		modelprobe.Case{Operation: "DescribeSubnets", Request: map[string]any{"Filters": probeFilters, "MaxResults": 1000}},
		modelprobe.Case{Operation: "DescribeSecurityGroups", Request: map[string]any{"Filters": probeFilters, "MaxResults": 10}},
	)
	if n != 6 {
		t.Errorf("%d constraints probed, want MaxResults's two bounds on each of 3 actions", n)
	}
}

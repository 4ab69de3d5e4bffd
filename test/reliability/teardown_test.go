package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecprov/ecprov/internal/failure"
)

// A provision that fails for good half-way (a permission missing: AWS
// answers AccessDenied, which is not retried), then a teardown: nothing is
// left, whatever the failed run had made. The failure is named AWSError,
// carries AWS's code, and is announced on the bus.
func TestTeardownAfterPartialFailure(t *testing.T) {
	t.Parallel()
	l := takeLane(t)
	cases := []struct {
		name string
		op   op
		// made is what the failed run must have left, so that the teardown
		// has something to clean.
		made func(inv inventory) bool
	}{
		{"at-alarms", op{"monitoring", "PutMetricAlarm"}, func(inv inventory) bool {
			return inv.Group != nil && inv.Secret != nil && len(inv.AlarmNames) == 0
		}},
		{"at-secret", op{"secretsmanager", "CreateSecret"}, func(inv inventory) bool {
			return inv.Group != nil && inv.Secret == nil
		}},
		{"at-group", op{"elasticache", "CreateReplicationGroup"}, func(inv inventory) bool {
			return inv.ParameterGroup != nil && inv.SubnetGroup != nil && inv.Group == nil
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, raw := profileFor(t, fmt.Sprintf("rel-partial%d", i), nil)
			l.addFault(t, fault{Service: c.op.service, Operation: c.op.name, Status: 400, Code: "AccessDenied",
				Message: "User: arn:aws:sts::000000000000:assumed-role/ecprov is not authorized to perform: " + c.op.name})
			r := l.start(t, "provision", p, raw)
			l.clearFaults(t)
			if r.Status != "FAILED" || r.Error != failure.AWSError || !strings.Contains(r.Cause, "AccessDenied") {
				t.Fatalf("provision with %s denied: %s", c.op.name, r)
			}
			if inv := l.inspect(t, p); !c.made(inv) {
				t.Fatalf("the failed run did not leave the partial state the case is about: group %v, secret %v, alarms %v, parameter group %v",
					inv.Group != nil, inv.Secret != nil, inv.AlarmNames, inv.ParameterGroup != nil)
			}
			waitFor(t, "a Provisioning Failed event for the run", 10*time.Second, func() bool {
				for _, e := range l.emu.EventBridge().Events("ecprov") {
					s := string(e.JSON)
					if e.DetailType == "Provisioning Failed" && strings.Contains(s, r.arn) && strings.Contains(s, `"AWSError"`) {
						return true
					}
				}
				return false
			})

			l.mustSucceed(t, "teardown", p, raw)
			if left := l.inspect(t, p).leftovers(); len(left) > 0 {
				t.Errorf("left behind after the teardown: %v", left)
			}
		})
	}
}

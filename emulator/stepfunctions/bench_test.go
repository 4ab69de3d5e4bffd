package stepfunctions_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// BenchmarkExecution: a 5-state execution (Task, Wait of 10 s at scale
// 0.01, Task, Choice, Succeed) from StartExecution to SUCCEEDED, through
// the real SDK; the Lambda instance is warm after the first iteration.
func BenchmarkExecution(b *testing.B) {
	e := newEnv(b, 0.01)
	machine := e.createMachine(b, "bench", `{
	  "StartAt": "First",
	  "States": {
	    "First": {"Type": "Task", "Resource": "${FnArn}", "Parameters": {"mode": "increment", "count.$": "$.n"}, "ResultPath": "$.n", "Next": "Pause"},
	    "Pause": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Second"},
	    "Second": {"Type": "Task", "Resource": "${FnArn}", "Parameters": {"mode": "increment", "count.$": "$.n"}, "ResultPath": "$.n", "Next": "Check"},
	    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 2, "Next": "Done"}]},
	    "Done": {"Type": "Succeed"}
	  }
	}`)
	i := 0
	for b.Loop() {
		i++
		out := e.wait(b, e.start(b, machine, fmt.Sprintf("run-%d", i), `{"n": 0, "wait": 10}`))
		if out.Status != types.ExecutionStatusSucceeded {
			b.Fatalf("status %s", out.Status)
		}
	}
}

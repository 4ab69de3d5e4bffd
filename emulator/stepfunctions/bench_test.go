package stepfunctions_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// BenchmarkLoopToHistoryLimit: a Pass/Choice loop (spin) from StartExecution
// to its failure at 25,000 history events, with a 3-state execution
// (quickMachine: Task, a 10 s Wait at scale 0.01, Task) started beside it
// once the loop spins. Reports how long the one beside took, and the
// runner process's CPU time per loop and its RSS at the end (Linux /proc).
func BenchmarkLoopToHistoryLimit(b *testing.B) {
	e := newEnv(b, 0.01)
	loop := e.createMachine(b, "spin", spin)
	quick := e.createMachine(b, "quick", quickMachine)
	e.wait(b, e.start(b, quick, "warm", `{"n": 0}`))
	pid := runnerPID(b, e)
	cpu0 := procCPU(b, pid)
	var beside time.Duration
	i := 0
	for b.Loop() {
		i++
		arn := e.start(b, loop, fmt.Sprintf("spin-%d", i), `{"stop": false}`)
		e.waitFor(b, "the loop to pass 1,000 events", func() bool { return e.lastEventID(b, arn) > 1000 })
		start := time.Now()
		if out := e.wait(b, e.start(b, quick, fmt.Sprintf("beside-%d", i), `{"n": 0}`)); out.Status != types.ExecutionStatusSucceeded {
			b.Fatalf("beside the loop: %s", out.Status)
		}
		beside += time.Since(start)
		if out := e.wait(b, arn); out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.Runtime" {
			b.Fatalf("loop: %s %s", out.Status, aws.ToString(out.Error))
		}
	}
	b.ReportMetric(float64(beside.Milliseconds())/float64(i), "beside-ms/op")
	b.ReportMetric((procCPU(b, pid)-cpu0).Seconds()/float64(i), "runner-cpu-s/op")
	b.ReportMetric(procRSSMB(b, pid), "runner-rss-MB")
}

// runnerPID is the process id of the env's runner.
func runnerPID(t testing.TB, e *env) int {
	t.Helper()
	procs := processesRunning(filepath.Join(e.data, "stepfunctions", "runner.mjs"))
	if len(procs) != 1 {
		t.Fatalf("want one runner, got %v", procs)
	}
	pid, _ := strconv.Atoi(strings.SplitN(procs[0], ":", 2)[0])
	return pid
}

// procCPU is the CPU time (user and system) a process has used.
func procCPU(t testing.TB, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command, which is in parentheses: utime and stime
	// are the 12th and 13th, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// procRSSMB is a process's resident set size in MB.
func procRSSMB(t testing.TB, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	t.Fatal("no VmRSS in /proc/status")
	return 0
}

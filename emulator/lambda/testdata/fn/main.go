// Command fn is the bootstrap the lambda package tests invoke. Its input
// picks what it does.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

type input struct {
	Mode    string   `json:"mode"`
	SleepMs int      `json:"sleepMs"`
	Env     []string `json:"env"`
	Path    string   `json:"path"`
	Secret  string   `json:"secret"`
}

type output struct {
	PID   int               `json:"pid"`
	Child int               `json:"child,omitempty"`
	Env   map[string]string `json:"env,omitempty"`
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	log.Info("init")
	if os.Getenv("EXIT_AT_INIT") != "" {
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, in input) (any, error) {
		log.Info("invoke", "mode", in.Mode)
		switch in.Mode {
		case "named-error":
			return nil, messages.InvokeResponse_Error{Type: "RetryableAWSError", Message: "throttled by a fake"}
		case "plain-error":
			return nil, errors.New("plain failure")
		case "looks-like-error":
			// A result, not an error, though it has an error's shape.
			return map[string]string{"errorType": "Fake", "errorMessage": "not an error"}, nil
		case "panic":
			panic("boom")
		case "exit":
			os.Exit(3)
		case "sleep":
			time.Sleep(time.Duration(in.SleepMs) * time.Millisecond)
		case "touch":
			if err := os.WriteFile(in.Path, []byte("done"), 0o644); err != nil {
				return nil, err
			}
		}
		out := output{PID: os.Getpid(), Env: map[string]string{}}
		if in.Mode == "spawn" || in.Mode == "spawn-sleep" {
			// A child in a session of its own, as a daemonising helper
			// would be: out of reach of the RIE's process-group kill.
			child := exec.Command("sleep", "600")
			child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			if err := child.Start(); err != nil {
				return nil, err
			}
			out.Child = child.Process.Pid
			if in.Mode == "spawn-sleep" { // a time-out hides the result: the pid goes to a file
				if err := os.WriteFile(in.Path, []byte(strconv.Itoa(out.Child)), 0o644); err != nil {
					return nil, err
				}
				time.Sleep(time.Duration(in.SleepMs) * time.Millisecond)
			}
		}
		for _, k := range in.Env {
			out.Env[k] = os.Getenv(k)
		}
		return out, nil
	})
}

// Command fn is the Lambda function the stepfunctions tests' state
// machines call. Its input picks what it does.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

type input struct {
	Mode     string `json:"mode"`
	Count    int    `json:"count"`
	Key      string `json:"key"`
	Failures int    `json:"failures"`
}

func main() {
	lambda.Start(func(ctx context.Context, in input) (any, error) {
		switch in.Mode {
		case "increment":
			return in.Count + 1, nil
		case "flaky":
			// Fails the first Failures calls for a key, counted in a file so
			// that it holds across instances.
			path := filepath.Join(os.Getenv("COUNTER_DIR"), in.Key)
			b, _ := os.ReadFile(path)
			n, _ := strconv.Atoi(string(b))
			if err := os.WriteFile(path, []byte(strconv.Itoa(n+1)), 0o644); err != nil {
				return nil, err
			}
			if n < in.Failures {
				return nil, messages.InvokeResponse_Error{Type: "RetryableAWSError", Message: fmt.Sprintf("call %d fails", n+1)}
			}
			return map[string]int{"calls": n + 1}, nil
		}
		return nil, messages.InvokeResponse_Error{Type: "UnknownMode", Message: "unknown mode " + in.Mode}
	})
}

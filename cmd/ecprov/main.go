// Command ecprov provisions and keeps healthy one ElastiCache Redis
// replication group per environment. See README.md for every command.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit statuses: 2 is bad input (a profile or a flag), 1 anything else.
const (
	exitOK       = 0
	exitFailure  = 1
	exitBadInput = 2
)

const usage = `ecprov: provision and keep healthy an ElastiCache Redis replication group per environment

Usage:
  ecprov validate  --env ENV | --profile FILE [--output text|json]
  ecprov provision --env ENV [--region R] [--endpoint-url URL] [--output text|json]
  ecprov status    --env ENV
  ecprov failover  --env ENV [--wait 5m]
  ecprov teardown  --env ENV
  ecprov local up [--port 4566] [--data-dir .ecprov/local] [--create-delay 0s]

Profiles are read from environments/ENV.json (override the folder with
--profiles-dir or ECPROV_PROFILES_DIR).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadInput
	}
	switch args[0] {
	case "validate":
		return validateCmd(args[1:], stdout, stderr)
	case "provision":
		return runStateMachine(args[1:], stdout, stderr, "provision", "provision")
	case "teardown":
		return runStateMachine(args[1:], stdout, stderr, "teardown", "teardown")
	case "status":
		return statusCmd(args[1:], stdout, stderr)
	case "failover":
		return failoverCmd(args[1:], stdout, stderr)
	case "local":
		return localCmd(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "ecprov: unknown command %q\n\n%s", args[0], usage)
	return exitBadInput
}

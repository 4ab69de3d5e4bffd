// Command infra is the CDK app that deploys ecprov's orchestration: run it
// through the CDK CLI (scripts/cdk.sh, `make synth`, `make deploy`). What it
// deploys comes from internal/orchestration, statemachine/ and dist/.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		jsii.Close()
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	root, err := FindRoot(".")
	if err != nil {
		return err
	}
	cfg, err := ConfigFromContext(app, root)
	if err != nil {
		return err
	}
	// No Env: the template is environment-agnostic and deploys to the
	// account and region of the credentials `cdk deploy` runs with.
	if _, err := NewStack(app, cfg, nil); err != nil {
		return err
	}
	AddChecks(app)
	app.Synth(nil)
	return nil
}

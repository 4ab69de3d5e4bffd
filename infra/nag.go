package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ecprov/ecprov/internal/orchestration"
)

// AddChecks runs the cdk-nag AwsSolutions pack on every stack of app: a
// finding that is not suppressed is an error, and `cdk synth` fails on it.
func AddChecks(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppression is one accepted cdk-nag finding and why it is accepted.
// appliesTo narrows it to those findings (e.g. one resource pattern).
type suppression struct {
	id, reason string
	appliesTo  []string
}

func suppress(c constructs.IConstruct, children bool, ss ...suppression) {
	out := make([]*cdknag.NagPackSuppression, 0, len(ss))
	for _, s := range ss {
		n := &cdknag.NagPackSuppression{Id: jsii.String(s.id), Reason: jsii.String(s.reason)}
		if len(s.appliesTo) > 0 {
			at := make([]interface{}, len(s.appliesTo))
			for i, a := range s.appliesTo {
				at[i] = a
			}
			n.AppliesTo = &at
		}
		out = append(out, n)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &out, jsii.Bool(children))
}

// suppressWildcards accepts IAM5 for exactly the resource patterns of a
// function's policy (as cdk-nag prints them): the trailing "*" is the
// project prefix scope (or a service that cannot scope further), not a
// grant on everything.
func suppressWildcards(role constructs.IConstruct, policy []orchestration.Statement) {
	patterns := wildcardResources(policy)
	if len(patterns) == 0 {
		return
	}
	appliesTo := make([]string, len(patterns))
	for i, p := range patterns {
		appliesTo[i] = "Resource::" + p
	}
	suppress(role, true, suppression{"AwsSolutions-IAM5",
		"Resources are scoped by name to the project's prefix (<project>-*, <project>/*, ecprov/<project>-*/*); read-only List/Describe actions that AWS authorizes only on * are marked in internal/orchestration/permissions.go",
		appliesTo})
}

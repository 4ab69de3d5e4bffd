// Command profiles saves and resolves the copies of provisioned profiles that
// reconcile runs converge to.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ecprov/ecprov/internal/awsclient"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/profilestore"
)

func main() {
	log := logging.New(os.Stdout)
	cfg, err := awsclient.Load(context.Background())
	if err != nil {
		log.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	h := &profilestore.Handler{Secrets: secretsmanager.NewFromConfig(cfg), Log: log}
	lambda.Start(failure.Handler(h.Handle))
}

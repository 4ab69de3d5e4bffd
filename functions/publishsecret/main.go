// Command publishsecret writes the group's endpoint document to Secrets
// Manager, as a new version only when the content changed.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ecprov/ecprov/internal/awsclient"
	"github.com/ecprov/ecprov/internal/endpointsecret"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
)

func main() {
	log := logging.New(os.Stdout)
	cfg, err := awsclient.Load(context.Background())
	if err != nil {
		log.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	h := &endpointsecret.Handler{ElastiCache: elasticache.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg), Log: log}
	lambda.Start(failure.Handler(h.Handle))
}

// Command teardown deletes one kind of resource per call: the alarms, the
// replication group (with a final snapshot), the parameter and subnet groups,
// or the secret (scheduled for deletion with the profile's recovery window).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/awsclient"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/profilestore"
	"github.com/ecprov/ecprov/internal/teardown"
)

func main() {
	log := logging.New(os.Stdout)
	cfg, err := awsclient.Load(context.Background())
	if err != nil {
		log.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	ec := elasticache.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	h := &teardown.Handler{
		ElastiCache: ec,
		Alarms:      &alarms.Handler{ElastiCache: ec, CloudWatch: cloudwatch.NewFromConfig(cfg), Log: log},
		Secrets:     sm,
		Profiles:    &profilestore.Handler{Secrets: sm, Log: log},
		Log:         log,
	}
	lambda.Start(failure.Handler(h.Handle))
}

// Command failoverrelay turns ElastiCache's SNS notices into events on the
// project's bus (ECPROV_EVENT_BUS), where a rule starts the reconcile.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/ecprov/ecprov/internal/awsclient"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/relay"
)

func main() {
	log := logging.New(os.Stdout)
	cfg, err := awsclient.Load(context.Background())
	if err != nil {
		log.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	h := &relay.Handler{Bus: awsclient.EventBus(), Events: eventbridge.NewFromConfig(cfg), Log: log}
	lambda.Start(failure.Handler(h.Handle))
}

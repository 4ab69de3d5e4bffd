// Command waitready is the polling Lambda: one DescribeReplicationGroups call
// and the seconds until the next one. The state machine does the waiting.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/ecprov/ecprov/internal/awsclient"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/readiness"
)

func main() {
	log := logging.New(os.Stdout)
	cfg, err := awsclient.Load(context.Background())
	if err != nil {
		log.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	h := &readiness.Handler{ElastiCache: elasticache.NewFromConfig(cfg), Log: log}
	lambda.Start(failure.Handler(h.Handle))
}

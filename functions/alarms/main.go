// Command alarms upserts the CloudWatch alarms of each member node and
// deletes those of nodes that left the group.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/awsclient"
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
	h := &alarms.Handler{ElastiCache: elasticache.NewFromConfig(cfg), CloudWatch: cloudwatch.NewFromConfig(cfg), Log: log}
	lambda.Start(failure.Handler(h.Handle))
}

// Command createcluster is the provisioning Lambda: validate the profile, run
// the network pre-flight, ensure the parameter, subnet and replication groups.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/ecprov/ecprov/internal/awsclient"
	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

func main() {
	log := logging.New(os.Stdout)
	cfg, err := awsclient.Load(context.Background())
	if err != nil {
		log.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	h := &replicationgroup.Handler{EC2: ec2.NewFromConfig(cfg), ElastiCache: elasticache.NewFromConfig(cfg), Log: log}
	lambda.Start(failure.Handler(h.Handle))
}

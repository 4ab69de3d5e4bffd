// Package replicationgroup is the ElastiCache replication group ecprov
// manages, with its parameter and subnet groups, and the createcluster
// function (Handler) that converges them to an environment profile.
//
// It keeps three values apart: what should be (Desired, from the profile),
// what is (Observe, from Describe calls) and what to change (Diff, a Delta).
// The replication group's settings are one table, managedSettings
// (settings.go); the parameter group, the subnet group and tags follow the
// same desired, observed, delta shape (parametergroup.go, subnetgroup.go,
// tags.go). Reads use terraform-provider-aws's vocabulary: FindByID is one
// read with a typed not-found error.
package replicationgroup

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecprov/ecprov/internal/failure"
)

// Replication group statuses, as ElastiCache reports them.
const (
	StatusCreating     = "creating"
	StatusAvailable    = "available"
	StatusModifying    = "modifying"
	StatusDeleting     = "deleting"
	StatusCreateFailed = "create-failed"
	StatusSnapshotting = "snapshotting"
)

// GroupReader reads replication groups and their member clusters.
type GroupReader interface {
	DescribeReplicationGroups(ctx context.Context, in *elasticache.DescribeReplicationGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeReplicationGroupsOutput, error)
	DescribeCacheClusters(ctx context.Context, in *elasticache.DescribeCacheClustersInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeCacheClustersOutput, error)
}

// FindByID reads one replication group (terraform-provider-aws calls it
// findReplicationGroupByID). A missing group is a NotFound error; other
// errors are classified.
func FindByID(ctx context.Context, api GroupReader, id string) (*types.ReplicationGroup, error) {
	out, err := api.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
	if err != nil {
		if IsNotFound(err) {
			return nil, failure.New(failure.NotFound, "replication group %s does not exist", id)
		}
		return nil, failure.AWS(err, "describe replication group "+id)
	}
	if len(out.ReplicationGroups) == 0 {
		return nil, failure.New(failure.NotFound, "replication group %s does not exist", id)
	}
	return &out.ReplicationGroups[0], nil
}

// FindCacheClusterByID reads one member cluster with its node details.
func FindCacheClusterByID(ctx context.Context, api GroupReader, id string) (*types.CacheCluster, error) {
	out, err := api.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id), ShowCacheNodeInfo: aws.Bool(true)})
	if err != nil {
		if failure.ErrorCode(err) == "CacheClusterNotFound" {
			return nil, failure.New(failure.NotFound, "cache cluster %s does not exist", id)
		}
		return nil, failure.AWS(err, "describe cache cluster "+id)
	}
	if len(out.CacheClusters) == 0 {
		return nil, failure.New(failure.NotFound, "cache cluster %s does not exist", id)
	}
	return &out.CacheClusters[0], nil
}

// IsNotFound reports whether err is ElastiCache's "no such replication group".
func IsNotFound(err error) bool {
	code := failure.ErrorCode(err)
	return code == "ReplicationGroupNotFoundFault" || code == "ReplicationGroupNotFound"
}

// Package replicationgroup creates and converges an ElastiCache replication group,
// with its parameter and subnet groups, from an environment profile. It keeps
// three values apart: what should be (Desired, from the profile), what is
// (Observe, from Describe calls) and what to change (Diff).
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

// Member is one node of the group with its current role.
type Member struct {
	CacheClusterID   string `json:"cacheClusterId"`
	Role             string `json:"role"`
	AvailabilityZone string `json:"availabilityZone,omitempty"`
	Address          string `json:"address,omitempty"`
	Port             int32  `json:"port,omitempty"`
}

// Endpoint is a host and port.
type Endpoint struct {
	Address string `json:"address"`
	Port    int32  `json:"port"`
}

// Topology is what clients need from a group: where to connect and which
// node is primary now.
type Topology struct {
	PrimaryEndpoint *Endpoint `json:"primaryEndpoint,omitempty"`
	ReaderEndpoint  *Endpoint `json:"readerEndpoint,omitempty"`
	Members         []Member  `json:"members"`
	CurrentPrimary  string    `json:"currentPrimary,omitempty"`
	TLS             bool      `json:"tls"`
}

// TopologyOf reads the endpoints and roles from a described group.
func TopologyOf(g *types.ReplicationGroup) Topology {
	t := Topology{TLS: aws.ToBool(g.TransitEncryptionEnabled), Members: []Member{}}
	if len(g.NodeGroups) > 0 {
		ng := g.NodeGroups[0]
		t.PrimaryEndpoint = endpoint(ng.PrimaryEndpoint)
		t.ReaderEndpoint = endpoint(ng.ReaderEndpoint)
		for _, m := range ng.NodeGroupMembers {
			member := Member{
				CacheClusterID:   aws.ToString(m.CacheClusterId),
				Role:             aws.ToString(m.CurrentRole),
				AvailabilityZone: aws.ToString(m.PreferredAvailabilityZone),
			}
			if m.ReadEndpoint != nil {
				member.Address = aws.ToString(m.ReadEndpoint.Address)
				member.Port = aws.ToInt32(m.ReadEndpoint.Port)
			}
			if member.Role == "primary" {
				t.CurrentPrimary = member.CacheClusterID
			}
			t.Members = append(t.Members, member)
		}
	}
	// Members not yet in a node group (early in creation) still count.
	for _, id := range g.MemberClusters {
		found := false
		for _, m := range t.Members {
			found = found || m.CacheClusterID == id
		}
		if !found {
			t.Members = append(t.Members, Member{CacheClusterID: id})
		}
	}
	return t
}

func endpoint(e *types.Endpoint) *Endpoint {
	if e == nil || e.Address == nil {
		return nil
	}
	return &Endpoint{Address: aws.ToString(e.Address), Port: aws.ToInt32(e.Port)}
}

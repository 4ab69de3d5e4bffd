package replicationgroup

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

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

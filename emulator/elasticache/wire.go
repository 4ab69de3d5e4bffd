package elasticache

// Wire shapes of the ElastiCache Query protocol (API version 2015-02-02).
// Element names and list member names follow the SDK's response snapshots
// (aws-sdk-go-v2/service/elasticache/response_snapshot); fields AWS leaves
// out when unset carry omitempty.

type wireEndpoint struct {
	Address string `xml:"Address"`
	Port    int    `xml:"Port"`
}

type wireTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type wireNodeGroupMember struct {
	CacheClusterID            string        `xml:"CacheClusterId"`
	CacheNodeID               string        `xml:"CacheNodeId"`
	CurrentRole               string        `xml:"CurrentRole,omitempty"`
	PreferredAvailabilityZone string        `xml:"PreferredAvailabilityZone,omitempty"`
	ReadEndpoint              *wireEndpoint `xml:"ReadEndpoint,omitempty"`
}

type wireNodeGroup struct {
	NodeGroupID      string                `xml:"NodeGroupId"`
	Status           string                `xml:"Status"`
	PrimaryEndpoint  *wireEndpoint         `xml:"PrimaryEndpoint,omitempty"`
	ReaderEndpoint   *wireEndpoint         `xml:"ReaderEndpoint,omitempty"`
	NodeGroupMembers []wireNodeGroupMember `xml:"NodeGroupMembers>NodeGroupMember"`
}

type wireRGPendingModifiedValues struct {
	AutomaticFailoverStatus string `xml:"AutomaticFailoverStatus,omitempty"`
	PrimaryClusterID        string `xml:"PrimaryClusterId,omitempty"`
}

type wireReplicationGroup struct {
	ARN                        string                      `xml:"ARN"`
	AtRestEncryptionEnabled    bool                        `xml:"AtRestEncryptionEnabled"`
	AuthTokenEnabled           bool                        `xml:"AuthTokenEnabled"`
	AutoMinorVersionUpgrade    bool                        `xml:"AutoMinorVersionUpgrade"`
	AutomaticFailover          string                      `xml:"AutomaticFailover"`
	CacheNodeType              string                      `xml:"CacheNodeType"`
	ClusterEnabled             bool                        `xml:"ClusterEnabled"`
	ClusterMode                string                      `xml:"ClusterMode"`
	DataTiering                string                      `xml:"DataTiering"`
	Description                string                      `xml:"Description"`
	Engine                     string                      `xml:"Engine"`
	IPDiscovery                string                      `xml:"IpDiscovery"`
	KmsKeyID                   string                      `xml:"KmsKeyId,omitempty"`
	MemberClusters             []string                    `xml:"MemberClusters>ClusterId"`
	MultiAZ                    string                      `xml:"MultiAZ"`
	NetworkType                string                      `xml:"NetworkType"`
	NodeGroups                 []wireNodeGroup             `xml:"NodeGroups>NodeGroup"`
	PendingModifiedValues      wireRGPendingModifiedValues `xml:"PendingModifiedValues"`
	ReplicationGroupCreateTime string                      `xml:"ReplicationGroupCreateTime"`
	ReplicationGroupID         string                      `xml:"ReplicationGroupId"`
	SnapshotRetentionLimit     int                         `xml:"SnapshotRetentionLimit"`
	SnapshotWindow             string                      `xml:"SnapshotWindow,omitempty"`
	SnapshottingClusterID      string                      `xml:"SnapshottingClusterId,omitempty"`
	Status                     string                      `xml:"Status"`
	TransitEncryptionEnabled   bool                        `xml:"TransitEncryptionEnabled"`
	TransitEncryptionMode      string                      `xml:"TransitEncryptionMode,omitempty"`
}

type wireCacheNode struct {
	CacheNodeCreateTime      string        `xml:"CacheNodeCreateTime"`
	CacheNodeID              string        `xml:"CacheNodeId"`
	CacheNodeStatus          string        `xml:"CacheNodeStatus"`
	CustomerAvailabilityZone string        `xml:"CustomerAvailabilityZone"`
	Endpoint                 *wireEndpoint `xml:"Endpoint,omitempty"`
	ParameterGroupStatus     string        `xml:"ParameterGroupStatus"`
}

type wireCacheParameterGroupStatus struct {
	CacheNodeIDsToReboot    []string `xml:"CacheNodeIdsToReboot>CacheNodeId"`
	CacheParameterGroupName string   `xml:"CacheParameterGroupName"`
	ParameterApplyStatus    string   `xml:"ParameterApplyStatus"`
}

type wireNotificationConfiguration struct {
	TopicArn    string `xml:"TopicArn"`
	TopicStatus string `xml:"TopicStatus"`
}

type wireSecurityGroupMembership struct {
	SecurityGroupID string `xml:"SecurityGroupId"`
	Status          string `xml:"Status"`
}

type wireClusterPendingModifiedValues struct {
	CacheNodeType string `xml:"CacheNodeType,omitempty"`
	EngineVersion string `xml:"EngineVersion,omitempty"`
}

type wireCacheCluster struct {
	ARN                         string                           `xml:"ARN"`
	AtRestEncryptionEnabled     bool                             `xml:"AtRestEncryptionEnabled"`
	AuthTokenEnabled            bool                             `xml:"AuthTokenEnabled"`
	AutoMinorVersionUpgrade     bool                             `xml:"AutoMinorVersionUpgrade"`
	CacheClusterCreateTime      string                           `xml:"CacheClusterCreateTime"`
	CacheClusterID              string                           `xml:"CacheClusterId"`
	CacheClusterStatus          string                           `xml:"CacheClusterStatus"`
	CacheNodeType               string                           `xml:"CacheNodeType"`
	CacheNodes                  []wireCacheNode                  `xml:"CacheNodes>CacheNode"`
	CacheParameterGroup         wireCacheParameterGroupStatus    `xml:"CacheParameterGroup"`
	CacheSecurityGroups         []struct{}                       `xml:"CacheSecurityGroups>CacheSecurityGroup"`
	CacheSubnetGroupName        string                           `xml:"CacheSubnetGroupName,omitempty"`
	ClientDownloadLandingPage   string                           `xml:"ClientDownloadLandingPage"`
	Engine                      string                           `xml:"Engine"`
	EngineVersion               string                           `xml:"EngineVersion"`
	IPDiscovery                 string                           `xml:"IpDiscovery"`
	NetworkType                 string                           `xml:"NetworkType"`
	NotificationConfiguration   *wireNotificationConfiguration   `xml:"NotificationConfiguration,omitempty"`
	NumCacheNodes               int                              `xml:"NumCacheNodes"`
	PendingModifiedValues       wireClusterPendingModifiedValues `xml:"PendingModifiedValues"`
	PreferredAvailabilityZone   string                           `xml:"PreferredAvailabilityZone"`
	PreferredMaintenanceWindow  string                           `xml:"PreferredMaintenanceWindow"`
	ReplicationGroupID          string                           `xml:"ReplicationGroupId"`
	ReplicationGroupLogDelivery bool                             `xml:"ReplicationGroupLogDeliveryEnabled"`
	SecurityGroups              []wireSecurityGroupMembership    `xml:"SecurityGroups>member"`
	SnapshotRetentionLimit      int                              `xml:"SnapshotRetentionLimit"`
	SnapshotWindow              string                           `xml:"SnapshotWindow,omitempty"`
	TransitEncryptionEnabled    bool                             `xml:"TransitEncryptionEnabled"`
	TransitEncryptionMode       string                           `xml:"TransitEncryptionMode,omitempty"`
}

type wireCacheParameterGroup struct {
	ARN                       string `xml:"ARN"`
	CacheParameterGroupFamily string `xml:"CacheParameterGroupFamily"`
	CacheParameterGroupName   string `xml:"CacheParameterGroupName"`
	Description               string `xml:"Description"`
	IsGlobal                  bool   `xml:"IsGlobal"`
}

type wireParameter struct {
	AllowedValues        string `xml:"AllowedValues,omitempty"`
	ChangeType           string `xml:"ChangeType"`
	DataType             string `xml:"DataType"`
	Description          string `xml:"Description"`
	IsModifiable         bool   `xml:"IsModifiable"`
	MinimumEngineVersion string `xml:"MinimumEngineVersion"`
	ParameterName        string `xml:"ParameterName"`
	ParameterValue       string `xml:"ParameterValue"`
	Source               string `xml:"Source"`
}

type wireNodeTypeSpecificValue struct {
	CacheNodeType string `xml:"CacheNodeType"`
	Value         string `xml:"Value"`
}

type wireNodeTypeSpecificParameter struct {
	AllowedValues               string                      `xml:"AllowedValues,omitempty"`
	CacheNodeTypeSpecificValues []wireNodeTypeSpecificValue `xml:"CacheNodeTypeSpecificValues>CacheNodeTypeSpecificValue"`
	ChangeType                  string                      `xml:"ChangeType"`
	DataType                    string                      `xml:"DataType"`
	Description                 string                      `xml:"Description"`
	IsModifiable                bool                        `xml:"IsModifiable"`
	MinimumEngineVersion        string                      `xml:"MinimumEngineVersion"`
	ParameterName               string                      `xml:"ParameterName"`
	Source                      string                      `xml:"Source"`
}

type wireSubnet struct {
	AvailabilityZone      string   `xml:"SubnetAvailabilityZone>Name"`
	SubnetIdentifier      string   `xml:"SubnetIdentifier"`
	SupportedNetworkTypes []string `xml:"SupportedNetworkTypes>member"`
}

type wireCacheSubnetGroup struct {
	ARN                         string       `xml:"ARN"`
	CacheSubnetGroupDescription string       `xml:"CacheSubnetGroupDescription"`
	CacheSubnetGroupName        string       `xml:"CacheSubnetGroupName"`
	Subnets                     []wireSubnet `xml:"Subnets>Subnet"`
	SupportedNetworkTypes       []string     `xml:"SupportedNetworkTypes>member"`
	VpcID                       string       `xml:"VpcId"`
}

type wireEvent struct {
	Date             string `xml:"Date"`
	Message          string `xml:"Message"`
	SourceIdentifier string `xml:"SourceIdentifier"`
	SourceType       string `xml:"SourceType"`
}

type wireNodeGroupConfiguration struct {
	NodeGroupID              string   `xml:"NodeGroupId"`
	PrimaryAvailabilityZone  string   `xml:"PrimaryAvailabilityZone"`
	ReplicaAvailabilityZones []string `xml:"ReplicaAvailabilityZones>AvailabilityZone"`
	ReplicaCount             int      `xml:"ReplicaCount"`
}

type wireNodeSnapshot struct {
	CacheClusterID         string                      `xml:"CacheClusterId"`
	CacheNodeCreateTime    string                      `xml:"CacheNodeCreateTime"`
	CacheNodeID            string                      `xml:"CacheNodeId"`
	CacheSize              string                      `xml:"CacheSize"`
	NodeGroupConfiguration *wireNodeGroupConfiguration `xml:"NodeGroupConfiguration,omitempty"`
	NodeGroupID            string                      `xml:"NodeGroupId"`
	SnapshotCreateTime     string                      `xml:"SnapshotCreateTime,omitempty"`
}

type wireSnapshot struct {
	ARN                         string             `xml:"ARN"`
	AutoMinorVersionUpgrade     bool               `xml:"AutoMinorVersionUpgrade"`
	AutomaticFailover           string             `xml:"AutomaticFailover"`
	CacheClusterCreateTime      string             `xml:"CacheClusterCreateTime"`
	CacheClusterID              string             `xml:"CacheClusterId,omitempty"`
	CacheNodeType               string             `xml:"CacheNodeType"`
	CacheParameterGroupName     string             `xml:"CacheParameterGroupName"`
	CacheSubnetGroupName        string             `xml:"CacheSubnetGroupName,omitempty"`
	DataTiering                 string             `xml:"DataTiering"`
	Engine                      string             `xml:"Engine"`
	EngineVersion               string             `xml:"EngineVersion"`
	KmsKeyID                    string             `xml:"KmsKeyId,omitempty"`
	NodeSnapshots               []wireNodeSnapshot `xml:"NodeSnapshots>NodeSnapshot"`
	NumCacheNodes               int                `xml:"NumCacheNodes,omitempty"`
	NumNodeGroups               int                `xml:"NumNodeGroups"`
	Port                        int                `xml:"Port"`
	PreferredMaintenanceWindow  string             `xml:"PreferredMaintenanceWindow"`
	ReplicationGroupDescription string             `xml:"ReplicationGroupDescription"`
	ReplicationGroupID          string             `xml:"ReplicationGroupId"`
	SnapshotName                string             `xml:"SnapshotName"`
	SnapshotRetentionLimit      int                `xml:"SnapshotRetentionLimit"`
	SnapshotSource              string             `xml:"SnapshotSource"`
	SnapshotStatus              string             `xml:"SnapshotStatus"`
	SnapshotWindow              string             `xml:"SnapshotWindow,omitempty"`
	TopicArn                    string             `xml:"TopicArn,omitempty"`
	VpcID                       string             `xml:"VpcId,omitempty"`
}

// Results, one per operation output shape.

type replicationGroupResult struct {
	ReplicationGroup wireReplicationGroup `xml:"ReplicationGroup"`
}

type describeReplicationGroupsResult struct {
	Marker            string                 `xml:"Marker,omitempty"`
	ReplicationGroups []wireReplicationGroup `xml:"ReplicationGroups>ReplicationGroup"`
}

type describeCacheClustersResult struct {
	Marker        string             `xml:"Marker,omitempty"`
	CacheClusters []wireCacheCluster `xml:"CacheClusters>CacheCluster"`
}

type cacheParameterGroupResult struct {
	CacheParameterGroup wireCacheParameterGroup `xml:"CacheParameterGroup"`
}

type describeCacheParameterGroupsResult struct {
	Marker               string                    `xml:"Marker,omitempty"`
	CacheParameterGroups []wireCacheParameterGroup `xml:"CacheParameterGroups>CacheParameterGroup"`
}

type describeCacheParametersResult struct {
	Marker                          string                          `xml:"Marker,omitempty"`
	Parameters                      []wireParameter                 `xml:"Parameters>Parameter"`
	CacheNodeTypeSpecificParameters []wireNodeTypeSpecificParameter `xml:"CacheNodeTypeSpecificParameters>CacheNodeTypeSpecificParameter"`
}

type cacheParameterGroupNameResult struct {
	CacheParameterGroupName string `xml:"CacheParameterGroupName"`
}

type cacheSubnetGroupResult struct {
	CacheSubnetGroup wireCacheSubnetGroup `xml:"CacheSubnetGroup"`
}

type describeCacheSubnetGroupsResult struct {
	Marker            string                 `xml:"Marker,omitempty"`
	CacheSubnetGroups []wireCacheSubnetGroup `xml:"CacheSubnetGroups>CacheSubnetGroup"`
}

type describeEventsResult struct {
	Marker string      `xml:"Marker,omitempty"`
	Events []wireEvent `xml:"Events>Event"`
}

type snapshotResult struct {
	Snapshot wireSnapshot `xml:"Snapshot"`
}

type describeSnapshotsResult struct {
	Marker    string         `xml:"Marker,omitempty"`
	Snapshots []wireSnapshot `xml:"Snapshots>Snapshot"`
}

type tagListResult struct {
	TagList []wireTag `xml:"TagList>Tag"`
}

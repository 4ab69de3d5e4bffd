package elasticache

import (
	"fmt"
	"net/http"
)

// apiError is an ElastiCache error: the wire code the SDKs match on (see
// the awsQueryError codes in aws-sdk-go-v2/service/elasticache), its HTTP
// status, and a message that names the thing, the rule and the way out.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(status int, code, format string, a ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, a...)}
}

// Wire codes (note: not always the SDK type name, e.g. CacheParameterGroupNotFound).
const (
	codeInvalidParameterValue            = "InvalidParameterValue"
	codeInvalidParameterCombination      = "InvalidParameterCombination"
	codeMissingParameter                 = "MissingParameter"
	codeReplicationGroupAlreadyExists    = "ReplicationGroupAlreadyExists"
	codeReplicationGroupNotFound         = "ReplicationGroupNotFoundFault"
	codeInvalidReplicationGroupState     = "InvalidReplicationGroupState"
	codeCacheClusterNotFound             = "CacheClusterNotFound"
	codeCacheParameterGroupNotFound      = "CacheParameterGroupNotFound"
	codeCacheParameterGroupAlreadyExists = "CacheParameterGroupAlreadyExists"
	codeInvalidCacheParameterGroupState  = "InvalidCacheParameterGroupState"
	codeCacheSubnetGroupNotFound         = "CacheSubnetGroupNotFoundFault"
	codeCacheSubnetGroupAlreadyExists    = "CacheSubnetGroupAlreadyExists"
	codeCacheSubnetGroupInUse            = "CacheSubnetGroupInUse"
	codeInvalidSubnet                    = "InvalidSubnet"
	codeSubnetInUse                      = "SubnetInUse"
	codeSnapshotAlreadyExists            = "SnapshotAlreadyExistsFault"
	codeSnapshotNotFound                 = "SnapshotNotFoundFault"
	codeInvalidSnapshotState             = "InvalidSnapshotState"
	codeInvalidARN                       = "InvalidARN"
	codeTagNotFound                      = "TagNotFound"
	codeTagQuotaPerResourceExceeded      = "TagQuotaPerResourceExceeded"
	codeNodeGroupNotFound                = "NodeGroupNotFoundFault"
	codeTestFailoverNotAvailable         = "TestFailoverNotAvailableFault"
	codeInvalidVPCNetworkState           = "InvalidVPCNetworkStateFault"
	codeInvalidKMSKey                    = "InvalidKMSKeyFault"
)

func invalidValue(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, codeInvalidParameterValue, format, a...)
}

func invalidCombination(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, codeInvalidParameterCombination, format, a...)
}

func missingParameter(name string) *apiError {
	return newError(http.StatusBadRequest, codeMissingParameter, "The request must contain the parameter %s.", name)
}

func replicationGroupNotFound(id string) *apiError {
	return newError(http.StatusNotFound, codeReplicationGroupNotFound, "Replication group %s not found.", id)
}

func cacheClusterNotFound(id string) *apiError {
	return newError(http.StatusNotFound, codeCacheClusterNotFound, "Cache cluster %s not found.", id)
}

func paramGroupNotFound(name string) *apiError {
	return newError(http.StatusNotFound, codeCacheParameterGroupNotFound, "CacheParameterGroup not found: %s", name)
}

func subnetGroupNotFound(name string) *apiError {
	return newError(http.StatusBadRequest, codeCacheSubnetGroupNotFound, "Cache subnet group %s not found.", name)
}

func snapshotNotFound(name string) *apiError {
	return newError(http.StatusNotFound, codeSnapshotNotFound, "Snapshot %s not found.", name)
}

func invalidRGState(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, codeInvalidReplicationGroupState, format, a...)
}

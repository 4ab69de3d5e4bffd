// Package rpcv2cbor speaks the Smithy RPC v2 CBOR protocol, server side
// (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html).
//
// A request is POST /service/{ServiceName}/operation/{OperationName} with
// the header Smithy-Protocol: rpc-v2-cbor and a CBOR map as body. Every
// response carries Smithy-Protocol: rpc-v2-cbor; a body is a CBOR map, an
// error a map with "__type" and "message". Timestamps are CBOR tag 1 (epoch
// seconds, integer or float), which is what the Go SDK's deserializer reads.
//
// Services describe inputs and outputs as Go structs with json tags (the
// CBOR codec honours them, so one struct serves JSON and CBOR alike).
package rpcv2cbor

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// ProtocolHeader is the header (and its value) that marks requests and
// responses of this protocol.
const (
	ProtocolHeader = "Smithy-Protocol"
	ProtocolValue  = "rpc-v2-cbor"
	contentType    = "application/cbor"
)

var (
	encMode  cbor.EncMode
	decMode  cbor.DecMode
	treeMode cbor.DecMode // decodes maps to map[string]any, for validation
)

func init() {
	var err error
	encMode, err = cbor.EncOptions{
		Time:    cbor.TimeUnixDynamic,
		TimeTag: cbor.EncTagRequired,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	decOpts := cbor.DecOptions{
		// Timestamps arrive as tag 1; plain numbers are accepted too.
		TimeTag: cbor.DecTagOptional,
	}
	if decMode, err = decOpts.DecMode(); err != nil {
		panic(err)
	}
	decOpts.DefaultMapType = reflect.TypeFor[map[string]any]()
	if treeMode, err = decOpts.DecMode(); err != nil {
		panic(err)
	}
}

// Operation parses the request path /service/{ServiceName}/operation/{Operation}.
func Operation(r *http.Request) (service, operation string, ok bool) {
	rest, found := strings.CutPrefix(r.URL.Path, "/service/")
	if !found {
		return "", "", false
	}
	service, operation, found = strings.Cut(rest, "/operation/")
	if !found || service == "" || operation == "" || strings.Contains(operation, "/") {
		return "", "", false
	}
	return service, operation, true
}

// IsRequest reports whether r is an RPC v2 CBOR request.
func IsRequest(r *http.Request) bool {
	if r.Header.Get(ProtocolHeader) == ProtocolValue {
		return true
	}
	_, _, ok := Operation(r)
	return ok
}

// Unmarshal decodes a CBOR request body into v. An empty body (an operation
// without input members) leaves v untouched.
func Unmarshal(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decMode.Unmarshal(body, v)
}

// DecodeTree decodes a request body into a generic tree (map[string]any,
// []any, string, numbers, []byte, bool), or nil for an empty body. Like
// Unmarshal, it refuses anything after the one CBOR map of the body.
func DecodeTree(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var tree any
	if err := treeMode.Unmarshal(body, &tree); err != nil {
		return nil, err
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("request body is a CBOR %T, want a map", tree)
	}
	return m, nil
}

// Marshal encodes v as this protocol does.
func Marshal(v any) ([]byte, error) {
	return encMode.Marshal(v)
}

// Error is an error response as this protocol carries it.
type Error struct {
	Status  int    // HTTP status code
	Type    string // the "__type": an error shape ID or name
	Message string
	// QueryError, when set, is sent as the x-amzn-query-error header
	// ("ResourceNotFound;Sender"), as awsQueryCompatible services do.
	QueryError string
}

// WriteResult writes a 200 response with v encoded as CBOR.
func WriteResult(w http.ResponseWriter, v any) {
	body, err := Marshal(v)
	if err != nil {
		WriteError(w, Error{Status: http.StatusInternalServerError, Type: "InternalFailure", Message: fmt.Sprintf("encoding response: %v", err)})
		return
	}
	write(w, http.StatusOK, body)
}

// WriteError writes e in this protocol's error shape.
func WriteError(w http.ResponseWriter, e Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	body, _ := Marshal(map[string]string{"__type": e.Type, "message": e.Message})
	if e.QueryError != "" {
		w.Header().Set("X-Amzn-Query-Error", e.QueryError)
	}
	write(w, status, body)
}

func write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set(ProtocolHeader, ProtocolValue)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

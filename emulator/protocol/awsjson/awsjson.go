// Package awsjson speaks the AWS JSON 1.0 and 1.1 protocols, server side.
//
// A request names its operation in the X-Amz-Target header
// ("secretsmanager.CreateSecret"); its body is one JSON object. A response is
// a JSON object; an error is a JSON object whose "__type" names the error
// shape. Timestamps travel as epoch seconds (a JSON number), blobs as base64
// strings.
//
// Services describe their inputs and outputs as Go structs with json tags and
// time.Time (or *time.Time) timestamps; this package does the wire mapping.
package awsjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The two protocol versions differ only in the Content-Type they carry.
const (
	Version10 = "1.0"
	Version11 = "1.1"
)

// Target splits the X-Amz-Target header ("secretsmanager.CreateSecret") into
// the service's target prefix and the operation name. Both are empty when
// the header is missing or has no dot.
func Target(r *http.Request) (prefix, operation string) {
	t := r.Header.Get("X-Amz-Target")
	i := strings.LastIndexByte(t, '.')
	if i <= 0 || i == len(t)-1 {
		return "", ""
	}
	return t[:i], t[i+1:]
}

// IsRequest reports whether r looks like an AWS JSON protocol request.
func IsRequest(r *http.Request) bool {
	_, op := Target(r)
	return op != ""
}

// ContentType is the Content-Type of requests and responses of a version.
func ContentType(version string) string {
	return "application/x-amz-json-" + version
}

// Error is an error response as the JSON protocols carry it.
type Error struct {
	Status  int    // HTTP status code
	Type    string // the "__type": an error shape name, optionally with its namespace ("com.amazonaws.cloudwatch#ResourceNotFound")
	Message string
	// QueryError, when set, is sent as the x-amzn-query-error header
	// ("ResourceNotFound;Sender"). Services that moved from the Query
	// protocol (awsQueryCompatible, e.g. CloudWatch) send it so that clients
	// keep reporting the old Query error codes.
	QueryError string
}

// WriteResult writes a 200 response with v encoded as JSON.
func WriteResult(w http.ResponseWriter, version string, v any) {
	body, err := Marshal(v)
	if err != nil {
		WriteError(w, version, Error{Status: http.StatusInternalServerError, Type: "InternalFailure", Message: "encoding response: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", ContentType(version))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// WriteError writes e in the JSON protocols' error shape.
func WriteError(w http.ResponseWriter, version string, e Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Type, e.Message})
	w.Header().Set("Content-Type", ContentType(version))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if e.QueryError != "" {
		w.Header().Set("X-Amzn-Query-Error", e.QueryError)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Unmarshal decodes a JSON request body into v (a pointer to a struct). An
// empty body decodes to the zero value, since clients omit the body of an
// operation without input members. Timestamps may be epoch seconds (what
// SDKs send) or RFC 3339 strings.
func Unmarshal(body []byte, v any) error {
	m, err := DecodeTree(body)
	if err != nil || m == nil {
		return err
	}
	// encoding/json reads time.Time only from RFC 3339 strings, so epoch
	// numbers at timestamp positions are rewritten first.
	tree, err := epochToRFC3339(reflect.TypeOf(v), m)
	if err != nil {
		return err
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// DecodeTree decodes a request body into a generic tree (map[string]any,
// []any, string, json.Number, bool), or nil for an empty body. The body
// must be one JSON object and nothing after it: `{"a":1} xyz` is not a
// JSON document, and AWS's JSON services answer a body they cannot parse
// with com.amazon.coral.service#SerializationException (the Smithy
// awsJson1_0/1_1 protocols; seen from AWS in flexera-public/flexera-plugins
// issue 106), which Handle and Dispatcher send as SerializationException.
func DecodeTree(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON object at offset %d", end)
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("request body is %s, want a JSON object", jsonKind(tree))
	}
	return m, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// Marshal encodes v as the JSON protocols do: like encoding/json, except that
// time.Time values become epoch seconds.
func Marshal(v any) ([]byte, error) {
	return json.Marshal(toWire(reflect.ValueOf(v)))
}

var timeType = reflect.TypeFor[time.Time]()

func toWire(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == timeType {
		return epochSeconds(v.Interface().(time.Time))
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return toWire(v.Elem())
	case reflect.Struct:
		out := make(map[string]any, v.NumField())
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, omitEmpty, skip := jsonField(f)
			if skip {
				continue
			}
			fv := v.Field(i)
			if omitEmpty && isEmpty(fv) {
				continue
			}
			out[name] = toWire(fv)
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Bytes() // encoding/json writes base64, as the protocol wants
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = toWire(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())] = toWire(iter.Value())
		}
		return out
	default:
		return v.Interface()
	}
}

func epochSeconds(t time.Time) json.Number {
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1e3, 'f', -1, 64))
}

func jsonField(f reflect.StructField) (name string, omitEmpty, skip bool) {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, true
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	for o := range strings.SplitSeq(opts, ",") {
		if o == "omitempty" || o == "omitzero" {
			omitEmpty = true
		}
	}
	return name, omitEmpty, false
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Slice, reflect.Map, reflect.String, reflect.Array:
		return v.Len() == 0
	case reflect.Struct:
		return v.IsZero()
	default:
		return v.IsZero()
	}
}

// epochToRFC3339 walks a decoded JSON tree alongside the Go type it will be
// decoded into and turns numbers at time.Time positions into RFC 3339
// strings.
func epochToRFC3339(t reflect.Type, x any) (any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		n, ok := x.(json.Number)
		if !ok {
			return x, nil
		}
		f, err := n.Float64()
		if err != nil {
			return nil, fmt.Errorf("timestamp %s: %w", n, err)
		}
		sec := int64(f)
		nsec := int64((f - float64(sec)) * 1e9)
		return time.Unix(sec, nsec).UTC().Format(time.RFC3339Nano), nil
	}
	var err error
	switch t.Kind() {
	case reflect.Struct:
		m, ok := x.(map[string]any)
		if !ok {
			return x, nil
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, skip := jsonField(f)
			if skip || !f.IsExported() {
				continue
			}
			for k, val := range m {
				if strings.EqualFold(k, name) {
					if m[k], err = epochToRFC3339(f.Type, val); err != nil {
						return nil, err
					}
				}
			}
		}
	case reflect.Slice, reflect.Array:
		l, ok := x.([]any)
		if !ok {
			return x, nil
		}
		for i := range l {
			if l[i], err = epochToRFC3339(t.Elem(), l[i]); err != nil {
				return nil, err
			}
		}
	case reflect.Map:
		m, ok := x.(map[string]any)
		if !ok {
			return x, nil
		}
		for k, val := range m {
			if m[k], err = epochToRFC3339(t.Elem(), val); err != nil {
				return nil, err
			}
		}
	}
	return x, nil
}

// Package query implements the wire side of the AWS Query protocol (used by
// ElastiCache) and its EC2 dialect: reading form-encoded parameters, and
// writing XML results and errors in the shapes the AWS SDKs and the AWS CLI
// parse. It knows nothing about any service's resources.
package query

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ecprov/ecprov/internal/apimodel"
)

// Params holds the parameters of one Query request: the form-encoded POST
// body merged with the URL query string (GET requests carry everything there).
type Params struct {
	values url.Values
}

// Parse reads the parameters of r. body is the request body already read by
// the caller (r.Body is not touched). Body values win over URL values.
func Parse(r *http.Request, body []byte) (Params, error) {
	v := url.Values{}
	for k, vs := range r.URL.Query() {
		v[k] = vs
	}
	if len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return Params{}, fmt.Errorf("parse form body: %w", err)
		}
		for k, vs := range form {
			v[k] = vs
		}
	}
	return Params{values: v}, nil
}

// Values returns the underlying values.
func (p Params) Values() url.Values { return p.values }

// Action is the operation name ("Action" parameter).
func (p Params) Action() string { return p.values.Get("Action") }

// Has reports whether name was sent at all (even empty).
func (p Params) Has(name string) bool {
	_, ok := p.values[name]
	return ok
}

// Sent reports whether name was sent in any form: as a scalar, or as a
// list or structure (name.*).
func (p Params) Sent(name string) bool {
	if p.Has(name) {
		return true
	}
	for k := range p.values {
		if strings.HasPrefix(k, name+".") {
			return true
		}
	}
	return false
}

// String returns the value of name, "" when absent.
func (p Params) String(name string) string { return p.values.Get(name) }

// OptString returns nil when name is absent.
func (p Params) OptString(name string) *string {
	if !p.Has(name) {
		return nil
	}
	s := p.values.Get(name)
	return &s
}

// Bool parses an optional boolean ("true"/"false", case-insensitive).
func (p Params) Bool(name string) (*bool, error) {
	if !p.Has(name) {
		return nil, nil
	}
	s := strings.ToLower(strings.TrimSpace(p.values.Get(name)))
	switch s {
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	}
	return nil, &ParamError{Name: name, Value: p.values.Get(name), Want: "a boolean (true or false)"}
}

// Int parses an optional integer. The Query APIs' Integer is 32 bits
// wide, so a value outside it does not parse.
func (p Params) Int(name string) (*int, error) {
	if !p.Has(name) {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(p.values.Get(name)), 10, 32)
	if err != nil {
		return nil, &ParamError{Name: name, Value: p.values.Get(name), Want: "an integer from -2147483648 to 2147483647"}
	}
	i := int(n)
	return &i, nil
}

// Time parses an optional ISO 8601 timestamp (the SDKs send RFC 3339).
func (p Params) Time(name string) (*time.Time, error) {
	if !p.Has(name) {
		return nil, nil
	}
	s := strings.TrimSpace(p.values.Get(name))
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, &ParamError{Name: name, Value: s, Want: "an ISO 8601 timestamp such as 2024-01-02T15:04:05Z"}
}

// Violations checks the parameters against the input shape of their
// Action in m, the service's API model: the length, value, item, enum and
// pattern constraints AWS's front end enforces (ec2 reads them in EC2's
// dialect). Missing required parameters are left to the operation, which
// answers them with the service's own error (MissingParameter). An action
// m does not hold has nothing to check.
func (p Params) Violations(m *apimodel.Model, ec2 bool) []apimodel.Violation {
	if m == nil {
		return nil
	}
	in, err := m.Input(p.Action())
	if err != nil {
		return nil
	}
	return in.Validate(in.FromQuery(p.values, ec2), apimodel.Options{})
}

// ParamError says a parameter did not parse; services turn it into their
// "invalid parameter value" error.
type ParamError struct {
	Name, Value, Want string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("invalid value %q for parameter %s: expected %s", e.Value, e.Name, e.Want)
}

// List reads a list of scalars sent under name, in any of the encodings the
// SDKs and the CLI use:
//
//	Name.member.N                  (Query, unnamed members)
//	Name.<MemberName>.N            (Query, e.g. SubnetIds.SubnetIdentifier.1)
//	Name.N                         (EC2, e.g. SubnetId.1)
//
// Items come back ordered by N. A list sent with no items is empty, not nil,
// when the bare name was sent (Query encodes an empty list as "Name=").
func (p Params) List(name string) []string {
	type item struct {
		n int
		v string
	}
	var items []item
	prefix := name + "."
	for k, vs := range p.values {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || len(vs) == 0 {
			continue
		}
		parts := strings.Split(rest, ".")
		var idx string
		switch len(parts) {
		case 1:
			idx = parts[0]
		case 2:
			idx = parts[1]
		default:
			continue
		}
		n, err := strconv.Atoi(idx)
		if err != nil {
			continue
		}
		items = append(items, item{n, vs[0]})
	}
	if items == nil {
		if p.Has(name) {
			return []string{}
		}
		return nil
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n < items[j].n })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out
}

// Structs reads a list of structures sent under name, in any of:
//
//	Name.member.N.Field            (Query, unnamed members)
//	Name.<MemberName>.N.Field      (Query, e.g. Tags.Tag.1.Key)
//	Name.N.Field                   (EC2, e.g. Filter.1.Name)
//
// Each element is returned as Params holding its fields (Field, and deeper
// keys such as Value.1 for EC2 filters), ordered by N.
func (p Params) Structs(name string) []Params {
	byIndex := map[int]url.Values{}
	prefix := name + "."
	for k, vs := range p.values {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		first, after, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(first)
		if err != nil {
			// Name.<MemberName>.N.Field: skip the member name.
			second, after2, ok := strings.Cut(after, ".")
			if !ok {
				continue
			}
			if n, err = strconv.Atoi(second); err != nil {
				continue
			}
			after = after2
		}
		if byIndex[n] == nil {
			byIndex[n] = url.Values{}
		}
		byIndex[n][after] = vs
	}
	idx := make([]int, 0, len(byIndex))
	for n := range byIndex {
		idx = append(idx, n)
	}
	sort.Ints(idx)
	out := make([]Params, len(idx))
	for i, n := range idx {
		out[i] = Params{values: byIndex[n]}
	}
	return out
}

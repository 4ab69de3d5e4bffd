// Package apimodel reads AWS API models in botocore's JSON format
// (data/<service>/<version>/service-2.json[.gz], the models the AWS CLI
// ships) and answers what they say about an operation: its input and
// output shapes, their members, which are required, and the constraints
// (length, value range, items, enum, pattern) AWS's front end enforces.
//
// Validate checks a decoded request against an input shape and reports the
// violations in the words AWS uses ("1 validation error detected: Value
// 'x' at 'tags.1.member.key' failed to satisfy constraint: Member must
// have length less than or equal to 128"). The emulator validates with
// models trimmed to the operations it serves (Trim), embedded in each
// service; tests read the installed botocore (package botocore) to keep
// those copies honest and to derive probes from the constraints.
package apimodel

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
)

// Model is one service's API model, its shapes resolved.
type Model struct {
	raw        rawModel
	operations map[string]*Operation
	shapes     map[string]*Shape
}

// Operation is one API operation. Input and Output are nil for an
// operation without one.
type Operation struct {
	Name          string
	Input, Output *Shape
}

// Shape is a named shape of the model. Which fields apply depends on Type:
// structure (Members, Required), list (Member), map (Key, Value), and the
// scalars string, blob, boolean, integer, long, float, double, timestamp.
type Shape struct {
	Name     string
	Type     string
	Members  []Member // in model order
	Required []string
	Member   *Ref // list element
	Key      *Ref // map key
	Value    *Ref // map value
	// Min and Max bound a string's or blob's length, a list's or map's
	// entries, or a number's value; nil when the model sets no bound.
	Min, Max  *float64
	Pattern   string
	Enum      []string
	Sensitive bool
	Flattened bool

	re *regexp.Regexp // Pattern, anchored; nil if RE2 cannot compile it
}

// Member is a structure member.
type Member struct {
	Name string
	Ref
}

// Ref points at a shape, with the wire names the Query protocols use.
type Ref struct {
	Shape        *Shape
	LocationName string
	QueryName    string // EC2
	Flattened    bool
}

// Parse reads a model in botocore's service-2.json format, plain or
// gzipped.
func Parse(data []byte) (*Model, error) {
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("apimodel: gunzip: %w", err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("apimodel: gunzip: %w", err)
		}
	}
	var raw rawModel
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("apimodel: %w", err)
	}
	return resolve(raw)
}

// MustParse is Parse for models embedded in a binary, where an error is a
// build defect.
func MustParse(data []byte) *Model {
	m, err := Parse(data)
	if err != nil {
		panic(err)
	}
	return m
}

func resolve(raw rawModel) (*Model, error) {
	m := &Model{raw: raw, operations: map[string]*Operation{}, shapes: map[string]*Shape{}}
	for name, rs := range raw.Shapes {
		s := &Shape{Name: name, Type: rs.Type, Required: rs.Required, Pattern: rs.Pattern, Enum: rs.Enum,
			Sensitive: rs.Sensitive, Flattened: rs.Flattened}
		var err error
		if s.Min, err = number(rs.Min); err != nil {
			return nil, fmt.Errorf("apimodel: shape %s min: %w", name, err)
		}
		if s.Max, err = number(rs.Max); err != nil {
			return nil, fmt.Errorf("apimodel: shape %s max: %w", name, err)
		}
		if s.Pattern != "" {
			// AWS matches the whole value: a RuleName "a b" fails
			// [\.\-_A-Za-z0-9]+. Patterns RE2 cannot compile (Java
			// look-arounds) are not enforced.
			s.re, _ = regexp.Compile(`^(?:` + s.Pattern + `)$`)
		}
		m.shapes[name] = s
	}
	ref := func(r *rawRef) (*Ref, error) {
		if r == nil {
			return nil, nil
		}
		s, ok := m.shapes[r.Shape]
		if !ok {
			return nil, fmt.Errorf("apimodel: unknown shape %q", r.Shape)
		}
		return &Ref{Shape: s, LocationName: r.LocationName, QueryName: r.QueryName, Flattened: r.Flattened}, nil
	}
	for name, rs := range raw.Shapes {
		s := m.shapes[name]
		var err error
		for _, nr := range rs.Members {
			r, err := ref(&nr.rawRef)
			if err != nil {
				return nil, err
			}
			s.Members = append(s.Members, Member{Name: nr.Name, Ref: *r})
		}
		if s.Member, err = ref(rs.Member); err != nil {
			return nil, err
		}
		if s.Key, err = ref(rs.Key); err != nil {
			return nil, err
		}
		if s.Value, err = ref(rs.Value); err != nil {
			return nil, err
		}
	}
	for name, ro := range raw.Operations {
		op := &Operation{Name: name}
		for _, io := range []struct {
			r   *rawRef
			dst **Shape
		}{{ro.Input, &op.Input}, {ro.Output, &op.Output}} {
			r, err := ref(io.r)
			if err != nil {
				return nil, fmt.Errorf("apimodel: operation %s: %w", name, err)
			}
			if r != nil {
				*io.dst = r.Shape
			}
		}
		m.operations[name] = op
	}
	return m, nil
}

func number(n *json.Number) (*float64, error) {
	if n == nil {
		return nil, nil
	}
	f, err := strconv.ParseFloat(string(*n), 64)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// APIVersion is the model's API version ("2017-10-17").
func (m *Model) APIVersion() string { return m.meta("apiVersion") }

// Protocol is the model's protocol ("json", "query", "ec2", ...).
func (m *Model) Protocol() string { return m.meta("protocol") }

// EndpointPrefix names the service's models directory in botocore
// ("secretsmanager", "events").
func (m *Model) EndpointPrefix() string { return m.meta("endpointPrefix") }

func (m *Model) meta(key string) string {
	s, _ := m.raw.Metadata[key].(string)
	return s
}

// Operation returns the named operation.
func (m *Model) Operation(name string) (*Operation, bool) {
	op, ok := m.operations[name]
	return op, ok
}

// OperationNames lists the operations, sorted.
func (m *Model) OperationNames() []string { return slices.Sorted(maps.Keys(m.operations)) }

// Shape returns the named shape.
func (m *Model) Shape(name string) (*Shape, bool) {
	s, ok := m.shapes[name]
	return s, ok
}

// Input is the input shape of an operation, or an error naming the
// operation when the model has no such operation or it takes no input.
func (m *Model) Input(operation string) (*Shape, error) {
	op, ok := m.operations[operation]
	if !ok {
		return nil, fmt.Errorf("apimodel: %s %s has no operation %q", m.EndpointPrefix(), m.APIVersion(), operation)
	}
	if op.Input == nil {
		return nil, fmt.Errorf("apimodel: %s %s operation %s has no input shape", m.EndpointPrefix(), m.APIVersion(), operation)
	}
	return op.Input, nil
}

// IsRequired reports whether a structure requires the named member.
func (s *Shape) IsRequired(member string) bool { return slices.Contains(s.Required, member) }

// MemberNamed returns a structure's member by name.
func (s *Shape) MemberNamed(name string) (Member, bool) {
	for _, m := range s.Members {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// PatternEnforced reports whether the shape's pattern is checked; patterns
// in Java syntax that Go cannot compile are not.
func (s *Shape) PatternEnforced() bool { return s.re != nil }

// MatchesPattern reports whether v matches the whole pattern (true when
// the shape has none, or one that is not enforced).
func (s *Shape) MatchesPattern(v string) bool { return s.re == nil || s.re.MatchString(v) }

package apimodel

import "slices"

// Kind is the kind of a constraint.
type Kind string

// The constraints a model states on a member.
const (
	Required  Kind = "required"   // the member must be present
	MinLength Kind = "min-length" // characters of a string, bytes of a blob, items of a list, entries of a map
	MaxLength Kind = "max-length"
	MinValue  Kind = "min-value" // of a number
	MaxValue  Kind = "max-value"
	Enum      Kind = "enum"
	Pattern   Kind = "pattern"
)

// Element and MapKey are the Path steps into a list's element and a map's
// key; Path names a map's value by MapValue.
const (
	Element  = "[]"
	MapKey   = "{key}"
	MapValue = "{value}"
)

// Constraint is one rule the model states on a member reachable from an
// input shape, for tests that probe each rule just past its bound.
type Constraint struct {
	// Path is the member names from the input shape, with Element,
	// MapKey and MapValue steps into lists and maps.
	Path  []string
	Shape *Shape // the shape that states the rule (the member's shape)
	Kind  Kind
	Bound float64 // the bound of a length or value rule
}

// Constraints lists every constraint on the members reachable from s, in
// model order. A shape that contains itself is followed once.
func (s *Shape) Constraints() []Constraint {
	var out []Constraint
	var walk func(s *Shape, path []string, seen []*Shape)
	walk = func(s *Shape, path []string, seen []*Shape) {
		if slices.Contains(seen, s) {
			return
		}
		seen = append(seen, s)
		out = append(out, own(s, path)...)
		step := func(next *Shape, name string) {
			walk(next, append(slices.Clone(path), name), seen)
		}
		switch s.Type {
		case "structure":
			for _, m := range s.Members {
				if s.IsRequired(m.Name) {
					out = append(out, Constraint{Path: append(slices.Clone(path), m.Name), Shape: m.Shape, Kind: Required})
				}
				step(m.Shape, m.Name)
			}
		case "list":
			step(s.Member.Shape, Element)
		case "map":
			step(s.Key.Shape, MapKey)
			step(s.Value.Shape, MapValue)
		}
	}
	walk(s, nil, nil)
	return out
}

// own lists the constraints a shape states on its own values.
func own(s *Shape, path []string) []Constraint {
	var out []Constraint
	minKind, maxKind := MinLength, MaxLength
	switch s.Type {
	case "integer", "long", "float", "double":
		minKind, maxKind = MinValue, MaxValue
	case "structure", "boolean", "timestamp":
		return nil
	}
	// A length of at least 0 rules nothing out; a value of at least 0 does.
	if s.Min != nil && (minKind == MinValue || *s.Min > 0) {
		out = append(out, Constraint{Path: path, Shape: s, Kind: minKind, Bound: *s.Min})
	}
	if s.Max != nil {
		out = append(out, Constraint{Path: path, Shape: s, Kind: maxKind, Bound: *s.Max})
	}
	if len(s.Enum) > 0 {
		out = append(out, Constraint{Path: path, Shape: s, Kind: Enum})
	}
	if s.Pattern != "" {
		out = append(out, Constraint{Path: path, Shape: s, Kind: Pattern})
	}
	return out
}

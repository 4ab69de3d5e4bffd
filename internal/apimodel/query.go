package apimodel

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// FromQuery reads the parameters of a Query-protocol request (with ec2,
// one in EC2's dialect) into the tree Validate checks, by the names
// botocore's serializers give them:
//
//	Query: a member by its locationName, else its name; a list as
//	Name.member.N (Name.<locationName>.N when its member has one, Name.N
//	when flattened); a map as Name.entry.N.key / Name.entry.N.value.
//	EC2:   a member by its queryName, else its capitalised locationName,
//	else its name; every list as Name.N.
//
// Scalars stay strings; Validate parses numbers where the shape wants one.
func (s *Shape) FromQuery(values url.Values, ec2 bool) map[string]any {
	q := queryReader{values: values, ec2: ec2}
	m, _ := q.read(s, "", false)
	tree, _ := m.(map[string]any)
	if tree == nil {
		tree = map[string]any{}
	}
	return tree
}

type queryReader struct {
	values url.Values
	ec2    bool
}

func (q queryReader) read(s *Shape, key string, flattened bool) (any, bool) {
	switch s.Type {
	case "structure":
		out := map[string]any{}
		for _, m := range s.Members {
			if v, ok := q.read(m.Shape, join(key, q.name(m)), m.Flattened); ok {
				out[m.Name] = v
			}
		}
		return out, len(out) > 0
	case "list":
		return q.list(s, key, flattened || s.Flattened)
	case "map":
		return q.mapping(s, key, flattened || s.Flattened)
	}
	vs, ok := q.values[key]
	if !ok || len(vs) == 0 {
		return nil, false
	}
	return vs[0], true
}

func (q queryReader) name(m Member) string {
	if q.ec2 {
		switch {
		case m.QueryName != "":
			return m.QueryName
		case m.LocationName != "":
			return strings.ToUpper(m.LocationName[:1]) + m.LocationName[1:]
		}
		return m.Name
	}
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

func (q queryReader) list(s *Shape, key string, flattened bool) (any, bool) {
	prefix := key
	switch {
	case q.ec2:
	case flattened:
		if n := s.Member.LocationName; n != "" {
			prefix = replaceLast(key, n)
		}
	default:
		elem := "member"
		if s.Member.LocationName != "" {
			elem = s.Member.LocationName
		}
		prefix = key + "." + elem
	}
	idx := q.indexes(prefix)
	if len(idx) == 0 {
		if _, sent := q.values[key]; sent {
			return []any{}, true // "Name=" is an empty list
		}
		return nil, false
	}
	out := make([]any, 0, len(idx))
	for _, i := range idx {
		if v, ok := q.read(s.Member.Shape, prefix+"."+strconv.Itoa(i), false); ok {
			out = append(out, v)
		}
	}
	return out, true
}

func (q queryReader) mapping(s *Shape, key string, flattened bool) (any, bool) {
	prefix := key
	if !flattened {
		prefix += ".entry"
	}
	keyName, valueName := "key", "value"
	if s.Key.LocationName != "" {
		keyName = s.Key.LocationName
	}
	if s.Value.LocationName != "" {
		valueName = s.Value.LocationName
	}
	idx := q.indexes(prefix)
	if len(idx) == 0 {
		return nil, false
	}
	out := map[string]any{}
	for _, i := range idx {
		entry := prefix + "." + strconv.Itoa(i)
		k := q.values.Get(entry + "." + keyName)
		if v, ok := q.read(s.Value.Shape, entry+"."+valueName, false); ok {
			out[k] = v
		} else {
			out[k] = ""
		}
	}
	return out, true
}

// indexes lists the N of every parameter prefix.N[.rest], sorted, so that
// a list sent with gaps in its numbering is read whole.
func (q queryReader) indexes(prefix string) []int {
	var idx []int
	for k := range q.values {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		first, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(first); err == nil && !slices.Contains(idx, n) {
			idx = append(idx, n)
		}
	}
	slices.Sort(idx)
	return idx
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func replaceLast(key, name string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i+1] + name
	}
	return name
}

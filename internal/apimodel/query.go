package apimodel

import (
	"fmt"
	"maps"
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
	q := queryCodec{values: values, ec2: ec2}
	m, _ := q.read(s, "", false)
	tree, _ := m.(map[string]any)
	if tree == nil {
		tree = map[string]any{}
	}
	return tree
}

type queryCodec struct {
	values url.Values
	ec2    bool
}

func (q queryCodec) read(s *Shape, key string, flattened bool) (any, bool) {
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

func (q queryCodec) name(m Member) string {
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

// listPrefix is what a list's element numbers follow.
func (q queryCodec) listPrefix(s *Shape, key string, flattened bool) string {
	switch {
	case q.ec2:
		return key
	case flattened:
		if n := s.Member.LocationName; n != "" {
			return replaceLast(key, n)
		}
		return key
	case s.Member.LocationName != "":
		return key + "." + s.Member.LocationName
	}
	return key + ".member"
}

// mapNames are the prefix a map's entry numbers follow and the names of
// an entry's key and value.
func (q queryCodec) mapNames(s *Shape, key string, flattened bool) (prefix, keyName, valueName string) {
	prefix, keyName, valueName = key+".entry", "key", "value"
	if flattened {
		prefix = key
	}
	if s.Key.LocationName != "" {
		keyName = s.Key.LocationName
	}
	if s.Value.LocationName != "" {
		valueName = s.Value.LocationName
	}
	return prefix, keyName, valueName
}

func (q queryCodec) list(s *Shape, key string, flattened bool) (any, bool) {
	prefix := q.listPrefix(s, key, flattened)
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

func (q queryCodec) mapping(s *Shape, key string, flattened bool) (any, bool) {
	prefix, keyName, valueName := q.mapNames(s, key, flattened)
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
func (q queryCodec) indexes(prefix string) []int {
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

// ToQuery encodes a request tree as the parameters of a Query-protocol
// request (with ec2, in EC2's dialect), by the names FromQuery reads.
func (s *Shape) ToQuery(tree map[string]any, ec2 bool) url.Values {
	q := queryCodec{values: url.Values{}, ec2: ec2}
	q.write(s, "", tree, false)
	return q.values
}

func (q queryCodec) write(s *Shape, key string, v any, flattened bool) {
	switch s.Type {
	case "structure":
		m, _ := v.(map[string]any)
		for _, mem := range s.Members {
			if val, ok := m[mem.Name]; ok && val != nil {
				q.write(mem.Shape, join(key, q.name(mem)), val, mem.Flattened)
			}
		}
	case "list":
		l, _ := v.([]any)
		if len(l) == 0 {
			q.values.Set(key, "")
			return
		}
		prefix := q.listPrefix(s, key, flattened || s.Flattened)
		for i, e := range l {
			q.write(s.Member.Shape, prefix+"."+strconv.Itoa(i+1), e, false)
		}
	case "map":
		m, _ := v.(map[string]any)
		prefix, keyName, valueName := q.mapNames(s, key, flattened || s.Flattened)
		for i, k := range slices.Sorted(maps.Keys(m)) {
			entry := prefix + "." + strconv.Itoa(i+1)
			q.values.Set(entry+"."+keyName, k)
			q.write(s.Value.Shape, entry+"."+valueName, m[k], false)
		}
	default:
		q.values.Set(key, fmt.Sprint(v))
	}
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

package apimodel

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// MemberPath names the constrained member as AWS's messages do:
// "tags.1.member.key"; a map's key or value is named by the map.
func (c Constraint) MemberPath() string {
	path := ""
	for _, step := range c.Path {
		switch step {
		case Element:
			path += ".1.member"
		case MapKey, MapValue:
		default:
			path = memberPath(path, step)
		}
	}
	return path
}

// Violate returns a copy of a valid request that breaks the constraint
// just past its bound: one character, item or unit too many or too few, a
// value outside the enum, one that misses the pattern, or the required
// member left out. Lists and maps on the way are entered at their first
// element, so the request must hold one; ok is false when the path is not
// in the request or no breaking value fits (a pattern every short string
// matches).
func Violate(c Constraint, request map[string]any) (broken map[string]any, ok bool) {
	root := deepCopy(request).(map[string]any)
	if len(c.Path) == 0 {
		return nil, false
	}
	parent, ok := walk(root, c.Path[:len(c.Path)-1])
	if !ok {
		return nil, false
	}
	last := c.Path[len(c.Path)-1]
	if c.Kind == Required {
		m, ok := parent.(map[string]any)
		if !ok {
			return nil, false
		}
		delete(m, last)
		return root, true
	}
	switch last {
	case Element:
		l, ok := parent.([]any)
		if !ok || len(l) == 0 {
			return nil, false
		}
		v, ok := breaking(c, l[0])
		l[0] = v
		return root, ok
	case MapKey, MapValue:
		m, ok := parent.(map[string]any)
		if !ok || len(m) == 0 {
			return nil, false
		}
		k := slices.Sorted(maps.Keys(m))[0]
		if last == MapValue {
			v, ok := breaking(c, m[k])
			m[k] = v
			return root, ok
		}
		nk, ok := breaking(c, k)
		s, isString := nk.(string)
		if !ok || !isString {
			return nil, false
		}
		m[s] = m[k]
		delete(m, k)
		return root, true
	}
	m, ok := parent.(map[string]any)
	if !ok || m[last] == nil {
		return nil, false
	}
	v, ok := breaking(c, m[last])
	m[last] = v
	return root, ok
}

func walk(v any, path []string) (any, bool) {
	for _, step := range path {
		switch step {
		case Element:
			l, ok := v.([]any)
			if !ok || len(l) == 0 {
				return nil, false
			}
			v = l[0]
		case MapKey:
			return nil, false // nothing lies under a key
		case MapValue:
			m, ok := v.(map[string]any)
			if !ok || len(m) == 0 {
				return nil, false
			}
			v = m[slices.Sorted(maps.Keys(m))[0]]
		default:
			m, ok := v.(map[string]any)
			if !ok || m[step] == nil {
				return nil, false
			}
			v = m[step]
		}
	}
	return v, true
}

// breaking turns a valid value into one that breaks c.
func breaking(c Constraint, v any) (any, bool) {
	s := c.Shape
	n := int(c.Bound)
	switch c.Kind {
	case MinValue:
		return json.Number(format(c.Bound - 1)), true
	case MaxValue:
		return json.Number(format(c.Bound + 1)), true
	case Enum:
		return "ecprov-not-in-the-enum", true
	case Pattern:
		return missPattern(s)
	case MinLength, MaxLength:
		if c.Kind == MinLength {
			n--
		} else {
			n++
		}
		return ofLength(s, v, n)
	}
	return nil, false
}

// ofLength makes a value of the shape's kind with n characters, bytes,
// items or entries, from a valid one.
func ofLength(s *Shape, v any, n int) (any, bool) {
	switch s.Type {
	case "string":
		return strings.Repeat("a", n), true
	case "blob":
		return base64.StdEncoding.EncodeToString(make([]byte, n)), true
	case "list":
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			return nil, false
		}
		out := make([]any, n)
		for i := range out {
			out[i] = deepCopy(l[0])
		}
		return out, true
	case "map":
		m, ok := v.(map[string]any)
		if !ok || len(m) == 0 {
			return nil, false
		}
		first := m[slices.Sorted(maps.Keys(m))[0]]
		out := map[string]any{}
		for i := range n {
			out["k"+strconv.Itoa(i)] = deepCopy(first)
		}
		return out, true
	}
	return nil, false
}

// missPattern finds a string within the shape's length bounds that its
// pattern rejects.
func missPattern(s *Shape) (any, bool) {
	if !s.PatternEnforced() {
		return nil, false
	}
	minLen := 1
	if s.Min != nil {
		minLen = max(int(*s.Min), 1)
	}
	for _, r := range []string{" ", "!", "*", "-", "é", "~", "a", "0", ":", "\t"} {
		v := strings.Repeat(r, minLen)
		if !s.MatchesPattern(v) && (s.Max == nil || float64(len([]rune(v))) <= *s.Max) {
			return v, true
		}
	}
	return nil, false
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

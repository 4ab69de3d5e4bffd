package eventpattern

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Matches reports whether event (the full EventBridge event JSON) matches
// the pattern. An event that is not a JSON object matches nothing.
func (p *Pattern) Matches(event []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return false
	}
	return p.MatchesValue(v)
}

// MatchesValue is Matches for an event already decoded with
// encoding/json, numbers as json.Number (Decoder.UseNumber) so that their
// text is kept: EventBridge compares exact numbers by their text.
func (p *Pattern) MatchesValue(event any) bool {
	m, ok := event.(map[string]any)
	if !ok {
		return false
	}
	return p.root.matchIn(m)
}

// match evaluates o against an event value found at o's path (present
// false when there is none). An array is crushed out: the object matches
// if any object in it does, so that fields matched together come from the
// same array element ("Arrays in Amazon EventBridge event patterns";
// event-ruler's rulesForJSONEvent).
func (o *object) match(v any, present bool) bool {
	candidates := objectsIn(v, present, nil)
	if len(candidates) == 0 {
		// No object here: only absence conditions can hold.
		return o.matchIn(nil)
	}
	for _, m := range candidates {
		if o.matchIn(m) {
			return true
		}
	}
	return false
}

func objectsIn(v any, present bool, out []map[string]any) []map[string]any {
	if !present {
		return out
	}
	switch x := v.(type) {
	case map[string]any:
		out = append(out, x)
	case []any:
		for _, e := range x {
			out = objectsIn(e, true, out)
		}
	}
	return out
}

// matchIn evaluates o against one event object (nil: none).
func (o *object) matchIn(m map[string]any) bool {
	for _, f := range o.fields {
		v, present := m[f.name]
		if !f.match(v, present) {
			return false
		}
	}
	for _, alts := range o.ors {
		if !slices.ContainsFunc(alts, func(alt *object) bool { return alt.matchIn(m) }) {
			return false
		}
	}
	return true
}

func (f *field) match(v any, present bool) bool {
	if f.sub != nil {
		return f.sub.match(v, present)
	}
	leaves := leavesOf(v, present, nil)
	for _, m := range f.matchers {
		if m.matches(leaves) {
			return true
		}
	}
	return false
}

type kind int

const (
	kindString kind = iota
	kindNumber
	kindBool
	kindNull
)

// leaf is one scalar value of an event field.
type leaf struct {
	kind kind
	text string // the string's value, or the JSON text of other kinds
}

func (l leaf) number() (float64, bool) {
	if l.kind != kindNumber {
		return 0, false
	}
	f, err := strconv.ParseFloat(l.text, 64)
	return f, err == nil
}

// leavesOf lists the scalar values of a field: the value itself, or the
// scalars of an array (nested arrays flattened). Objects are not leaves.
func leavesOf(v any, present bool, out []leaf) []leaf {
	if !present {
		return out
	}
	switch x := v.(type) {
	case string:
		out = append(out, leaf{kindString, x})
	case json.Number:
		out = append(out, leaf{kindNumber, x.String()})
	case float64: // decoded without UseNumber
		out = append(out, leaf{kindNumber, strconv.FormatFloat(x, 'g', -1, 64)})
	case bool:
		out = append(out, leaf{kindBool, strconv.FormatBool(x)})
	case nil:
		out = append(out, leaf{kindNull, "null"})
	case []any:
		for _, e := range x {
			out = leavesOf(e, true, out)
		}
	}
	return out
}

// matcher is one match value of a leaf field.
type matcher struct {
	// exists, when set, makes this an exists matcher, which looks at
	// whether the field has any leaf at all.
	exists *bool
	// any other matcher matches when test holds for some leaf.
	test func(leaf) bool
}

func (m matcher) matches(leaves []leaf) bool {
	if m.exists != nil {
		return (len(leaves) > 0) == *m.exists
	}
	return slices.ContainsFunc(leaves, m.test)
}

func exists(want bool) matcher { return matcher{exists: &want} }

func exactString(s string) matcher {
	return matcher{test: func(l leaf) bool { return l.kind == kindString && l.text == s }}
}

// exactNumber matches a number with the same text or the same value. The
// page "Amazon EventBridge event patterns" says 300, 300.0 and 3.0e2 are
// not considered equal, but EventBridge (event-ruler adds a numeric-equals
// matcher next to the literal one) matches [300] against 300.0, as an AWS
// TestEventPattern call shows; the emulator does what AWS does.
func exactNumber(text string) matcher {
	want, err := strconv.ParseFloat(text, 64)
	numeric := err == nil
	return matcher{test: func(l leaf) bool {
		if l.kind != kindNumber {
			return false
		}
		if l.text == text {
			return true
		}
		f, ok := l.number()
		return numeric && ok && f == want
	}}
}

func exactLiteral(k kind, text string) matcher {
	return matcher{test: func(l leaf) bool { return l.kind == k && l.text == text }}
}

func prefix(p string, ignoreCase bool) matcher {
	if ignoreCase {
		lp := strings.ToLower(p)
		return matcher{test: func(l leaf) bool {
			return l.kind == kindString && strings.HasPrefix(strings.ToLower(l.text), lp)
		}}
	}
	return matcher{test: func(l leaf) bool { return l.kind == kindString && strings.HasPrefix(l.text, p) }}
}

func suffix(s string, ignoreCase bool) matcher {
	if ignoreCase {
		ls := strings.ToLower(s)
		return matcher{test: func(l leaf) bool {
			return l.kind == kindString && strings.HasSuffix(strings.ToLower(l.text), ls)
		}}
	}
	return matcher{test: func(l leaf) bool { return l.kind == kindString && strings.HasSuffix(l.text, s) }}
}

func equalsIgnoreCase(s string) matcher {
	return matcher{test: func(l leaf) bool { return l.kind == kindString && strings.EqualFold(l.text, s) }}
}

func matchWildcard(w wildcard) matcher {
	return matcher{test: func(l leaf) bool { return l.kind == kindString && w.match(l.text) }}
}

// match reports whether s matches the wildcard: the first segment is a
// prefix, the last a suffix, and the ones between appear in order.
func (w wildcard) match(s string) bool {
	if len(w) == 1 {
		return s == w[0]
	}
	first, last := w[0], w[len(w)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	rest := s[len(first) : len(s)-len(last)]
	for _, seg := range w[1 : len(w)-1] {
		i := strings.Index(rest, seg)
		if i < 0 {
			return false
		}
		rest = rest[i+len(seg):]
	}
	return true
}

type numRange struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func numeric(r numRange) matcher {
	return matcher{test: func(l leaf) bool {
		f, ok := l.number()
		if !ok {
			return false
		}
		if f < r.lo || (r.loOpen && f == r.lo) {
			return false
		}
		return f < r.hi || (!r.hiOpen && f == r.hi)
	}}
}

func cidr(p netip.Prefix) matcher {
	return matcher{test: func(l leaf) bool {
		if l.kind != kindString {
			return false
		}
		a, err := netip.ParseAddr(l.text)
		return err == nil && p.Contains(a.Unmap())
	}}
}

// anything-but matchers need the field to be present: they match any leaf
// that is not excluded. A leaf of another type than the excluded values is
// never excluded (event-ruler compares strings with strings and numbers
// with numbers, numerically).

func anythingButStrings(excluded []string) matcher {
	return matcher{test: func(l leaf) bool {
		return l.kind != kindString || !slices.Contains(excluded, l.text)
	}}
}

func anythingButNumbers(excluded []float64) matcher {
	return matcher{test: func(l leaf) bool {
		f, ok := l.number()
		return !ok || !slices.Contains(excluded, f)
	}}
}

func anythingButAffix(values []string, has func(s, affix string) bool) matcher {
	return matcher{test: func(l leaf) bool {
		if l.kind != kindString {
			return true
		}
		return !slices.ContainsFunc(values, func(v string) bool { return has(l.text, v) })
	}}
}

func anythingButIgnoreCase(values []string) matcher {
	return matcher{test: func(l leaf) bool {
		if l.kind != kindString {
			return true
		}
		return !slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(l.text, v) })
	}}
}

func anythingButWildcard(ws []wildcard) matcher {
	return matcher{test: func(l leaf) bool {
		if l.kind != kindString {
			return true
		}
		return !slices.ContainsFunc(ws, func(w wildcard) bool { return w.match(l.text) })
	}}
}

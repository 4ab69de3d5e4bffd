package apimodel

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Violation is one constraint of the model a request breaks.
type Violation struct {
	Path  string // the member as AWS names it: "tags.1.member.key"
	Shape string // the shape that states the constraint: "TagKeyType"
	Value any    // the offending value; nil when a required member is missing
	Rule  string // "Member must have length less than or equal to 128"
	// hidden: the value is not shown, as AWS does for sensitive members
	// and for values it does not print (structures, long lists).
	hidden bool
}

// String renders the violation in AWS's words.
func (v Violation) String() string {
	switch {
	case v.Value == nil:
		return fmt.Sprintf("Value null at '%s' failed to satisfy constraint: %s", v.Path, v.Rule)
	case v.hidden:
		return fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", v.Path, v.Rule)
	}
	return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", render(v.Value), v.Path, v.Rule)
}

// Message is the error message AWS's front end answers a request with
// these violations: "1 validation error detected: Value ... ; Value ...".
func Message(vs []Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	if len(vs) == 1 {
		return "1 validation error detected: " + parts[0]
	}
	return fmt.Sprintf("%d validation errors detected: %s", len(vs), strings.Join(parts, "; "))
}

// Options tune Validate.
type Options struct {
	// Required reports a missing required member ("Member must not be
	// null"), as AWS's JSON services do. Query services answer a missing
	// parameter with their own error (MissingParameter), so they leave it
	// to the operation.
	Required bool
}

// Validate checks a decoded request against the shape: the length, value,
// item, enum and pattern constraints of every member present, and with
// opts.Required the required members. The value is a tree as
// encoding/json (with UseNumber), a CBOR decoder or FromQuery produces:
// map[string]any, []any, string, json.Number or other numbers, bool,
// []byte. A value of the wrong kind is left alone: decoding the request
// into the operation's input reports it.
func (s *Shape) Validate(v any, opts Options) []Violation {
	c := checker{opts: opts}
	c.check(s, "", v, false)
	return c.out
}

type checker struct {
	opts Options
	out  []Violation
}

func (c *checker) add(s *Shape, path string, v any, rule string, hidden bool) {
	c.out = append(c.out, Violation{Path: path, Shape: s.Name, Value: v, Rule: rule, hidden: hidden})
}

func (c *checker) check(s *Shape, path string, v any, sensitive bool) {
	if v == nil {
		return
	}
	sensitive = sensitive || s.Sensitive
	switch s.Type {
	case "structure":
		c.structure(s, path, v, sensitive)
	case "list":
		l, ok := v.([]any)
		if !ok {
			return
		}
		for _, rule := range lengthRules(s, len(l)) {
			c.add(s, path, v, rule, sensitive || !scalars(l))
		}
		for i, e := range l {
			c.check(s.Member.Shape, fmt.Sprintf("%s.%d.member", path, i+1), e, sensitive)
		}
	case "map":
		c.mapping(s, path, v, sensitive)
	default:
		for _, rule := range scalarRules(s, v) {
			c.add(s, path, v, rule, sensitive)
		}
	}
}

func (c *checker) structure(s *Shape, path string, v any, sensitive bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for _, mem := range s.Members {
		child := memberPath(path, mem.Name)
		val, present := m[mem.Name]
		if !present || val == nil {
			if c.opts.Required && s.IsRequired(mem.Name) {
				c.add(mem.Shape, child, nil, "Member must not be null", false)
			}
			continue
		}
		c.check(mem.Shape, child, val, sensitive)
	}
}

// mapping checks a map's size, and its keys and values the way AWS words
// them: "Map keys must satisfy constraint: [Member must ...]".
func (c *checker) mapping(s *Shape, path string, v any, sensitive bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for _, rule := range lengthRules(s, len(m)) {
		c.add(s, path, v, rule, true)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if rules := scalarRules(s.Key.Shape, k); len(rules) > 0 {
			c.add(s.Key.Shape, path, k, "Map keys must satisfy constraint: ["+strings.Join(rules, ", ")+"]", sensitive)
		}
		vs := s.Value.Shape
		if vs.Type == "structure" || vs.Type == "list" || vs.Type == "map" {
			c.check(vs, path+"."+k, m[k], sensitive)
			continue
		}
		if rules := scalarRules(vs, m[k]); len(rules) > 0 {
			c.add(vs, path, m[k], "Map value must satisfy constraint: ["+strings.Join(rules, ", ")+"]", sensitive || vs.Sensitive)
		}
	}
}

// scalarRules lists the constraints a scalar value breaks.
func scalarRules(s *Shape, v any) []string {
	switch s.Type {
	case "string":
		str, ok := v.(string)
		if !ok {
			return nil
		}
		rules := lengthRules(s, utf8.RuneCountInString(str))
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			rules = append(rules, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
		}
		if !s.MatchesPattern(str) {
			rules = append(rules, "Member must satisfy regular expression pattern: "+s.Pattern)
		}
		return rules
	case "blob":
		n, ok := blobLen(v)
		if !ok {
			return nil
		}
		return lengthRules(s, n)
	case "integer", "long", "float", "double":
		f, ok := toFloat(v)
		if !ok {
			return nil
		}
		var rules []string
		if s.Min != nil && f < *s.Min {
			rules = append(rules, "Member must have value greater than or equal to "+format(*s.Min))
		}
		if s.Max != nil && f > *s.Max {
			rules = append(rules, "Member must have value less than or equal to "+format(*s.Max))
		}
		return rules
	}
	return nil
}

// lengthRules checks a length: of a string (in characters), a blob (in
// bytes), a list (in items) or a map (in entries).
func lengthRules(s *Shape, n int) []string {
	var rules []string
	if s.Min != nil && float64(n) < *s.Min {
		rules = append(rules, "Member must have length greater than or equal to "+format(*s.Min))
	}
	if s.Max != nil && float64(n) > *s.Max {
		rules = append(rules, "Member must have length less than or equal to "+format(*s.Max))
	}
	return rules
}

func blobLen(v any) (int, bool) {
	switch b := v.(type) {
	case []byte:
		return len(b), true
	case string: // base64 on the JSON and Query protocols
		d, err := base64.StdEncoding.DecodeString(b)
		if err != nil {
			return 0, false
		}
		return len(d), true
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

func format(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// memberPath names a member as AWS's messages do: lowerCamelCase, joined
// with dots ("filters.1.member.values").
func memberPath(parent, name string) string {
	r, size := utf8.DecodeRuneInString(name)
	name = string(unicode.ToLower(r)) + name[size:]
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func scalars(l []any) bool {
	for _, e := range l {
		switch e.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// render prints a value as AWS's messages do: strings and numbers as they
// are, a list of scalars as [a, b].
func render(v any) string {
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

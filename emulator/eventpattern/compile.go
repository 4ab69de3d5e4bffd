// Package eventpattern compiles and evaluates Amazon EventBridge event
// patterns, the JSON documents rules use to select events.
//
// The semantics follow the EventBridge user guide pages "Amazon EventBridge
// event patterns", "Content filtering in Amazon EventBridge event patterns",
// "Arrays in Amazon EventBridge event patterns" and "Matching null values and
// empty strings in Amazon EventBridge event patterns", and where those pages
// are silent, aws/event-ruler (the open-source matcher EventBridge is built
// on), including its rejection messages, which EventBridge returns as the
// reason of an InvalidEventPatternException.
//
// Supported: exact values (strings, numbers, true, false, null), arrays as
// OR, matching against array values in the event, nested objects, prefix
// and suffix (each optionally with equals-ignore-case), equals-ignore-case,
// wildcard, anything-but (a value, a list, or prefix / suffix /
// equals-ignore-case / wildcard), exists, numeric ranges, cidr, and $or.
package eventpattern

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Error says why a pattern is not valid. EventBridge reports it as an
// InvalidEventPatternException whose message is Error().
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "Event pattern is not valid. Reason: " + e.Reason }

func invalid(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Pattern is a compiled event pattern. It is safe for concurrent use.
type Pattern struct {
	root *object
}

// object is one level of a pattern: every field must match (AND), and for
// every $or group at least one alternative must match.
type object struct {
	fields []*field
	ors    [][]*object
}

// field is one named member of an object: either a nested object or a
// list of leaf matchers of which any may match (OR).
type field struct {
	name     string
	sub      *object
	matchers []matcher
}

// Compile parses and checks a pattern. The error, when not nil, is an
// *Error.
func Compile(pattern string) (*Pattern, error) {
	dec := json.NewDecoder(strings.NewReader(pattern))
	dec.UseNumber()
	c := &compiler{dec: dec}
	tok, err := c.token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, invalid("Filter is not an object")
	}
	root, err := c.object(false)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("Unexpected content after the end of the pattern object")
	}
	return &Pattern{root: root}, nil
}

// MustCompile is Compile for patterns known to be valid; it panics on error.
func MustCompile(pattern string) *Pattern {
	p, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return p
}

type compiler struct {
	dec *json.Decoder
}

func (c *compiler) token() (json.Token, error) {
	tok, err := c.dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, invalid("Unexpected end of input")
	}
	if err != nil {
		return nil, invalid("Malformed JSON: %v", err)
	}
	return tok, nil
}

// reservedInOr are names event-ruler refuses as field names inside $or,
// because they would be ambiguous with match expressions.
var reservedInOr = map[string]bool{
	"exactly": true, "equals-ignore-case": true, "prefix": true, "suffix": true,
	"anything-but": true, "exists": true, "wildcard": true, "numeric": true, "cidr": true,
	"=": true, "<": true, "<=": true, ">": true, ">=": true,
}

// object reads the members of an object whose '{' was consumed.
func (c *compiler) object(insideOr bool) (*object, error) {
	o := &object{}
	seen := map[string]int{}
	for {
		tok, err := c.token()
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			break
		}
		name, ok := tok.(string)
		if !ok {
			return nil, invalid("Malformed JSON: expected a field name")
		}
		if name == "$or" {
			alts, err := c.or()
			if err != nil {
				return nil, err
			}
			o.ors = append(o.ors, alts)
			continue
		}
		if insideOr && reservedInOr[name] {
			return nil, invalid("%s is Ruler reserved fieldName which cannot be used inside $or.", name)
		}
		tok, err = c.token()
		if err != nil {
			return nil, err
		}
		f := &field{name: name}
		switch tok {
		case json.Delim('{'):
			if f.sub, err = c.object(insideOr); err != nil {
				return nil, err
			}
		case json.Delim('['):
			if f.matchers, err = c.values(); err != nil {
				return nil, err
			}
		default:
			return nil, invalid("%q must be an object or an array", name)
		}
		// A repeated name overrides the earlier one, as in event-ruler
		// (an AWS TestEventPattern call confirms it).
		if i, ok := seen[name]; ok {
			o.fields[i] = f
			continue
		}
		seen[name] = len(o.fields)
		o.fields = append(o.fields, f)
	}
	if len(o.fields) == 0 && len(o.ors) == 0 {
		return nil, invalid("Empty objects are not allowed")
	}
	return o, nil
}

// or reads the array that follows a "$or" key.
func (c *compiler) or() ([]*object, error) {
	tok, err := c.token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, invalid("It must be an Array followed with $or.")
	}
	var alts []*object
	for {
		tok, err := c.token()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim(']') {
			break
		}
		if tok != json.Delim('{') {
			return nil, invalid("Only JSON object is allowed in array of $or relationship.")
		}
		alt, err := c.object(true)
		if err != nil {
			return nil, err
		}
		alts = append(alts, alt)
	}
	if len(alts) < 2 {
		return nil, invalid("There must have at least 2 Objects in $or relationship.")
	}
	return alts, nil
}

// values reads the match values of a leaf field, after its '['.
func (c *compiler) values() ([]matcher, error) {
	var ms []matcher
	for {
		tok, err := c.token()
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case ']':
				if len(ms) == 0 {
					return nil, invalid("Empty arrays are not allowed")
				}
				return ms, nil
			case '{':
				m, err := c.expression()
				if err != nil {
					return nil, err
				}
				ms = append(ms, m)
			default:
				return nil, invalid("Match value must be String, number, true, false, or null")
			}
		case string:
			ms = append(ms, exactString(v))
		case json.Number:
			ms = append(ms, exactNumber(v.String()))
		case bool:
			ms = append(ms, exactLiteral(kindBool, strconv.FormatBool(v)))
		case nil:
			ms = append(ms, exactLiteral(kindNull, "null"))
		}
	}
}

// expression reads a match expression such as {"prefix": "us-"}, after
// its '{'.
func (c *compiler) expression() (matcher, error) {
	tok, err := c.token()
	if err != nil {
		return matcher{}, err
	}
	name, ok := tok.(string)
	if !ok {
		return matcher{}, invalid("Match expression name not found")
	}
	var m matcher
	switch name {
	case "prefix", "suffix":
		m, err = c.affix(name)
	case "equals-ignore-case":
		var s string
		if s, err = c.stringValue("equals-ignore-case match pattern must be a string"); err == nil {
			m = equalsIgnoreCase(s)
		}
	case "wildcard":
		var s string
		if s, err = c.stringValue("wildcard match pattern must be a string"); err == nil {
			var w wildcard
			if w, err = parseWildcard(s); err == nil {
				m = matchWildcard(w)
			}
		}
	case "numeric":
		m, err = c.numeric()
	case "anything-but":
		m, err = c.anythingBut()
	case "exists":
		tok, err = c.token()
		if err == nil {
			b, isBool := tok.(bool)
			if !isBool {
				return matcher{}, invalid("exists match pattern must be either true or false.")
			}
			m = exists(b)
		}
	case "cidr":
		var s string
		// event-ruler's message for a non-string cidr really says prefix.
		if s, err = c.stringValue("prefix match pattern must be a string"); err == nil {
			var p netip.Prefix
			if p, err = parseCIDR(s); err == nil {
				m = cidr(p)
			}
		}
	default:
		return matcher{}, invalid("Unrecognized match type %s", name)
	}
	if err != nil {
		return matcher{}, err
	}
	if err := c.endObject("Only one key allowed in match expression"); err != nil {
		return matcher{}, err
	}
	return m, nil
}

func (c *compiler) endObject(reason string) error {
	tok, err := c.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('}') {
		return invalid("%s", reason)
	}
	return nil
}

func (c *compiler) stringValue(reason string) (string, error) {
	tok, err := c.token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", invalid("%s", reason)
	}
	return s, nil
}

// affix reads the value of a prefix or suffix expression: a string, or
// {"equals-ignore-case": string}.
func (c *compiler) affix(kind string) (matcher, error) {
	tok, err := c.token()
	if err != nil {
		return matcher{}, err
	}
	ignoreCase := false
	if tok == json.Delim('{') {
		tok, err = c.token()
		if err != nil {
			return matcher{}, err
		}
		op, _ := tok.(string)
		if op != "equals-ignore-case" {
			if kind == "prefix" {
				return matcher{}, invalid("Unsupported prefix pattern: %v", tok)
			}
			return matcher{}, invalid("Unsupported suffix pattern: %v", tok)
		}
		if tok, err = c.token(); err != nil {
			return matcher{}, err
		}
		if _, ok := tok.(string); !ok {
			return matcher{}, invalid("equals-ignore-case match pattern must be a string")
		}
		if err := c.endObject("Only one key allowed in match expression"); err != nil {
			return matcher{}, err
		}
		ignoreCase = true
	}
	s, ok := tok.(string)
	if !ok {
		return matcher{}, invalid("%s match pattern must be a string", kind)
	}
	if kind == "prefix" {
		return prefix(s, ignoreCase), nil
	}
	return suffix(s, ignoreCase), nil
}

// numeric reads ["op", n] or [">"|">=", n, "<"|"<=", m].
func (c *compiler) numeric() (matcher, error) {
	tok, err := c.token()
	if err != nil {
		return matcher{}, err
	}
	if tok != json.Delim('[') {
		return matcher{}, invalid("Value of numeric must be an array.")
	}
	var terms []json.Token
	for {
		tok, err := c.token()
		if err != nil {
			return matcher{}, err
		}
		if tok == json.Delim(']') {
			break
		}
		if _, isDelim := tok.(json.Delim); isDelim {
			return matcher{}, invalid("Invalid member in numeric match: %v", tok)
		}
		terms = append(terms, tok)
	}
	if len(terms) == 0 {
		return matcher{}, invalid("Invalid member in numeric match: ]")
	}
	op, ok := terms[0].(string)
	if !ok {
		return matcher{}, invalid("Invalid member in numeric match: %v", terms[0])
	}
	first, err := numberTerm(terms, 1, op)
	if err != nil {
		return matcher{}, err
	}
	r := numRange{lo: math.Inf(-1), hi: math.Inf(1)}
	switch op {
	case "=":
		r.lo, r.hi = first, first
	case "<", "<=":
		r.hi, r.hiOpen = first, op == "<"
	case ">", ">=":
		r.lo, r.loOpen = first, op == ">"
	default:
		return matcher{}, invalid("Unrecognized numeric range operator: %s", op)
	}
	if len(terms) == 2 {
		return numeric(r), nil
	}
	if op != ">" && op != ">=" {
		return matcher{}, invalid("Too many elements in numeric expression")
	}
	top, ok := terms[2].(string)
	if !ok {
		return matcher{}, invalid("Bad value in numeric range: %v", terms[2])
	}
	if top != "<" && top != "<=" {
		return matcher{}, invalid("Bad numeric range operator: %s", top)
	}
	second, err := numberTerm(terms, 3, top)
	if err != nil {
		return matcher{}, err
	}
	if len(terms) > 4 {
		return matcher{}, invalid("Too many terms in numeric range expression")
	}
	r.hi, r.hiOpen = second, top == "<"
	if r.lo > r.hi || (r.lo == r.hi && (r.loOpen || r.hiOpen)) {
		return matcher{}, invalid("Bottom must be less than top")
	}
	return numeric(r), nil
}

// numberTerm reads terms[i], the operand of op.
func numberTerm(terms []json.Token, i int, op string) (float64, error) {
	name := op
	if op == "=" {
		name = "equals"
	}
	if i >= len(terms) {
		return 0, invalid("Value of %s must be numeric", name)
	}
	n, ok := terms[i].(json.Number)
	if !ok {
		return 0, invalid("Value of %s must be numeric", name)
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return 0, invalid("Value of %s must be numeric", name)
	}
	return f, nil
}

// anythingBut reads the value of an anything-but expression.
func (c *compiler) anythingBut() (matcher, error) {
	tok, err := c.token()
	if err != nil {
		return matcher{}, err
	}
	if tok == json.Delim('{') {
		return c.anythingButOf()
	}
	switch v := tok.(type) {
	case string:
		return anythingButStrings([]string{v}), nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return matcher{}, invalid("Cannot compare number : %s", v)
		}
		return anythingButNumbers([]float64{f}), nil
	case json.Delim:
		if v != '[' {
			break
		}
		var strs []string
		var nums []float64
		for {
			tok, err := c.token()
			if err != nil {
				return matcher{}, err
			}
			if tok == json.Delim(']') {
				break
			}
			switch e := tok.(type) {
			case string:
				strs = append(strs, e)
			case json.Number:
				f, err := e.Float64()
				if err != nil {
					return matcher{}, invalid("Cannot compare number : %s", e)
				}
				nums = append(nums, f)
			default:
				return matcher{}, invalid("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		if (len(strs) > 0) == (len(nums) > 0) {
			return matcher{}, invalid("Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		if len(nums) > 0 {
			return anythingButNumbers(nums), nil
		}
		return anythingButStrings(strs), nil
	}
	return matcher{}, invalid("Value of anything-but must be an array or single string/number value.")
}

// anythingButOf reads {"prefix"|"suffix"|"equals-ignore-case"|"wildcard":
// string or [strings]} inside anything-but, after its '{'.
func (c *compiler) anythingButOf() (matcher, error) {
	tok, err := c.token()
	if err != nil {
		return matcher{}, err
	}
	op, ok := tok.(string)
	if !ok {
		return matcher{}, invalid("Anything-But expression name not found")
	}
	switch op {
	case "prefix", "suffix", "equals-ignore-case", "wildcard":
	default:
		return matcher{}, invalid("Unsupported anything-but pattern: %s", op)
	}
	typeReason := "prefix/suffix match pattern must be a string"
	switch op {
	case "equals-ignore-case":
		typeReason = "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
	case "wildcard":
		typeReason = "wildcard match pattern must be a string"
	}
	tok, err = c.token()
	if err != nil {
		return matcher{}, err
	}
	var values []string
	switch v := tok.(type) {
	case string:
		values = []string{v}
	case json.Delim:
		if v != '[' {
			return matcher{}, invalid("Value of anything-but must be an array or single string/number value.")
		}
		for {
			tok, err := c.token()
			if err != nil {
				return matcher{}, err
			}
			if tok == json.Delim(']') {
				break
			}
			s, ok := tok.(string)
			if !ok {
				return matcher{}, invalid("%s", typeReason)
			}
			values = append(values, s)
		}
	case json.Number:
		return matcher{}, invalid("%s", typeReason)
	default:
		return matcher{}, invalid("Value of anything-but must be an array or single string/number value.")
	}
	if len(values) == 0 {
		return matcher{}, invalid("Empty arrays are not allowed")
	}
	if (op == "prefix" || op == "suffix") && slices.Contains(values, "") {
		return matcher{}, invalid("Null prefix/suffix not allowed")
	}
	if err := c.endObject("Too many elements in numeric expression"); err != nil {
		return matcher{}, err
	}
	switch op {
	case "prefix":
		return anythingButAffix(values, strings.HasPrefix), nil
	case "suffix":
		return anythingButAffix(values, strings.HasSuffix), nil
	case "equals-ignore-case":
		return anythingButIgnoreCase(values), nil
	default:
		ws := make([]wildcard, len(values))
		for i, v := range values {
			if ws[i], err = parseWildcard(v); err != nil {
				return matcher{}, err
			}
		}
		return anythingButWildcard(ws), nil
	}
}

// parseCIDR reads an IPv4 or IPv6 CIDR block the way event-ruler does: a
// single '/', an integer mask, and a mask shorter than the address.
func parseCIDR(s string) (netip.Prefix, error) {
	addrPart, bitsPart, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(bitsPart, "/") {
		return netip.Prefix{}, invalid("Malformed CIDR, one '/' required")
	}
	bits, err := strconv.Atoi(bitsPart)
	if err != nil {
		return netip.Prefix{}, invalid("Malformed CIDR, mask bits must be an integer")
	}
	if bits < 0 {
		return netip.Prefix{}, invalid("Malformed CIDR, mask bits must not be negative")
	}
	addr, err := netip.ParseAddr(addrPart)
	if err != nil {
		return netip.Prefix{}, invalid("Nonstandard IP address: %s", addrPart)
	}
	if addr.Is4() && bits > 31 {
		return netip.Prefix{}, invalid("IPv4 mask bits must be < 32")
	}
	if addr.Is6() && bits > 127 {
		return netip.Prefix{}, invalid("IPv6 mask bits must be < 128")
	}
	return netip.PrefixFrom(addr, bits).Masked(), nil
}

// wildcard is a parsed wildcard pattern: literal segments separated by
// '*'. A pattern starting (ending) with '*' has an empty first (last)
// segment.
type wildcard []string

// parseWildcard splits a wildcard value on unescaped '*'. "\*" is a literal
// asterisk and "\\" a literal backslash; any other escape, and two
// consecutive wildcards, are errors. Positions in messages count the
// opening quote, as event-ruler's do.
func parseWildcard(s string) (wildcard, error) {
	var w wildcard
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return nil, invalid("Consecutive wildcard characters at pos %d", i+1)
			}
			w = append(w, cur.String())
			cur.Reset()
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\') {
				cur.WriteByte(s[i+1])
				i++
				continue
			}
			return nil, invalid("Invalid escape character at pos %d", i+1)
		default:
			cur.WriteByte(s[i])
		}
	}
	w = append(w, cur.String())
	if len(w)-1 > maxWildcards {
		return nil, invalid("Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character")
	}
	return w, nil
}

// maxWildcards approximates event-ruler's complexity limit, which AWS
// enforces: "*:*:*:*:*:event-bus/*" (six wildcards) is refused as too
// complex while patterns with a couple of wildcards are accepted. The real
// limit depends on the machine's worst-case event, which is not modelled.
const maxWildcards = 5

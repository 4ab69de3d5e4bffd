package eventbridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Input transformation, per "Amazon EventBridge input transformation" in
// the EventBridge user guide, with the details AWS shows in practice:
//
//   - A placeholder <name> names a key of InputPathsMap or a predefined
//     variable (aws.events.rule-arn, aws.events.rule-name,
//     aws.events.event.ingestion-time, aws.events.event,
//     aws.events.event.json). Any other placeholder is refused by
//     PutTargets: "InputTemplate for target ID contains invalid placeholder
//     NAME."
//   - Outside a JSON string a placeholder becomes the value as JSON: a
//     string is quoted, an object stays an object. A path that resolves to
//     nothing becomes "".
//   - Inside a JSON string a placeholder becomes the value's text: a string
//     without its quotes, a number or boolean as written, nothing for a
//     missing path. In a template that is itself one string
//     ("Payload of <payload>") objects and arrays are written as JSON with
//     their quotes removed ({acc_id:0a78,sf_id:baz}); in a JSON template
//     that is not valid, and the event is not delivered.
//   - A JSON template whose result is not valid JSON is not delivered.
//
// Deviation: AWS documents that it does not escape values put inside a
// string, so a value with a quote produces broken JSON; the emulator
// escapes such characters, which gives the same result for ordinary
// values and valid JSON for the others.

// Predefined variables of input templates.
const (
	varRuleARN       = "aws.events.rule-arn"
	varRuleName      = "aws.events.rule-name"
	varIngestionTime = "aws.events.event.ingestion-time"
	varEvent         = "aws.events.event"
	varEventJSON     = "aws.events.event.json"
)

var predefined = map[string]bool{varRuleARN: true, varRuleName: true, varIngestionTime: true, varEvent: true, varEventJSON: true}

var placeholderRE = regexp.MustCompile(`<([A-Za-z0-9_.\-]+)>`)

type inputTransformer struct {
	paths    map[string]string
	template string
}

// compileTransformer checks a target's InputTransformer.
func compileTransformer(targetID string, t *wireInputTransformer) (*inputTransformer, error) {
	for k := range t.InputPathsMap {
		if predefined[k] {
			return nil, errValidation("InputPathsMap for target %s contains reserved key %s.", targetID, k)
		}
	}
	for _, m := range placeholderRE.FindAllStringSubmatch(t.InputTemplate, -1) {
		if _, ok := t.InputPathsMap[m[1]]; !ok && !predefined[m[1]] {
			return nil, errValidation("InputTemplate for target %s contains invalid placeholder %s.", targetID, m[1])
		}
	}
	return &inputTransformer{paths: t.InputPathsMap, template: t.InputTemplate}, nil
}

// transformContext is what a template can refer to.
type transformContext struct {
	event         any    // the event, decoded with UseNumber
	eventJSON     []byte // the event as sent to targets
	eventNoDetail []byte // the value of <aws.events.event>
	ruleARN       string
	ruleName      string
	ingestionTime string
}

var errInvalidTransform = errors.New("the input transformer's output is not valid JSON")

// render fills the template.
func (t *inputTransformer) render(tc *transformContext) ([]byte, error) {
	jsonTemplate := strings.HasPrefix(strings.TrimSpace(t.template), "{") || strings.HasPrefix(strings.TrimSpace(t.template), "[")
	var out bytes.Buffer
	inString, escaped := false, false
	tpl := t.template
	for i := 0; i < len(tpl); i++ {
		ch := tpl[i]
		if ch == '<' {
			if m := placeholderRE.FindStringSubmatchIndex(tpl[i:]); m != nil && m[0] == 0 {
				name := tpl[i+m[2] : i+m[3]]
				if err := t.substitute(&out, name, tc, inString, jsonTemplate); err != nil {
					return nil, err
				}
				i += m[1] - 1
				escaped = false
				continue
			}
		}
		out.WriteByte(ch)
		switch {
		case escaped:
			escaped = false
		case ch == '\\' && inString:
			escaped = true
		case ch == '"':
			inString = !inString
		}
	}
	if jsonTemplate && !json.Valid(out.Bytes()) {
		return nil, errInvalidTransform
	}
	return out.Bytes(), nil
}

func (t *inputTransformer) substitute(out *bytes.Buffer, name string, tc *transformContext, inString, jsonTemplate bool) error {
	var raw []byte // the value as JSON; nil when missing
	switch name {
	case varRuleARN:
		raw = marshal(tc.ruleARN)
	case varRuleName:
		raw = marshal(tc.ruleName)
	case varIngestionTime:
		raw = marshal(tc.ingestionTime)
	case varEvent:
		raw = tc.eventNoDetail
	case varEventJSON:
		raw = tc.eventJSON
	default:
		if v, ok := jsonPath(tc.event, t.paths[name]); ok {
			raw = marshal(v)
		}
	}
	if !inString {
		if raw == nil {
			raw = []byte(`""`)
		}
		out.Write(raw)
		return nil
	}
	if raw == nil {
		return nil
	}
	switch raw[0] {
	case '"':
		// The string's JSON escapes stay, so that the result is JSON.
		out.Write(raw[1 : len(raw)-1])
	case '{', '[':
		if jsonTemplate {
			return errInvalidTransform
		}
		out.Write(bytes.ReplaceAll(compactJSON(raw), []byte(`"`), nil))
	default:
		out.Write(raw)
	}
	return nil
}

// marshal encodes v as compact JSON without escaping <, > and &, so that
// values keep their text.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

// jsonPath evaluates the JSONPath subset EventBridge input paths use: $,
// .name, ['name'] or ["name"], and [index]. A path that does not parse or
// leads nowhere yields ok false.
func jsonPath(v any, path string) (any, bool) {
	if !strings.HasPrefix(path, "$") {
		return nil, false
	}
	p := path[1:]
	for p != "" {
		switch {
		case p[0] == '.':
			p = p[1:]
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			name := p[:end]
			p = p[end:]
			if name == "" {
				return nil, false
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[name]; !ok {
				return nil, false
			}
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, false
			}
			sel := p[1:end]
			p = p[end+1:]
			if len(sel) >= 2 && (sel[0] == '\'' || sel[0] == '"') && sel[len(sel)-1] == sel[0] {
				m, ok := v.(map[string]any)
				if !ok {
					return nil, false
				}
				if v, ok = m[sel[1:len(sel)-1]]; !ok {
					return nil, false
				}
				continue
			}
			i, err := strconv.Atoi(sel)
			if err != nil {
				return nil, false
			}
			a, ok := v.([]any)
			if !ok || i < 0 || i >= len(a) {
				return nil, false
			}
			v = a[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// targetInput computes what a target receives for an event: Input,
// the part InputPath selects, the InputTransformer's output, or the event.
func (t *target) input(tc *transformContext) ([]byte, error) {
	switch {
	case t.spec.Input != nil:
		return []byte(*t.spec.Input), nil
	case t.spec.InputPath != nil:
		v, ok := jsonPath(tc.event, *t.spec.InputPath)
		if !ok {
			return []byte("null"), nil
		}
		return marshal(v), nil
	case t.transformer != nil:
		out, err := t.transformer.render(tc)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.spec.ID, err)
		}
		return out, nil
	default:
		return tc.eventJSON, nil
	}
}

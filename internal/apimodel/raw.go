package apimodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// The model as botocore writes it, keeping what validation needs (shapes,
// constraints, wire names) and dropping documentation.

type rawModel struct {
	Version    string                   `json:"version,omitempty"`
	Metadata   map[string]any           `json:"metadata"`
	Operations map[string]*rawOperation `json:"operations"`
	Shapes     map[string]*rawShape     `json:"shapes"`
}

type rawOperation struct {
	Name   string  `json:"name"`
	Input  *rawRef `json:"input,omitempty"`
	Output *rawRef `json:"output,omitempty"`
}

type rawRef struct {
	Shape        string `json:"shape"`
	LocationName string `json:"locationName,omitempty"`
	QueryName    string `json:"queryName,omitempty"`
	Flattened    bool   `json:"flattened,omitempty"`
}

type rawShape struct {
	Type      string       `json:"type"`
	Required  []string     `json:"required,omitempty"`
	Members   orderedRefs  `json:"members,omitempty"`
	Member    *rawRef      `json:"member,omitempty"`
	Key       *rawRef      `json:"key,omitempty"`
	Value     *rawRef      `json:"value,omitempty"`
	Min       *json.Number `json:"min,omitempty"`
	Max       *json.Number `json:"max,omitempty"`
	Pattern   string       `json:"pattern,omitempty"`
	Enum      []string     `json:"enum,omitempty"`
	Sensitive bool         `json:"sensitive,omitempty"`
	Flattened bool         `json:"flattened,omitempty"`
}

type namedRef struct {
	Name string
	rawRef
}

// orderedRefs are a structure's members in the order the model lists
// them, which is the order AWS reports violations in.
type orderedRefs []namedRef

func (o *orderedRefs) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("members: want an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var r rawRef
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("member %v: %w", t, err)
		}
		*o = append(*o, namedRef{Name: t.(string), rawRef: r})
	}
	_, err := dec.Token()
	return err
}

func (o orderedRefs) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Name)
		v, err := json.Marshal(m.rawRef)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// keptMetadata is the metadata a trimmed model keeps.
var keptMetadata = []string{"apiVersion", "endpointPrefix", "jsonVersion", "protocol", "protocols",
	"serviceId", "signingName", "targetPrefix", "xmlNamespace", "awsQueryCompatible"}

// Trim returns the model cut down to the input shapes of the given
// operations and the shapes they reach, without documentation: what a
// service needs to validate its requests.
func (m *Model) Trim(operations ...string) (*Model, error) {
	out := rawModel{Version: m.raw.Version, Metadata: map[string]any{},
		Operations: map[string]*rawOperation{}, Shapes: map[string]*rawShape{}}
	for _, k := range keptMetadata {
		if v, ok := m.raw.Metadata[k]; ok {
			out.Metadata[k] = v
		}
	}
	var keep func(name string)
	keep = func(name string) {
		if _, done := out.Shapes[name]; done || name == "" {
			return
		}
		src, ok := m.raw.Shapes[name]
		if !ok {
			return
		}
		rs := *src
		out.Shapes[name] = &rs
		for _, mem := range rs.Members {
			keep(mem.Shape)
		}
		for _, r := range []*rawRef{rs.Member, rs.Key, rs.Value} {
			if r != nil {
				keep(r.Shape)
			}
		}
	}
	for _, name := range operations {
		ro, ok := m.raw.Operations[name]
		if !ok {
			return nil, fmt.Errorf("apimodel: %s %s has no operation %q", m.EndpointPrefix(), m.APIVersion(), name)
		}
		op := &rawOperation{Name: name, Input: ro.Input}
		out.Operations[name] = op
		if ro.Input != nil {
			keep(ro.Input.Shape)
		}
	}
	return resolve(out)
}

// MarshalJSON writes the model in botocore's format, keys sorted, so that
// a trimmed model can be committed and compared.
func (m *Model) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("{\n")
	meta, err := json.Marshal(m.raw.Metadata)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, "  \"version\": %q,\n  \"metadata\": %s,\n  \"operations\": {\n", m.raw.Version, meta)
	if err := writeSorted(&b, m.raw.Operations); err != nil {
		return nil, err
	}
	b.WriteString("  },\n  \"shapes\": {\n")
	if err := writeSorted(&b, m.raw.Shapes); err != nil {
		return nil, err
	}
	b.WriteString("  }\n}\n")
	return b.Bytes(), nil
}

// writeSorted writes one line per entry, so that a diff of two versions
// of a trimmed model shows the shapes that changed.
func writeSorted[V any](b *bytes.Buffer, m map[string]V) error {
	keys := slices.Sorted(maps.Keys(m))
	for i, k := range keys {
		v, err := json.Marshal(m[k])
		if err != nil {
			return err
		}
		sep := ","
		if i == len(keys)-1 {
			sep = ""
		}
		fmt.Fprintf(b, "    %q: %s%s\n", k, v, sep)
	}
	return nil
}

// ShapeJSON is one shape as the model states it (documentation left out),
// for comparing two models shape by shape.
func (m *Model) ShapeJSON(name string) (string, bool) {
	rs, ok := m.raw.Shapes[name]
	if !ok {
		return "", false
	}
	b, _ := json.Marshal(rs)
	return string(b), true
}

// ShapeNames lists the shapes, sorted.
func (m *Model) ShapeNames() []string { return slices.Sorted(maps.Keys(m.raw.Shapes)) }

package sns

import (
	"maps"
	"slices"
	"strings"

	"github.com/ecprov/ecprov/emulator/protocol/query"
)

// The result elements of the actions served, in the XML shapes the SDKs
// parse (<Action>Result content).

type attributeEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type attributeMap struct {
	Entries []attributeEntry `xml:"entry"`
}

func toAttributeMap(m map[string]string) attributeMap {
	var out attributeMap
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out.Entries = append(out.Entries, attributeEntry{Key: k, Value: m[k]})
	}
	return out
}

type createTopicResult struct {
	TopicArn string `xml:"TopicArn"`
}

type getAttributesResult struct {
	Attributes attributeMap `xml:"Attributes"`
}

type topicMember struct {
	TopicArn string `xml:"TopicArn"`
}

type listTopicsResult struct {
	Topics    []topicMember `xml:"Topics>member"`
	NextToken string        `xml:"NextToken,omitempty"`
}

type subscribeResult struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
}

type subscriptionMember struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicArn        string `xml:"TopicArn"`
}

type listSubscriptionsResult struct {
	Subscriptions []subscriptionMember `xml:"Subscriptions>member"`
	NextToken     string               `xml:"NextToken,omitempty"`
}

type publishResult struct {
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

// emptyResult is the empty Result element of actions whose output has no
// members but which the SDKs still expect (TagResource, UntagResource).
type emptyResult struct{}

type tagMember struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type listTagsResult struct {
	Tags []tagMember `xml:"Tags>member"`
}

// Parameter readers for the Query encodings of SNS's maps and lists.

// mapParam reads a map sent as Name.entry.N.key / Name.entry.N.value.
func mapParam(p query.Params, name string) map[string]string {
	entries := p.Structs(name)
	if entries == nil {
		return nil
	}
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		m[e.String("key")] = e.String("value")
	}
	return m
}

// tagsParam reads Tags.member.N.Key / Tags.member.N.Value; duplicate keys
// are refused, as SNS does.
func tagsParam(p query.Params, name string) (map[string]string, error) {
	members := p.Structs(name)
	if members == nil {
		return nil, nil
	}
	m := make(map[string]string, len(members))
	for _, t := range members {
		k := t.String("Key")
		if _, dup := m[k]; dup {
			return nil, invalidParameter("Invalid parameter: Duplicated keys are not allowed.")
		}
		m[k] = t.String("Value")
	}
	return m, nil
}

// messageAttribute is one MessageAttributes entry of Publish.
type messageAttribute struct {
	Name, DataType, StringValue, BinaryValue string
	hasString, hasBinary                     bool
}

func messageAttributesParam(p query.Params) []messageAttribute {
	var out []messageAttribute
	for _, e := range p.Structs("MessageAttributes") {
		out = append(out, messageAttribute{
			Name:        e.String("Name"),
			DataType:    e.String("Value.DataType"),
			StringValue: e.String("Value.StringValue"),
			BinaryValue: e.String("Value.BinaryValue"),
			hasString:   e.Has("Value.StringValue"),
			hasBinary:   e.Has("Value.BinaryValue"),
		})
	}
	return out
}

func tagMembers(m map[string]string) []tagMember {
	out := make([]tagMember, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, tagMember{Key: k, Value: m[k]})
	}
	return out
}

// arnElements counts the colon-separated elements of an ARN, for SNS's
// "An ARN must have at least 6 elements, not N" check.
func arnElements(arn string) int {
	return len(strings.Split(arn, ":"))
}

package elasticache

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/ecprov/ecprov/emulator/protocol/query"
)

const maxTagsPerResource = 50

func readTags(p query.Params) ([]tag, error) {
	var out []tag
	for _, t := range p.Structs("Tags") {
		k, v := t.String("Key"), t.String("Value")
		if k == "" {
			return nil, invalidValue("Each tag needs a Key.")
		}
		if len(k) > 128 || len(v) > 256 {
			return nil, invalidValue("Tag %q is too long: keys are at most 128 characters and values at most 256.", k)
		}
		if strings.HasPrefix(lower(k), "aws:") {
			return nil, invalidValue("Tag keys starting with \"aws:\" are reserved for AWS (got %q).", k)
		}
		out = append(out, tag{key: k, value: v})
	}
	if len(out) > maxTagsPerResource {
		return nil, newError(http.StatusBadRequest, codeTagQuotaPerResourceExceeded, "A resource can have at most %d tags; %d were given.", maxTagsPerResource, len(out))
	}
	return out, nil
}

// setTags merges tags into a resource's tags (same key: value replaced).
// Callers hold s.mu.
func (s *Service) setTags(arn string, tags []tag) *apiError {
	cur := s.tags[arn]
	for _, t := range tags {
		replaced := false
		for i := range cur {
			if cur[i].key == t.key {
				cur[i].value, replaced = t.value, true
			}
		}
		if !replaced {
			cur = append(cur, t)
		}
	}
	if len(cur) > maxTagsPerResource {
		return newError(http.StatusBadRequest, codeTagQuotaPerResourceExceeded, "%s would have %d tags; a resource can have at most %d.", arn, len(cur), maxTagsPerResource)
	}
	s.tags[arn] = cur
	return nil
}

func wireTags(tags []tag) []wireTag {
	out := []wireTag{}
	for _, t := range tags {
		out = append(out, wireTag{Key: t.key, Value: t.value})
	}
	return out
}

var arnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:elasticache:([a-z0-9-]+):(\d{12}):(replicationgroup|cluster|parametergroup|subnetgroup|snapshot|user|usergroup|serverlesscache|reserved-instance|globalreplicationgroup|securitygroup|serverlesscachesnapshot):(.+)$`)

// resolveARN checks that an ARN names an existing resource of this service.
// Callers hold s.mu.
func (s *Service) resolveARN(arn string) *apiError {
	m := arnPattern.FindStringSubmatch(arn)
	if m == nil {
		return newError(http.StatusBadRequest, codeInvalidARN, "The ARN %q is not a valid ElastiCache ARN; it looks like arn:aws:elasticache:%s:%s:replicationgroup:my-group.", arn, s.opts.Region, s.opts.AccountID)
	}
	kind, name := m[3], m[4]
	if m[1] != s.opts.Region || m[2] != s.opts.AccountID {
		return newError(http.StatusBadRequest, codeInvalidARN, "The ARN %q is for region %s account %s; this endpoint serves %s account %s.", arn, m[1], m[2], s.opts.Region, s.opts.AccountID)
	}
	switch kind {
	case arnReplicationGroup:
		if _, ok := s.groups[name]; !ok {
			return replicationGroupNotFound(name)
		}
	case arnCluster:
		for _, g := range s.groups {
			if g.node(name) != nil {
				return nil
			}
		}
		return cacheClusterNotFound(name)
	case arnParameterGroup:
		if _, ok := s.paramGroups[name]; !ok {
			return paramGroupNotFound(name)
		}
	case arnSubnetGroup:
		if _, ok := s.subnetGroups[name]; !ok {
			return subnetGroupNotFound(name)
		}
	case arnSnapshot:
		if _, ok := s.snapshots[name]; !ok {
			return snapshotNotFound(name)
		}
	default:
		return newError(http.StatusBadRequest, codeInvalidARN, "The emulator does not keep %s resources (ARN %q).", kind, arn)
	}
	return nil
}

func (s *Service) listTagsForResource(ctx context.Context, p query.Params) (any, error) {
	arn := p.String("ResourceName")
	if arn == "" {
		return nil, missingParameter("ResourceName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.resolveARN(arn); err != nil {
		return nil, err
	}
	return tagListResult{TagList: wireTags(s.tags[arn])}, nil
}

func (s *Service) addTagsToResource(ctx context.Context, p query.Params) (any, error) {
	arn := p.String("ResourceName")
	if arn == "" {
		return nil, missingParameter("ResourceName")
	}
	tags, err := readTags(p)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, missingParameter("Tags")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.resolveARN(arn); err != nil {
		return nil, err
	}
	if err := s.setTags(arn, tags); err != nil {
		return nil, err
	}
	return tagListResult{TagList: wireTags(s.tags[arn])}, nil
}

func (s *Service) removeTagsFromResource(ctx context.Context, p query.Params) (any, error) {
	arn := p.String("ResourceName")
	if arn == "" {
		return nil, missingParameter("ResourceName")
	}
	keys := p.List("TagKeys")
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.resolveARN(arn); err != nil {
		return nil, err
	}
	cur := s.tags[arn]
	for _, k := range keys {
		found := false
		for i := range cur {
			if cur[i].key == k {
				cur = append(cur[:i], cur[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			return nil, newError(http.StatusNotFound, codeTagNotFound, "Tag %q is not on %s.", k, arn)
		}
	}
	s.tags[arn] = cur
	return tagListResult{TagList: wireTags(cur)}, nil
}

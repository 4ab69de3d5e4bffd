package secretsmanager

import (
	"strings"
	"unicode"
)

// compileFilters turns ListSecrets filters into one predicate. Filters are
// ANDed, the values of one filter ORed; a value starting with "!" negates.
// Matching is by prefix, case-sensitive except for description and all
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html).
func compileFilters(filters []filter) (func(*secret) bool, error) {
	type clause struct {
		fields func(*secret) []string
		fold   bool
		values []string
	}
	var clauses []clause
	for _, f := range filters {
		c := clause{values: f.Values}
		switch f.Key {
		case "name":
			c.fields = func(s *secret) []string { return []string{s.name} }
		case "description":
			c.fields = func(s *secret) []string { return []string{s.description} }
			c.fold = true
		case "tag-key":
			c.fields = func(s *secret) []string { return tagFields(s, func(t Tag) string { return t.Key }) }
		case "tag-value":
			c.fields = func(s *secret) []string { return tagFields(s, func(t Tag) string { return t.Value }) }
		case "primary-region":
			c.fields = func(*secret) []string { return nil }
		case "owning-service":
			c.fields = func(*secret) []string { return nil }
		case "all":
			c.fields = allWords
			c.fold = true
		default:
			return nil, errValidation("1 validation error detected: Value '%s' at 'filters.key' failed to satisfy constraint: Member must satisfy enum value set: [all, name, tag-key, description, tag-value, primary-region, owning-service]", f.Key)
		}
		clauses = append(clauses, c)
	}
	return func(s *secret) bool {
		for _, c := range clauses {
			fields := c.fields(s)
			matched := false
			for _, v := range c.values {
				negate := strings.HasPrefix(v, "!")
				v = strings.TrimPrefix(v, "!")
				if prefixMatch(fields, v, c.fold) != negate {
					matched = true
					break
				}
			}
			if !matched {
				return false
			}
		}
		return true
	}, nil
}

func tagFields(s *secret, part func(Tag) string) []string {
	out := make([]string, 0, len(s.tags))
	for _, t := range s.tags {
		out = append(out, part(t))
	}
	return out
}

// allWords splits name, description and tags into words, as the "all"
// filter searches words rather than whole attributes.
func allWords(s *secret) []string {
	var words []string
	attrs := append([]string{s.name, s.description}, tagFields(s, func(t Tag) string { return t.Key + " " + t.Value })...)
	for _, a := range attrs {
		words = append(words, strings.FieldsFunc(a, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})...)
	}
	return words
}

func prefixMatch(fields []string, prefix string, fold bool) bool {
	for _, f := range fields {
		if fold {
			if strings.HasPrefix(strings.ToLower(f), strings.ToLower(prefix)) {
				return true
			}
		} else if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

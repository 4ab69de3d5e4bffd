package secretsmanager

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Staging labels with a meaning to Secrets Manager.
const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

// maxDeprecatedVersions is how many versions without staging labels a secret
// keeps; AWS drops older ones in the background.
const maxDeprecatedVersions = 100

// The model: secrets with versions and staging labels. Nothing in this file
// knows about the wire.

type secret struct {
	name, arn   string
	description string
	kmsKeyID    string
	tags        []Tag
	versions    []*version // oldest first
	created     time.Time
	changed     time.Time
	accessed    *time.Time // day granularity, as AWS reports it
	// deleted is when DeleteSecret was called; purgeAt is when the recovery
	// window ends and the secret is gone for good.
	deleted *time.Time
	purgeAt time.Time
}

type version struct {
	id       string
	value    value
	stages   []string
	created  time.Time
	accessed *time.Time
}

// value is a secret value: a string or a binary, never both.
type value struct {
	str *string
	bin []byte
}

func (v value) empty() bool { return v.str == nil && v.bin == nil }

func (v value) equal(o value) bool {
	if (v.str == nil) != (o.str == nil) || (v.str != nil && *v.str != *o.str) {
		return false
	}
	return (v.bin == nil) == (o.bin == nil) && bytes.Equal(v.bin, o.bin)
}

func (s *secret) version(id string) *version {
	for _, v := range s.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

func (s *secret) staged(stage string) *version {
	for _, v := range s.versions {
		if slices.Contains(v.stages, stage) {
			return v
		}
	}
	return nil
}

// addVersion records a new version and moves the given staging labels onto
// it. Moving AWSCURRENT hands AWSPREVIOUS to the version that held
// AWSCURRENT, which is how AWS lets clients roll back one step.
func (s *secret) addVersion(id string, val value, stages []string, now time.Time) *version {
	v := &version{id: id, value: val, created: now}
	s.versions = append(s.versions, v)
	s.moveStages(v, stages)
	s.changed = now
	s.dropDeprecated()
	return v
}

func (s *secret) moveStages(to *version, stages []string) {
	var previous *version
	for _, stage := range stages {
		for _, v := range s.versions {
			if v == to || !slices.Contains(v.stages, stage) {
				continue
			}
			v.stages = slices.DeleteFunc(v.stages, func(s string) bool { return s == stage })
			if stage == stageCurrent {
				previous = v
			}
		}
		if !slices.Contains(to.stages, stage) {
			to.stages = append(to.stages, stage)
		}
	}
	if previous != nil {
		for _, v := range s.versions {
			v.stages = slices.DeleteFunc(v.stages, func(s string) bool { return s == stagePrevious })
		}
		previous.stages = append(previous.stages, stagePrevious)
	}
}

func (s *secret) dropDeprecated() {
	deprecated := 0
	for _, v := range s.versions {
		if len(v.stages) == 0 {
			deprecated++
		}
	}
	s.versions = slices.DeleteFunc(s.versions, func(v *version) bool {
		if len(v.stages) == 0 && deprecated > maxDeprecatedVersions {
			deprecated--
			return true
		}
		return false
	})
}

// versionStages maps version ids to their labels, for versions that have
// any (AWS leaves deprecated versions out).
func (s *secret) versionStages() map[string][]string {
	m := map[string][]string{}
	for _, v := range s.versions {
		if len(v.stages) > 0 {
			m[v.id] = slices.Clone(v.stages)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func (s *secret) setTags(tags []Tag) {
	for _, t := range tags {
		i := slices.IndexFunc(s.tags, func(o Tag) bool { return o.Key == t.Key })
		if i >= 0 {
			s.tags[i].Value = t.Value
		} else {
			s.tags = append(s.tags, t)
		}
	}
}

// store holds the secrets of one account and region.
type store struct {
	region, account string
	now             func() time.Time

	mu      sync.Mutex
	secrets map[string]*secret // by name
}

func newStore(region, account string, now func() time.Time) *store {
	return &store{region: region, account: account, now: now, secrets: map[string]*secret{}}
}

// purgeExpired forgets secrets whose recovery window has ended. Callers hold mu.
func (st *store) purgeExpired(now time.Time) {
	for name, s := range st.secrets {
		if s.deleted != nil && !now.Before(s.purgeAt) {
			delete(st.secrets, name)
		}
	}
}

// find looks a secret up by name, full ARN or partial ARN (the ARN without
// its random suffix), as AWS accepts all three. Callers hold mu.
func (st *store) find(id string) (*secret, error) {
	st.purgeExpired(st.now())
	if s, ok := st.secrets[id]; ok {
		return s, nil
	}
	if strings.HasPrefix(id, "arn:") {
		for _, s := range st.secrets {
			if s.arn == id || s.arn[:len(s.arn)-len("-XXXXXX")] == id {
				return s, nil
			}
		}
	}
	return nil, errSecretNotFound()
}

func (st *store) newARN(name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", st.region, st.account, name, randomSuffix())
}

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = suffixChars[int(b[i])%len(suffixChars)]
	}
	return string(b[:])
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)

// validateName applies the naming rule of the Secrets Manager
// documentation ("CreateSecret: Name"); the model's NameType states only
// the length (1 to 512), which the dispatcher checks.
func validateName(name string) error {
	if !namePattern.MatchString(name) {
		return errValidation("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	return nil
}

// token returns the caller's ClientRequestToken, or a fresh one when the
// caller sent none (SDKs and the CLI always send one). Its length (32 to
// 64, ClientRequestTokenType) is checked by the dispatcher.
func token(t string) string {
	if t == "" {
		return newToken()
	}
	return t
}

// maxValueBytes is the size of a secret value: "Secret value size: 65,536
// bytes" (Secrets Manager quotas). The model's SecretStringType (max
// 65536) counts characters, which the dispatcher checks; this also holds
// a string of multi-byte characters to the quota.
const maxValueBytes = 65536

func newValue(str *string, bin []byte) (value, error) {
	if str != nil && bin != nil {
		return value{}, errInvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if str != nil && len(*str) > maxValueBytes {
		return value{}, errValidation("1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to %d", maxValueBytes)
	}
	return value{str: str, bin: bin}, nil
}

// maxTags is how many tags a secret can have: "Maximum number of tags per
// secret: 50" (Secrets Manager API Reference, TagResource). The model's
// TagListType states no maximum, so this is a rule of the service rather
// than of the front end; AWS answers it with InvalidParameterException.
const maxTags = 50

// checkTags refuses tags that would leave the secret with more than
// maxTags; a key it has already is replaced, not added.
func (s *secret) checkTags(tags []Tag) error {
	keys := map[string]bool{}
	for _, t := range slices.Concat(s.tags, tags) {
		keys[t.Key] = true
	}
	if len(keys) > maxTags {
		return errInvalidParameter("The secret would have %d tags; a secret can have at most %d. Remove tags with UntagResource, or tag it with fewer.", len(keys), maxTags)
	}
	return nil
}

func today(t time.Time) *time.Time {
	d := t.UTC().Truncate(24 * time.Hour)
	return &d
}

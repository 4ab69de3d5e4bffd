package secretsmanager

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
)

// One handler per operation, named after it. Each holds the store's lock
// for the whole operation, so an operation is atomic as it is on AWS.

func (svc *Service) createSecret(_ context.Context, in *createSecretInput) (*createSecretOutput, error) {
	if err := validateName(in.Name); err != nil {
		return nil, err
	}
	val, err := newValue(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	tok := token(in.ClientRequestToken)
	if err := (&secret{}).checkTags(in.Tags); err != nil {
		return nil, err
	}

	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	st.purgeExpired(now)

	if s, ok := st.secrets[in.Name]; ok {
		if s.deleted != nil {
			return nil, errCreateScheduledForDeletion()
		}
		// A retried CreateSecret (same token, same value) succeeds again.
		if v := s.version(tok); v != nil {
			if !v.value.equal(val) {
				return nil, errTokenInUse(tok, s.arn)
			}
			return &createSecretOutput{ARN: s.arn, Name: s.name, VersionID: v.id}, nil
		}
		return nil, errSecretExists(in.Name)
	}

	s := &secret{
		name:        in.Name,
		arn:         st.newARN(in.Name),
		description: in.Description,
		kmsKeyID:    in.KmsKeyID,
		created:     now,
		changed:     now,
	}
	s.setTags(in.Tags)
	out := &createSecretOutput{ARN: s.arn, Name: s.name}
	if !val.empty() {
		out.VersionID = s.addVersion(tok, val, []string{stageCurrent}, now).id
	}
	st.secrets[s.name] = s
	svc.log.Info("secret created", "name", s.name, "arn", s.arn, "versionId", out.VersionID)
	return out, nil
}

func (svc *Service) putSecretValue(_ context.Context, in *putSecretValueInput) (*putSecretValueOutput, error) {
	val, err := newValue(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	if val.empty() {
		return nil, errInvalidRequest("You must provide either SecretString or SecretBinary.")
	}
	tok := token(in.ClientRequestToken)
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}

	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s, err := st.find(in.SecretID)
	if err != nil {
		return nil, err
	}
	if s.deleted != nil {
		return nil, errMarkedForDeletion()
	}
	if v := s.version(tok); v != nil {
		if !v.value.equal(val) {
			return nil, errTokenInUse(tok, s.arn)
		}
		return &putSecretValueOutput{ARN: s.arn, Name: s.name, VersionID: v.id, VersionStages: slices.Clone(v.stages)}, nil
	}
	v := s.addVersion(tok, val, stages, st.now())
	return &putSecretValueOutput{ARN: s.arn, Name: s.name, VersionID: v.id, VersionStages: slices.Clone(v.stages)}, nil
}

func (svc *Service) updateSecret(_ context.Context, in *updateSecretInput) (*updateSecretOutput, error) {
	val, err := newValue(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	tok := token(in.ClientRequestToken)

	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s, err := st.find(in.SecretID)
	if err != nil {
		return nil, err
	}
	if s.deleted != nil {
		return nil, errMarkedForDeletion()
	}
	out := &updateSecretOutput{ARN: s.arn, Name: s.name}
	if !val.empty() {
		if v := s.version(tok); v != nil {
			if !v.value.equal(val) {
				return nil, errTokenInUse(tok, s.arn)
			}
			out.VersionID = v.id
			return out, nil
		}
	}
	now := st.now()
	if in.Description != nil {
		s.description = *in.Description
	}
	if in.KmsKeyID != nil {
		s.kmsKeyID = *in.KmsKeyID
	}
	s.changed = now
	if !val.empty() {
		out.VersionID = s.addVersion(tok, val, []string{stageCurrent}, now).id
	}
	return out, nil
}

func (svc *Service) getSecretValue(_ context.Context, in *getSecretValueInput) (*getSecretValueOutput, error) {
	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s, err := st.find(in.SecretID)
	if err != nil {
		return nil, err
	}
	if s.deleted != nil {
		return nil, errMarkedForDeletion()
	}

	var v *version
	switch {
	case in.VersionID != "":
		if v = s.version(in.VersionID); v == nil {
			return nil, errValueNotFound("VersionId", in.VersionID)
		}
		if in.VersionStage != "" && !slices.Contains(v.stages, in.VersionStage) {
			return nil, errInvalidRequest("You provided a VersionStage that is not associated to the provided VersionId.")
		}
	default:
		stage := in.VersionStage
		if stage == "" {
			stage = stageCurrent
		}
		if v = s.staged(stage); v == nil {
			return nil, errValueNotFound("staging label", stage)
		}
	}

	day := today(st.now())
	s.accessed, v.accessed = day, day
	return &getSecretValueOutput{
		ARN:           s.arn,
		Name:          s.name,
		VersionID:     v.id,
		SecretString:  v.value.str,
		SecretBinary:  v.value.bin,
		VersionStages: slices.Clone(v.stages),
		CreatedDate:   v.created,
	}, nil
}

func (svc *Service) describeSecret(_ context.Context, in *secretIDInput) (*describeSecretOutput, error) {
	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s, err := st.find(in.SecretID)
	if err != nil {
		return nil, err
	}
	changed := s.changed
	return &describeSecretOutput{
		ARN:                s.arn,
		Name:               s.name,
		Description:        s.description,
		KmsKeyID:           s.kmsKeyID,
		LastChangedDate:    &changed,
		LastAccessedDate:   s.accessed,
		DeletedDate:        s.deleted,
		Tags:               slices.Clone(s.tags),
		VersionIDsToStages: s.versionStages(),
		CreatedDate:        s.created,
	}, nil
}

func (svc *Service) listSecrets(_ context.Context, in *listSecretsInput) (*listSecretsOutput, error) {
	max := in.MaxResults // 1 to 100 (MaxResultsType), checked by the dispatcher
	if max == 0 {
		max = 100
	}
	match, err := compileFilters(in.Filters)
	if err != nil {
		return nil, err
	}
	less, err := secretOrder(in.SortBy, in.SortOrder)
	if err != nil {
		return nil, err
	}

	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	st.purgeExpired(st.now())
	var list []*secret
	for _, s := range st.secrets {
		if (s.deleted == nil || in.IncludePlannedDeletion) && match(s) {
			list = append(list, s)
		}
	}
	slices.SortFunc(list, less)
	from, to, next, err := pageBounds(in.NextToken, max, len(list))
	if err != nil {
		return nil, err
	}

	out := &listSecretsOutput{SecretList: []secretListEntry{}, NextToken: next}
	for _, s := range list[from:to] {
		changed := s.changed
		out.SecretList = append(out.SecretList, secretListEntry{
			ARN:                    s.arn,
			Name:                   s.name,
			Description:            s.description,
			KmsKeyID:               s.kmsKeyID,
			LastChangedDate:        &changed,
			LastAccessedDate:       s.accessed,
			DeletedDate:            s.deleted,
			Tags:                   slices.Clone(s.tags),
			SecretVersionsToStages: s.versionStages(),
			CreatedDate:            s.created,
		})
	}
	return out, nil
}

func secretOrder(by, order string) (func(a, b *secret) int, error) {
	var key func(s *secret) string
	switch by {
	case "", "created-date":
		key = func(s *secret) string { return s.created.Format(time.RFC3339Nano) + s.name }
	case "last-changed-date":
		key = func(s *secret) string { return s.changed.Format(time.RFC3339Nano) + s.name }
	case "last-accessed-date":
		key = func(s *secret) string {
			if s.accessed == nil {
				return s.name
			}
			return s.accessed.Format(time.RFC3339Nano) + s.name
		}
	case "name":
		key = func(s *secret) string { return s.name }
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]", by)
	}
	sign := 1
	switch order {
	case "", "asc":
	case "desc":
		sign = -1
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]", order)
	}
	return func(a, b *secret) int { return sign * strings.Compare(key(a), key(b)) }, nil
}

func encodeNextToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

// pageBounds cuts a list of n items at a NextToken (an offset this
// emulator handed out) and a page size. A token that names no offset of
// the list, one near 2^63 included, is refused, never added to.
func pageBounds(token string, size, n int) (from, to int, next string, err error) {
	if token != "" {
		b, derr := base64.RawURLEncoding.DecodeString(token)
		s, ok := strings.CutPrefix(string(b), "offset:")
		if derr != nil || !ok {
			return 0, 0, "", errInvalidNextToken()
		}
		if from, err = strconv.Atoi(s); err != nil || from < 0 || from > n {
			return 0, 0, "", errInvalidNextToken()
		}
	}
	to = from + min(size, n-from)
	if to < n {
		next = encodeNextToken(to)
	}
	return from, to, next, nil
}

func (svc *Service) listSecretVersionIds(_ context.Context, in *listSecretVersionIDsInput) (*listSecretVersionIDsOutput, error) {
	max := in.MaxResults // 1 to 100 (MaxResultsType), checked by the dispatcher
	if max == 0 {
		max = 100
	}
	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s, err := st.find(in.SecretID)
	if err != nil {
		return nil, err
	}
	var versions []*version
	for _, v := range s.versions {
		if len(v.stages) > 0 || in.IncludeDeprecated {
			versions = append(versions, v)
		}
	}
	from, to, next, err := pageBounds(in.NextToken, max, len(versions))
	if err != nil {
		return nil, err
	}
	out := &listSecretVersionIDsOutput{ARN: s.arn, Name: s.name, Versions: []secretVersionsListEntry{}, NextToken: next}
	for _, v := range versions[from:to] {
		out.Versions = append(out.Versions, secretVersionsListEntry{
			VersionID: v.id, VersionStages: slices.Clone(v.stages), LastAccessedDate: v.accessed, CreatedDate: v.created,
		})
	}
	return out, nil
}

func (svc *Service) deleteSecret(_ context.Context, in *deleteSecretInput) (*deleteSecretOutput, error) {
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	window := int64(30)
	if in.RecoveryWindowInDays != nil {
		if force {
			return nil, errInvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
		}
		window = *in.RecoveryWindowInDays
		if window < 7 || window > 30 {
			return nil, errInvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}

	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s, err := st.find(in.SecretID)
	if err != nil {
		return nil, err
	}
	now := st.now()
	if force {
		delete(st.secrets, s.name)
		svc.log.Info("secret deleted without recovery", "name", s.name)
		return &deleteSecretOutput{ARN: s.arn, Name: s.name, DeletionDate: now}, nil
	}
	if s.deleted != nil {
		return nil, errAlreadyMarkedDeleted()
	}
	s.deleted = &now
	s.purgeAt = now.Add(time.Duration(window) * 24 * time.Hour)
	s.changed = now
	svc.log.Info("secret scheduled for deletion", "name", s.name, "deletionDate", s.purgeAt)
	return &deleteSecretOutput{ARN: s.arn, Name: s.name, DeletionDate: s.purgeAt}, nil
}

func (svc *Service) restoreSecret(_ context.Context, in *secretIDInput) (*restoreSecretOutput, error) {
	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s, err := st.find(in.SecretID)
	if err != nil {
		return nil, err
	}
	if s.deleted != nil {
		s.deleted = nil
		s.purgeAt = time.Time{}
		s.changed = st.now()
	}
	return &restoreSecretOutput{ARN: s.arn, Name: s.name}, nil
}

// tagResource adds tags; the model checks each key and value (TagKeyType
// 1-128, TagValueType 0-256), checkTags their number.
func (svc *Service) tagResource(_ context.Context, in *tagResourceInput) (*empty, error) {
	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s, err := st.find(in.SecretID)
	if err != nil {
		return nil, err
	}
	if err := s.checkTags(in.Tags); err != nil {
		return nil, err
	}
	s.setTags(in.Tags)
	s.changed = st.now()
	return &empty{}, nil
}

func (svc *Service) untagResource(_ context.Context, in *untagResourceInput) (*empty, error) {
	st := svc.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s, err := st.find(in.SecretID)
	if err != nil {
		return nil, err
	}
	s.tags = slices.DeleteFunc(s.tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	s.changed = st.now()
	return &empty{}, nil
}

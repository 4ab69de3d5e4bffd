// Package profilestore keeps a copy of each provisioned profile, so that a
// reconcile started by an event (which names only a replication group) or by
// the schedule (which names none) can find the profile to converge to. The
// copy lives in Secrets Manager under <project>/ecprov/profiles/<env>: the
// one store the functions already have, inside the IAM scope secret:<project>/*.
package profilestore

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/profile"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

// Tag keys that mark a stored profile.
const (
	KindTag  = "ecprov:kind"
	GroupTag = "ecprov:replication-group"
)

// API is the part of Secrets Manager used here.
type API interface {
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	DeleteSecret(ctx context.Context, in *secretsmanager.DeleteSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
}

// Name is where the profile of p is stored.
func Name(p *profile.Profile) string { return p.Project + "/ecprov/profiles/" + p.Environment }

// Input is the profiles function's event.
type Input struct {
	// Action is save, resolve or delete.
	Action  string          `json:"action"`
	Profile json.RawMessage `json:"profile,omitempty"`
	// For resolve: the group to find, or All for every stored profile.
	ReplicationGroupID string `json:"replicationGroupId,omitempty"`
	All                bool   `json:"all,omitempty"`
}

// Output carries the resolved profiles, or what save/delete did.
type Output struct {
	Profiles []json.RawMessage `json:"profiles"`
	Name     string            `json:"name,omitempty"`
	Changed  bool              `json:"changed"`
}

// Handler runs the profiles function.
type Handler struct {
	Secrets API
	Log     *slog.Logger
}

// Handle dispatches on the action.
func (s *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	switch in.Action {
	case "save":
		return s.save(ctx, in.Profile)
	case "resolve":
		return s.resolve(ctx, in.ReplicationGroupID, in.All)
	case "delete":
		return s.delete(ctx, in.Profile)
	}
	return Output{}, failure.New(failure.InvalidInput, "profiles: action %q is not save, resolve or delete", in.Action)
}

func (s *Handler) save(ctx context.Context, raw json.RawMessage) (Output, error) {
	p, err := replicationgroup.ParseProfile(raw)
	if err != nil {
		return Output{}, err
	}
	body, _ := json.Marshal(p) // the resolved profile, defaults filled in
	name := Name(p)
	out := Output{Profiles: []json.RawMessage{}, Name: name}
	// Two rounds at most: a concurrent run may create the copy between our
	// read and our create; then read it again and put ours if it differs.
	for round := 0; round < 2; round++ {
		cur, err := s.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
		switch {
		case failure.ErrorCode(err) == "ResourceNotFoundException":
			_, err := s.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
				Name:         aws.String(name),
				Description:  aws.String("ecprov: the profile " + p.ReplicationGroupID + " was last provisioned with"),
				SecretString: aws.String(string(body)),
				Tags: []types.Tag{
					{Key: aws.String(KindTag), Value: aws.String("profile")},
					{Key: aws.String(GroupTag), Value: aws.String(p.ReplicationGroupID)},
					{Key: aws.String("ManagedBy"), Value: aws.String(profile.ManagedBy)},
					{Key: aws.String("Project"), Value: aws.String(p.Project)},
					{Key: aws.String("Environment"), Value: aws.String(p.Environment)},
				},
			})
			if failure.ErrorCode(err) == "ResourceExistsException" && round == 0 {
				continue
			}
			if err != nil {
				return out, failure.AWS(err, "store profile "+name)
			}
			out.Changed = true
		case err != nil:
			return out, failure.AWS(err, "read stored profile "+name)
		case aws.ToString(cur.SecretString) != string(body):
			if _, err := s.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(string(body))}); err != nil {
				return out, failure.AWS(err, "store profile "+name)
			}
			out.Changed = true
		}
		break
	}
	logging.For(ctx, s.Log).Info("profile stored", "name", name, "changed", out.Changed)
	return out, nil
}

func (s *Handler) resolve(ctx context.Context, id string, all bool) (Output, error) {
	if id == "" && !all {
		return Output{}, failure.New(failure.InvalidInput, "profiles resolve: give replicationGroupId or all")
	}
	filters := []types.Filter{{Key: types.FilterNameStringTypeTagKey, Values: []string{KindTag}}}
	if !all {
		filters = append(filters, types.Filter{Key: types.FilterNameStringTypeTagValue, Values: []string{id}})
	}
	var names []string
	var next *string
	for {
		page, err := s.Secrets.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: filters, NextToken: next})
		if err != nil {
			return Output{}, failure.AWS(err, "list stored profiles")
		}
		for _, e := range page.SecretList {
			if e.DeletedDate != nil || tag(e.Tags, KindTag) != "profile" || (!all && tag(e.Tags, GroupTag) != id) {
				continue
			}
			names = append(names, aws.ToString(e.Name))
		}
		if aws.ToString(page.NextToken) == "" {
			break
		}
		next = page.NextToken
	}
	sort.Strings(names)
	out := Output{Profiles: []json.RawMessage{}}
	for _, name := range names {
		v, err := s.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
		if err != nil {
			return out, failure.AWS(err, "read stored profile "+name)
		}
		out.Profiles = append(out.Profiles, json.RawMessage(aws.ToString(v.SecretString)))
	}
	if !all && len(out.Profiles) == 0 {
		return out, failure.New(failure.NotFound, "no stored profile for replication group %s; provision it with ecprov first", id)
	}
	return out, nil
}

func (s *Handler) delete(ctx context.Context, raw json.RawMessage) (Output, error) {
	p, err := replicationgroup.ParseProfile(raw)
	if err != nil {
		return Output{}, err
	}
	name := Name(p)
	// It is a copy of a file in git: no recovery window needed.
	_, err = s.Secrets.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
	if err != nil && failure.ErrorCode(err) != "ResourceNotFoundException" {
		return Output{}, failure.AWS(err, "delete stored profile "+name)
	}
	return Output{Profiles: []json.RawMessage{}, Name: name, Changed: err == nil}, nil
}

func tag(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

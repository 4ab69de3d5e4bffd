// Package endpointsecret is publishsecret: it writes the group's endpoint
// document (R11) to Secrets Manager, where the pipeline's services read it.
// A new version is written only when the content changed.
package endpointsecret

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

// SecretsAPI is the part of Secrets Manager publishsecret uses.
type SecretsAPI interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	RestoreSecret(ctx context.Context, in *secretsmanager.RestoreSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error)
	TagResource(ctx context.Context, in *secretsmanager.TagResourceInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.TagResourceOutput, error)
}

// Document is the secret's JSON (R11). Field names are a contract with the
// services that read the secret.
type Document struct {
	PrimaryEndpoint    string `json:"primaryEndpoint"`
	ReaderEndpoint     string `json:"readerEndpoint"`
	Port               int32  `json:"port"`
	EngineVersion      string `json:"engineVersion"`
	ReplicationGroupID string `json:"replicationGroupId"`
	TLS                bool   `json:"tls"`
	CurrentPrimaryNode string `json:"currentPrimaryNode"`
	UpdatedAt          string `json:"updatedAt"`
}

// sameContent compares two documents ignoring when they were written: a
// timestamp alone is no change.
func sameContent(a, b Document) bool {
	a.UpdatedAt, b.UpdatedAt = "", ""
	return a == b
}

// Input is the publishsecret event: the profile (for the secret's name,
// tags and key) and nothing else; the group is read afresh.
type Input struct {
	Profile json.RawMessage `json:"profile"`
}

// Output says what publishsecret did. The document is not repeated here:
// execution histories should not carry secret contents.
type Output struct {
	SecretARN  string `json:"secretArn"`
	SecretName string `json:"secretName"`
	VersionID  string `json:"versionId"`
	Changed    bool   `json:"changed"`
	Created    bool   `json:"created"`
	Restored   bool   `json:"restored"`
	// CurrentPrimaryNode is not secret and tells the reader what changed.
	CurrentPrimaryNode string `json:"currentPrimaryNode"`
}

// Handler runs publishsecret.
type Handler struct {
	ElastiCache replicationgroup.GroupReader
	Secrets     SecretsAPI
	Log         *slog.Logger
	Now         func() time.Time
}

// Handle builds the document from the observed group and upserts the secret.
func (p *Handler) Handle(ctx context.Context, in Input) (Output, error) {
	log := logging.For(ctx, p.Log)
	prof, err := replicationgroup.ParseProfile(in.Profile)
	if err != nil {
		return Output{}, err
	}
	log = log.With("replication_group_id", prof.ReplicationGroupID, "secret_name", prof.SecretName)
	doc, err := p.observe(ctx, prof.ReplicationGroupID, prof.EngineVersion, true)
	if err != nil {
		return Output{}, err
	}
	out := Output{SecretName: prof.SecretName, CurrentPrimaryNode: doc.CurrentPrimaryNode}
	// reread reads the group again right before a write. The secret calls
	// since the first read take time (more so when throttled), and a
	// failover in between must not be written over the fresher document
	// of the reconcile that its notice starts.
	reread := func() error {
		if doc, err = p.observe(ctx, prof.ReplicationGroupID, doc.EngineVersion, false); err != nil {
			return err
		}
		out.CurrentPrimaryNode = doc.CurrentPrimaryNode
		return nil
	}

	desc, err := p.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(prof.SecretName)})
	switch {
	case isCode(err, "ResourceNotFoundException"):
		if err := reread(); err != nil {
			return Output{}, err
		}
		created, err := p.create(ctx, prof.SecretName, prof.Description, prof.SecretKMSKeyID, prof.Tags, doc)
		if err == nil {
			out.SecretARN, out.VersionID, out.Changed, out.Created = aws.ToString(created.ARN), aws.ToString(created.VersionId), true, true
			log.Info("secret created", "version_id", out.VersionID, "current_primary", doc.CurrentPrimaryNode)
			return out, nil
		}
		if !isCode(err, "ResourceExistsException") {
			return Output{}, err
		}
		// Created by a concurrent run: fall through to the update path.
		if desc, err = p.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(prof.SecretName)}); err != nil {
			return Output{}, failure.AWS(err, "describe secret "+prof.SecretName)
		}
	case err != nil:
		return Output{}, failure.AWS(err, "describe secret "+prof.SecretName)
	}
	out.SecretARN = aws.ToString(desc.ARN)
	if desc.DeletedDate != nil {
		if _, err := p.Secrets.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(out.SecretARN)}); err != nil {
			return Output{}, failure.AWS(err, "restore secret "+prof.SecretName)
		}
		out.Restored = true
		log.Warn("secret was scheduled for deletion; restored")
	}
	if err := p.ensureTags(ctx, out.SecretARN, desc.Tags, prof.Tags); err != nil {
		return Output{}, err
	}

	current, err := p.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(out.SecretARN)})
	var previous Document
	var previousVersion string
	switch {
	case isCode(err, "ResourceNotFoundException"):
		// A secret with no AWSCURRENT version: write the first one.
	case err != nil:
		return Output{}, failure.AWS(err, "read secret "+prof.SecretName)
	default:
		previousVersion = aws.ToString(current.VersionId)
		// A value that is not our document is replaced, as drift.
		_ = json.Unmarshal([]byte(aws.ToString(current.SecretString)), &previous)
	}
	same := previousVersion != "" && sameContent(previous, doc)
	if !same {
		if err := reread(); err != nil {
			return Output{}, err
		}
		same = previousVersion != "" && sameContent(previous, doc)
	}
	if same {
		out.VersionID = previousVersion
		log.Info("secret unchanged", "version_id", out.VersionID)
		return out, nil
	}
	body, _ := json.Marshal(doc) // a Document always marshals
	put, err := p.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(out.SecretARN),
		SecretString: aws.String(string(body)),
		// Deterministic per transition, so a retried call does not add a
		// second version; unique per previous version, so going back to an
		// earlier content is still a new version.
		ClientRequestToken: aws.String(token(doc, previousVersion)),
	})
	if err != nil {
		return Output{}, failure.AWS(err, "write secret "+prof.SecretName)
	}
	out.VersionID, out.Changed = aws.ToString(put.VersionId), true
	log.Info("secret updated", "version_id", out.VersionID, "previous_version_id", previousVersion,
		"current_primary", doc.CurrentPrimaryNode, "previous_primary", previous.CurrentPrimaryNode)
	return out, nil
}

// observe reads the group and builds the document. The engine version lives
// on the member clusters, one more call; with readEngine false, engine is
// taken as it is (a re-read right before a write, when the engine cannot
// have changed).
func (p *Handler) observe(ctx context.Context, id, engine string, readEngine bool) (Document, error) {
	g, err := replicationgroup.FindByID(ctx, p.ElastiCache, id)
	if err != nil {
		return Document{}, err
	}
	topo := replicationgroup.TopologyOf(g)
	if topo.PrimaryEndpoint == nil {
		return Document{}, failure.New(failure.RetryableAWSError, "replication group %s (%s) has no primary endpoint yet", id, aws.ToString(g.Status))
	}
	if readEngine && len(g.MemberClusters) > 0 {
		member, err := replicationgroup.FindCacheClusterByID(ctx, p.ElastiCache, g.MemberClusters[0])
		if err != nil && failure.NameOf(err) != failure.NotFound {
			return Document{}, err
		}
		if member != nil && aws.ToString(member.EngineVersion) != "" {
			engine = aws.ToString(member.EngineVersion)
		}
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	doc := Document{
		PrimaryEndpoint:    topo.PrimaryEndpoint.Address,
		Port:               topo.PrimaryEndpoint.Port,
		EngineVersion:      engine,
		ReplicationGroupID: id,
		TLS:                topo.TLS,
		CurrentPrimaryNode: topo.CurrentPrimary,
		UpdatedAt:          now().UTC().Format(time.RFC3339),
	}
	if topo.ReaderEndpoint != nil {
		doc.ReaderEndpoint = topo.ReaderEndpoint.Address
	}
	return doc, nil
}

func (p *Handler) create(ctx context.Context, name, description, kmsKey string, tags map[string]string, doc Document) (*secretsmanager.CreateSecretOutput, error) {
	body, _ := json.Marshal(doc)
	in := &secretsmanager.CreateSecretInput{
		Name:               aws.String(name),
		Description:        aws.String("Redis endpoint of " + description + "; written by ecprov"),
		SecretString:       aws.String(string(body)),
		ClientRequestToken: aws.String(token(doc, "")),
		Tags:               secretTags(tags),
	}
	if kmsKey != "" {
		in.KmsKeyId = aws.String(kmsKey)
	}
	out, err := p.Secrets.CreateSecret(ctx, in)
	if err != nil {
		if isCode(err, "ResourceExistsException") {
			return nil, err
		}
		return nil, failure.AWS(err, "create secret "+name)
	}
	return out, nil
}

func (p *Handler) ensureTags(ctx context.Context, arn string, have []smtypes.Tag, want map[string]string) error {
	current := map[string]string{}
	for _, t := range have {
		current[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	missing := map[string]string{}
	for k, v := range want {
		if current[k] != v {
			missing[k] = v
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := p.Secrets.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(arn), Tags: secretTags(missing)}); err != nil {
		return failure.AWS(err, "tag secret "+arn)
	}
	return nil
}

func secretTags(m map[string]string) []smtypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]smtypes.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, smtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// token is a ClientRequestToken (32-64 characters) derived from the content
// without its timestamp and the version it replaces.
func token(doc Document, previousVersion string) string {
	doc.UpdatedAt = ""
	body, _ := json.Marshal(doc)
	sum := sha256.Sum256(append(body, previousVersion...))
	return hex.EncodeToString(sum[:])[:64]
}

func isCode(err error, code string) bool {
	return err != nil && failure.ErrorCode(err) == code
}

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
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/ecprov/ecprov/internal/failure"
	"github.com/ecprov/ecprov/internal/logging"
	"github.com/ecprov/ecprov/internal/profile"
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
	prof, err := replicationgroup.ParseProfile(in.Profile)
	if err != nil {
		return Output{}, err
	}
	r := &run{Handler: p, prof: prof, log: logging.For(ctx, p.Log).With("replication_group_id", prof.ReplicationGroupID, "secret_name", prof.SecretName)}
	if r.doc, err = p.observe(ctx, prof.ReplicationGroupID, prof.EngineVersion, true); err != nil {
		return Output{}, err
	}
	r.out = Output{SecretName: prof.SecretName, CurrentPrimaryNode: r.doc.CurrentPrimaryNode}
	desc, err := r.findOrCreate(ctx)
	if err != nil {
		return Output{}, err
	}
	if desc == nil { // created, with the document
		return r.out, nil
	}
	r.out.SecretARN = aws.ToString(desc.ARN)
	if desc.DeletedDate != nil {
		if _, err := p.Secrets.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(r.out.SecretARN)}); err != nil {
			return Output{}, failure.AWS(err, "restore secret "+prof.SecretName)
		}
		r.out.Restored = true
		r.log.Warn("secret was scheduled for deletion; restored")
	}
	if err := p.ensureTags(ctx, r.out.SecretARN, desc.Tags, prof.Tags); err != nil {
		return Output{}, err
	}
	if err := r.writeIfChanged(ctx); err != nil {
		return Output{}, err
	}
	return r.out, nil
}

// run is one publishsecret call: the document as last read and the output
// so far.
type run struct {
	*Handler
	prof *profile.Profile
	log  *slog.Logger
	doc  Document
	out  Output
}

// reread reads the group again right before a write. The secret calls since
// the first read take time (more so when throttled), and a failover in
// between must not be written over the fresher document of the reconcile
// that its notice starts.
func (r *run) reread(ctx context.Context) error {
	doc, err := r.observe(ctx, r.prof.ReplicationGroupID, r.doc.EngineVersion, false)
	if err != nil {
		return err
	}
	r.doc, r.out.CurrentPrimaryNode = doc, doc.CurrentPrimaryNode
	return nil
}

// findOrCreate describes the secret, or creates it with the document when
// it does not exist: then it returns nil.
func (r *run) findOrCreate(ctx context.Context) (*secretsmanager.DescribeSecretOutput, error) {
	name := r.prof.SecretName
	desc, err := r.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	switch {
	case err == nil:
		return desc, nil
	case !isCode(err, "ResourceNotFoundException"):
		return nil, failure.AWS(err, "describe secret "+name)
	}
	if err := r.reread(ctx); err != nil {
		return nil, err
	}
	created, err := r.create(ctx, name, r.prof.Description, r.prof.SecretKMSKeyID, r.prof.Tags, r.doc)
	if err == nil {
		r.out.SecretARN, r.out.VersionID, r.out.Changed, r.out.Created = aws.ToString(created.ARN), aws.ToString(created.VersionId), true, true
		r.log.Info("secret created", "version_id", r.out.VersionID, "current_primary", r.doc.CurrentPrimaryNode)
		return nil, nil
	}
	if !isCode(err, "ResourceExistsException") {
		return nil, err
	}
	// Created by a concurrent run: take the update path.
	if desc, err = r.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)}); err != nil {
		return nil, failure.AWS(err, "describe secret "+name)
	}
	return desc, nil
}

// writeIfChanged puts the document as a new version unless the current one
// has the same content.
func (r *run) writeIfChanged(ctx context.Context) error {
	name := r.prof.SecretName
	current, err := r.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(r.out.SecretARN)})
	var previous Document
	var previousVersion string
	switch {
	case isCode(err, "ResourceNotFoundException"):
		// A secret with no AWSCURRENT version: write the first one.
	case err != nil:
		return failure.AWS(err, "read secret "+name)
	default:
		previousVersion = aws.ToString(current.VersionId)
		// A value that is not our document is replaced, as drift.
		_ = json.Unmarshal([]byte(aws.ToString(current.SecretString)), &previous)
	}
	same := previousVersion != "" && sameContent(previous, r.doc)
	if !same {
		if err := r.reread(ctx); err != nil {
			return err
		}
		same = previousVersion != "" && sameContent(previous, r.doc)
	}
	if same {
		r.out.VersionID = previousVersion
		r.log.Info("secret unchanged", "version_id", r.out.VersionID)
		return nil
	}
	body, _ := json.Marshal(r.doc) // a Document always marshals
	put, err := r.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(r.out.SecretARN),
		SecretString: aws.String(string(body)),
		// Deterministic per transition, so a retried call does not add a
		// second version; unique per previous version, so going back to an
		// earlier content is still a new version.
		ClientRequestToken: aws.String(token(r.doc, previousVersion)),
	})
	if err != nil {
		return failure.AWS(err, "write secret "+name)
	}
	r.out.VersionID, r.out.Changed = aws.ToString(put.VersionId), true
	r.log.Info("secret updated", "version_id", r.out.VersionID, "previous_version_id", previousVersion,
		"current_primary", r.doc.CurrentPrimaryNode, "previous_primary", previous.CurrentPrimaryNode)
	return nil
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
	out := make([]smtypes.Tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
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

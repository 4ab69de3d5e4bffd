package secretsmanager

import "time"

// The request and response shapes of the operations served, named and
// tagged as in the Secrets Manager API (JSON 1.1).

// Tag is a secret's tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type createSecretInput struct {
	Name               string `json:"Name"`
	ClientRequestToken string `json:"ClientRequestToken,omitempty"`
	Description        string `json:"Description,omitempty"`
	KmsKeyID           string `json:"KmsKeyId,omitempty"`
	SecretBinary       []byte `json:"SecretBinary,omitempty"`
	SecretString       *string
	Tags               []Tag `json:"Tags,omitempty"`
}

type createSecretOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionID string `json:"VersionId,omitempty"`
}

type putSecretValueInput struct {
	SecretID           string `json:"SecretId"`
	ClientRequestToken string `json:"ClientRequestToken,omitempty"`
	SecretBinary       []byte `json:"SecretBinary,omitempty"`
	SecretString       *string
	VersionStages      []string `json:"VersionStages,omitempty"`
}

type putSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

type updateSecretInput struct {
	SecretID           string `json:"SecretId"`
	ClientRequestToken string `json:"ClientRequestToken,omitempty"`
	Description        *string
	KmsKeyID           *string `json:"KmsKeyId"`
	SecretBinary       []byte  `json:"SecretBinary,omitempty"`
	SecretString       *string
}

type updateSecretOutput = createSecretOutput

type getSecretValueInput struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId,omitempty"`
	VersionStage string `json:"VersionStage,omitempty"`
}

type getSecretValueOutput struct {
	ARN           string    `json:"ARN"`
	Name          string    `json:"Name"`
	VersionID     string    `json:"VersionId"`
	SecretBinary  []byte    `json:"SecretBinary,omitempty"`
	SecretString  *string   `json:"SecretString,omitempty"`
	VersionStages []string  `json:"VersionStages"`
	CreatedDate   time.Time `json:"CreatedDate"`
}

type secretIDInput struct {
	SecretID string `json:"SecretId"`
}

type describeSecretOutput struct {
	ARN                string              `json:"ARN"`
	Name               string              `json:"Name"`
	Description        string              `json:"Description,omitempty"`
	KmsKeyID           string              `json:"KmsKeyId,omitempty"`
	LastChangedDate    *time.Time          `json:"LastChangedDate,omitempty"`
	LastAccessedDate   *time.Time          `json:"LastAccessedDate,omitempty"`
	DeletedDate        *time.Time          `json:"DeletedDate,omitempty"`
	Tags               []Tag               `json:"Tags,omitempty"`
	VersionIDsToStages map[string][]string `json:"VersionIdsToStages,omitempty"`
	CreatedDate        time.Time           `json:"CreatedDate"`
}

type filter struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

type listSecretsInput struct {
	IncludePlannedDeletion bool     `json:"IncludePlannedDeletion,omitempty"`
	MaxResults             int      `json:"MaxResults,omitempty"`
	NextToken              string   `json:"NextToken,omitempty"`
	Filters                []filter `json:"Filters,omitempty"`
	SortOrder              string   `json:"SortOrder,omitempty"`
	SortBy                 string   `json:"SortBy,omitempty"`
}

type secretListEntry struct {
	ARN                    string              `json:"ARN"`
	Name                   string              `json:"Name"`
	Description            string              `json:"Description,omitempty"`
	KmsKeyID               string              `json:"KmsKeyId,omitempty"`
	LastChangedDate        *time.Time          `json:"LastChangedDate,omitempty"`
	LastAccessedDate       *time.Time          `json:"LastAccessedDate,omitempty"`
	DeletedDate            *time.Time          `json:"DeletedDate,omitempty"`
	Tags                   []Tag               `json:"Tags,omitempty"`
	SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages,omitempty"`
	CreatedDate            time.Time           `json:"CreatedDate"`
}

type listSecretsOutput struct {
	SecretList []secretListEntry `json:"SecretList"`
	NextToken  string            `json:"NextToken,omitempty"`
}

type listSecretVersionIDsInput struct {
	SecretID          string `json:"SecretId"`
	MaxResults        int    `json:"MaxResults,omitempty"`
	NextToken         string `json:"NextToken,omitempty"`
	IncludeDeprecated bool   `json:"IncludeDeprecated,omitempty"`
}

type secretVersionsListEntry struct {
	VersionID        string     `json:"VersionId"`
	VersionStages    []string   `json:"VersionStages,omitempty"`
	LastAccessedDate *time.Time `json:"LastAccessedDate,omitempty"`
	CreatedDate      time.Time  `json:"CreatedDate"`
}

type listSecretVersionIDsOutput struct {
	ARN       string                    `json:"ARN"`
	Name      string                    `json:"Name"`
	Versions  []secretVersionsListEntry `json:"Versions"`
	NextToken string                    `json:"NextToken,omitempty"`
}

type deleteSecretInput struct {
	SecretID                   string `json:"SecretId"`
	RecoveryWindowInDays       *int64 `json:"RecoveryWindowInDays,omitempty"`
	ForceDeleteWithoutRecovery *bool  `json:"ForceDeleteWithoutRecovery,omitempty"`
}

type deleteSecretOutput struct {
	ARN          string    `json:"ARN"`
	Name         string    `json:"Name"`
	DeletionDate time.Time `json:"DeletionDate"`
}

type restoreSecretOutput struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

type tagResourceInput struct {
	SecretID string `json:"SecretId"`
	Tags     []Tag  `json:"Tags"`
}

type untagResourceInput struct {
	SecretID string   `json:"SecretId"`
	TagKeys  []string `json:"TagKeys"`
}

type empty struct{}

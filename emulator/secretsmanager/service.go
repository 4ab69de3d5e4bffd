// Package secretsmanager emulates AWS Secrets Manager (AWS JSON 1.1): secrets
// with versions and staging labels, idempotent writes by ClientRequestToken,
// deletion with a recovery window, and AWS's error codes and wording.
package secretsmanager

import (
	_ "embed"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/ecprov/ecprov/emulator/protocol/awsjson"
	"github.com/ecprov/ecprov/emulator/server"
	"github.com/ecprov/ecprov/internal/apimodel"
)

// apiModel is botocore's secretsmanager 2017-10-17 model, trimmed to the
// operations served (internal/apimodel). Every request is checked against
// its input shape's constraints before an operation runs, as AWS's front
// end does; TestAPIModel keeps the copy equal to the AWS CLI's.
//
//go:embed apimodel.json
var apiModelJSON []byte

var apiModel = apimodel.MustParse(apiModelJSON)

// Options configure a Service.
type Options struct {
	Region    string // default us-east-1
	AccountID string // default 000000000000
	Logger    *slog.Logger
	// Now is the clock (default time.Now); tests move it to expire
	// recovery windows.
	Now func() time.Time
}

// Service is the Secrets Manager emulator; it implements server.Service.
type Service struct {
	store      *store
	log        *slog.Logger
	dispatcher awsjson.Dispatcher
}

// New returns an empty Secrets Manager.
func New(opts Options) *Service {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	svc := &Service{
		store: newStore(opts.Region, opts.AccountID, opts.Now),
		log:   opts.Logger.With("service", "secretsmanager"),
	}
	svc.dispatcher = awsjson.Dispatcher{
		TargetPrefix: "secretsmanager",
		Version:      awsjson.Version11,
		Service:      "Secrets Manager",
		InternalCode: "InternalServiceError",
		Log:          svc.log,
		RequestID:    server.RequestID,
		Model:        apiModel,
		Operations: map[string]awsjson.Operation{
			"CreateSecret":         awsjson.Handle(svc.createSecret),
			"PutSecretValue":       awsjson.Handle(svc.putSecretValue),
			"UpdateSecret":         awsjson.Handle(svc.updateSecret),
			"GetSecretValue":       awsjson.Handle(svc.getSecretValue),
			"DescribeSecret":       awsjson.Handle(svc.describeSecret),
			"ListSecrets":          awsjson.Handle(svc.listSecrets),
			"ListSecretVersionIds": awsjson.Handle(svc.listSecretVersionIds),
			"DeleteSecret":         awsjson.Handle(svc.deleteSecret),
			"RestoreSecret":        awsjson.Handle(svc.restoreSecret),
			"TagResource":          awsjson.Handle(svc.tagResource),
			"UntagResource":        awsjson.Handle(svc.untagResource),
		},
	}
	return svc
}

// OperationNames lists the operations served.
func (svc *Service) OperationNames() []string {
	return slices.Sorted(maps.Keys(svc.dispatcher.Operations))
}

// SigningName implements server.Service.
func (*Service) SigningName() string { return "secretsmanager" }

// Operation implements server.Service.
func (svc *Service) Operation(r *http.Request, body []byte) string {
	return svc.dispatcher.Operation(r, body)
}

// WriteError implements server.Service.
func (svc *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	svc.dispatcher.WriteError(w, r, status, code, message)
}

// ServeHTTP implements http.Handler.
func (svc *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { svc.dispatcher.ServeHTTP(w, r) }

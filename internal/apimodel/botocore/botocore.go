// Package botocore finds the API models of the installed AWS CLI (its
// botocore package's data/<service>/<version>/service-2.json.gz) for
// tests: to derive probes from AWS's constraints, and to check the model
// copies the emulator embeds against them.
//
// The models are found, in order, in $ECPROV_BOTOCORE_DIR (botocore's
// package directory or its data directory), through python3's botocore,
// and through the Python interpreter the aws command runs on.
package botocore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ecprov/ecprov/internal/apimodel"
)

// EnvDir overrides where the models are looked for.
const EnvDir = "ECPROV_BOTOCORE_DIR"

// EnvUpdate, set to 1, makes CheckEmbedded rewrite the embedded copy.
const EnvUpdate = "ECPROV_UPDATE_APIMODEL"

const pythonProbe = "import botocore, os; print(os.path.dirname(botocore.__file__))"

var (
	dirOnce sync.Once
	dataDir string
	dirErr  error
)

// DataDir is botocore's data directory, which holds one directory per
// service.
func DataDir() (string, error) {
	dirOnce.Do(func() { dataDir, dirErr = findDataDir() })
	return dataDir, dirErr
}

func findDataDir() (string, error) {
	var tried []string
	// A candidate is botocore's package directory or its data directory.
	models := func(d string) (string, bool) {
		for _, dir := range []string{filepath.Join(d, "data"), d} {
			if _, err := os.Stat(filepath.Join(dir, "sns")); err == nil {
				return dir, true
			}
		}
		tried = append(tried, d+": no models")
		return "", false
	}
	if d := os.Getenv(EnvDir); d != "" {
		if dir, ok := models(d); ok {
			return dir, nil
		}
	}
	for _, py := range pythons() {
		out, err := exec.Command(py, "-c", pythonProbe).Output()
		if err != nil {
			tried = append(tried, py+": no botocore")
			continue
		}
		if dir, ok := models(strings.TrimSpace(string(out))); ok {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no botocore models found (tried %s); install the AWS CLI (pip install awscli) or set %s to botocore's directory",
		strings.Join(tried, "; "), EnvDir)
}

// pythons are the interpreters to ask for botocore: python3, and the one
// named in the aws command's #! line when it is a Python script.
func pythons() []string {
	out := []string{"python3"}
	aws, err := exec.LookPath("aws")
	if err != nil {
		return out
	}
	b, err := os.ReadFile(aws)
	if err != nil {
		return out
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	if interp, ok := bytes.CutPrefix(line, []byte("#!")); ok && bytes.Contains(interp, []byte("python")) {
		fields := strings.Fields(string(interp))
		if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
			fields = fields[1:]
		}
		out = append(out, fields[0])
	}
	return out
}

// Load reads the newest API version of a service's model; service is
// botocore's directory name ("secretsmanager", "events", "cloudwatch").
func Load(service string) (*apimodel.Model, error) {
	return LoadVersion(service, "")
}

// LoadVersion reads one API version ("2017-10-17") of a service's model;
// "" means the newest.
func LoadVersion(service, version string) (*apimodel.Model, error) {
	dir, err := DataDir()
	if err != nil {
		return nil, err
	}
	if version == "" {
		entries, err := os.ReadDir(filepath.Join(dir, service))
		if err != nil {
			return nil, fmt.Errorf("botocore: service %q: %w", service, err)
		}
		var versions []string
		for _, e := range entries {
			if e.IsDir() {
				versions = append(versions, e.Name())
			}
		}
		if len(versions) == 0 {
			return nil, fmt.Errorf("botocore: service %q has no model versions in %s", service, dir)
		}
		version = slices.Max(versions) // dates sort as strings
	}
	base := filepath.Join(dir, service, version, "service-2.json")
	for _, name := range []string{base, base + ".gz"} {
		b, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("botocore: %w", err)
		}
		m, err := apimodel.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("botocore: %s: %w", name, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("botocore: no %s[.gz]", base)
}

// Require loads a service's model for a test (the newest version, or the
// one given). Without botocore the test is skipped, saying why; under
// CI=true it fails instead, since CI must run every check.
func Require(t testing.TB, service string, version ...string) *apimodel.Model {
	t.Helper()
	v := ""
	if len(version) > 0 {
		v = version[0]
	}
	m, err := LoadVersion(service, v)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("botocore model %s is needed under CI=true: %v", service, err)
			return nil
		}
		t.Skipf("skipping: botocore model %s not available: %v", service, err)
		return nil
	}
	return m
}

// CheckEmbedded compares the trimmed model a service embeds (file, read
// by the caller into embedded) with the installed botocore's model of the
// same API version. The embedded copy must hold exactly the operations
// served, and state the same rules for them: a rule that differs fails the
// test, and members only the installed model has are logged. With
// ECPROV_UPDATE_APIMODEL=1 it rewrites file from the installed model
// instead.
func CheckEmbedded(t testing.TB, service string, embedded *apimodel.Model, file string, served []string) {
	t.Helper()
	installed := Require(t, service, embedded.APIVersion())
	served = slices.Sorted(slices.Values(served))
	regenerate := fmt.Sprintf("regenerate it: %s=1 go test -run '^%s$'", EnvUpdate, t.Name())
	if os.Getenv(EnvUpdate) == "1" {
		trimmed, err := installed.Trim(served...)
		if err != nil {
			t.Fatal(err)
		}
		b, err := trimmed.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d operations, %d bytes) from botocore %s %s", file, len(served), len(b), service, embedded.APIVersion())
		return
	}
	if got := embedded.OperationNames(); !slices.Equal(got, served) {
		t.Errorf("%s holds operations %v, the service serves %v; %s", file, got, served, regenerate)
	}
	d := apimodel.Compare(embedded, installed)
	for _, c := range d.Changed {
		t.Errorf("%s differs from botocore %s %s: %s; %s", file, service, embedded.APIVersion(), c, regenerate)
	}
	if len(d.Added) > 0 {
		t.Logf("botocore %s has members %s does not check yet: %v", service, file, d.Added)
	}
}

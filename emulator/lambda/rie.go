package lambda

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The AWS Lambda Runtime Interface Emulator runs each function instance. It
// is pinned twice: by the tool directive in go.mod (go.sum holds its hashes,
// so a build from the repository needs only the module proxy) and here, for
// builds from outside the repository. TestRIEVersionMatchesGoMod keeps the
// two equal.
const (
	riePackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	rieModule  = "github.com/aws/aws-lambda-runtime-interface-emulator"
	thisModule = "github.com/ecprov/ecprov"
)

// RIEVersion is the aws-lambda-rie module version that EnsureRIE installs
// outside the repository.
const RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// EnsureRIE returns the path of an aws-lambda-rie binary at path, building
// it with the Go toolchain when it is missing. Inside the ecprov repository
// it builds the version go.mod pins; elsewhere it installs RIEVersion.
func EnsureRIE(ctx context.Context, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return abs, nil
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("aws-lambda-rie is not at %s and there is no Go toolchain to build it: "+
			"install Go, or build it elsewhere with `go build -o %s %s` and set lambda.Options.RIEPath", abs, abs, riePackage)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", err
	}
	// Build beside the target and rename, so that concurrent builders
	// (two emulators, parallel tests) never see a half-written binary.
	tmpDir, err := os.MkdirTemp(filepath.Dir(abs), ".rie-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmpDir)
	built := filepath.Join(tmpDir, "aws-lambda-rie")

	var cmd *exec.Cmd
	if root := moduleRoot(); root != "" {
		cmd = exec.CommandContext(ctx, goTool, "build", "-trimpath", "-o", built, riePackage)
		cmd.Dir = root
	} else {
		cmd = exec.CommandContext(ctx, goTool, "install", "-trimpath", riePackage+"@"+RIEVersion)
		cmd.Dir = tmpDir
		cmd.Env = append(cmd.Environ(), "GOBIN="+tmpDir, "GOFLAGS=")
	}
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building aws-lambda-rie (%s): %w\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	if err := os.Rename(built, abs); err != nil {
		return "", err
	}
	return abs, nil
}

// moduleRoot is the directory of the ecprov go.mod above the working
// directory, or "".
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			if bytes.Contains(b, []byte("module "+thisModule+"\n")) && bytes.Contains(b, []byte(rieModule+" ")) {
				return dir
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

var errClosed = errors.New("lambda service is closed")

// Package testprofile gives tests and benchmarks the shipped dev profile
// renamed to another environment, so that runs sharing one emulator do not
// share resources.
package testprofile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ecprov/ecprov/internal/profile"
)

// Root is the repository root: the nearest parent of the working directory
// that holds go.mod and environments/.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "environments", "dev.json")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no ecprov checkout above the working directory")
		}
		dir = parent
	}
}

// Dev is environments/dev.json with environment env: the replication group
// audio-pipeline-<env>, the secret audio-pipeline/<env>/redis-endpoint and
// the Environment tag follow. edit, when given, changes the JSON further
// (it may make the profile invalid). It returns the raw JSON, as a state
// machine takes it, and the profile decoded with defaults (nil when edit
// made it undecodable).
func Dev(env string, edit func(m map[string]any)) (*profile.Profile, json.RawMessage, error) {
	root, err := Root()
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(filepath.Join(root, "environments", "dev.json"))
	if err != nil {
		return nil, nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, nil, fmt.Errorf("dev.json: %w", err)
	}
	m["environment"] = env
	m["replicationGroupId"] = "audio-pipeline-" + env
	m["secretName"] = "audio-pipeline/" + env + "/redis-endpoint"
	m["tags"].(map[string]any)["Environment"] = env
	if edit != nil {
		edit(m)
	}
	raw, _ := json.Marshal(m)
	p, err := profile.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, raw, nil
	}
	p.ApplyDefaults()
	return p, raw, nil
}

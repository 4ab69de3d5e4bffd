package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ecprov/ecprov/internal/profile"
)

// profileFlags are the flags that pick a profile, shared by every command
// that takes one.
type profileFlags struct {
	env, file, dir string
}

func (f *profileFlags) register(fs *flag.FlagSet) {
	dir := os.Getenv("ECPROV_PROFILES_DIR")
	if dir == "" {
		dir = "environments"
	}
	fs.StringVar(&f.env, "env", "", "environment name: reads PROFILES_DIR/ENV.json")
	fs.StringVar(&f.file, "profile", "", "path of a profile file (instead of --env)")
	fs.StringVar(&f.dir, "profiles-dir", dir, "folder of the environment profiles")
}

// load returns the validated profile, or an error that lists every problem.
func (f *profileFlags) load() (*profile.Profile, string, error) {
	path := f.file
	switch {
	case f.env != "" && f.file != "":
		return nil, "", errors.New("give --env or --profile, not both")
	case f.env == "" && f.file == "":
		return nil, "", errors.New("give --env ENV (e.g. --env dev) or --profile FILE")
	case f.env != "":
		path = profile.PathFor(f.dir, f.env)
		if _, err := os.Stat(path); err != nil {
			return nil, path, fmt.Errorf("%s: no profile for environment %q (available: %s)", path, f.env, strings.Join(available(f.dir), ", "))
		}
	}
	p, err := profile.Load(path)
	return p, path, err
}

func available(dir string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	out := []string{}
	for _, m := range matches {
		out = append(out, strings.TrimSuffix(filepath.Base(m), ".json"))
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"none in " + dir}
	}
	return out
}

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf profileFlags
	pf.register(fs)
	output := fs.String("output", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	p, path, err := pf.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadInput
	}
	resolved, _ := json.MarshalIndent(p, "", "  ")
	switch *output {
	case "json":
		fmt.Fprintln(stdout, string(resolved))
	case "text":
		fmt.Fprintf(stdout, "%s: valid (profile hash %s)\nResolved profile, defaults filled in:\n%s\n", path, p.Hash(), resolved)
	default:
		fmt.Fprintf(stderr, "--output %q: use text or json\n", *output)
		return exitBadInput
	}
	return exitOK
}

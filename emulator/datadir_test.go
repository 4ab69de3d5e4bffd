package emulator_test

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ecprov/ecprov/emulator"
)

// TestDataDirIsPrivateAndExclusive: the data dir holds keys and cache data,
// so it is the user's alone; and one emulator at a time uses it, because
// each start removes what a crashed run left there.
func TestDataDirIsPrivateAndExclusive(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	first := start(t, emulator.Options{DataDir: dir})
	if fi, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v, want 0700", fi.Mode().Perm())
	}
	_, err := emulator.New(emulator.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "in use by another emulator (pid "+strconv.Itoa(os.Getpid())+")") {
		t.Fatalf("a second emulator on the same data dir: %v; want it refused, naming the first's pid", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := emulator.New(emulator.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("an emulator after the first closed: %v", err)
	}
	_ = again.Close()
}

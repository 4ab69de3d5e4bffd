package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ecprov/ecprov/emulator"
	"github.com/ecprov/ecprov/internal/logging"
)

func localCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "up" {
		fmt.Fprintln(stderr, "usage: ecprov local up [--port 4566] [--data-dir .ecprov/local] [--create-delay 0s] [--wait-scale 1] [--orchestration=true] [--allow-host NAME]")
		return exitBadInput
	}
	fs := flag.NewFlagSet("local up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", emulator.DefaultPort, "port on 127.0.0.1")
	dataDir := fs.String("data-dir", ".ecprov/local", "where the CA, node data and snapshots go")
	createDelay := fs.Duration("create-delay", 0, "keep new replication groups in creating this long, on top of the real start-up")
	metrics := fs.Duration("metrics-interval", 5*time.Second, "how often node metrics are collected and alarms evaluated")
	orchestrate := fs.Bool("orchestration", true, "also run Lambda, Step Functions, EventBridge and SNS with ecprov deployed (needs `make build-local` and node_modules)")
	root := fs.String("root", ".", "the ecprov checkout: statemachine/, dist/host/ and node_modules/")
	prefix := fs.String("prefix", "ecprov", "name prefix of the deployed functions, state machines, bus and topic")
	waitScale := fs.Float64("wait-scale", 1, "time scale of Wait states and retry intervals (0.01 makes a 180 s wait last 1.8 s)")
	scheduleScale := fs.Float64("schedule-scale", 1, "time scale of scheduled rules")
	var allowHosts stringList
	fs.Var(&allowHosts, "allow-host", "a Host name besides localhost and 127.0.0.0/8 that requests may carry, e.g. host.docker.internal for a container (repeatable; see README, Security)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitBadInput
	}
	opts := emulator.Options{
		Port: *port, DataDir: *dataDir, CreateDelay: *createDelay, MetricsInterval: *metrics,
		Logger: logging.New(stderr), AllowHosts: allowHosts,
	}
	if *orchestrate {
		opts.Orchestration = &emulator.Orchestration{Root: *root, Prefix: *prefix, WaitScale: *waitScale, ScheduleScale: *scheduleScale}
	}
	emu, err := emulator.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	// Close on every exit path: no redis-server may outlive the emulator.
	defer emu.Close()
	if err := emu.Start(); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	env := emu.Env()
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(stdout, "ecprov emulator listening on %s (Ctrl-C stops it and every redis-server it started)\n", emu.URL())
	fmt.Fprintln(stdout, "A client needs:")
	for _, k := range keys {
		fmt.Fprintf(stdout, "  export %s=%s\n", k, env[k])
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	got := <-sig
	fmt.Fprintf(stdout, "%s: stopping\n", got)
	if err := emu.Close(); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	return exitOK
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ecprov/ecprov/internal/alarms"
	"github.com/ecprov/ecprov/internal/awsclient"
	"github.com/ecprov/ecprov/internal/contract"
	"github.com/ecprov/ecprov/internal/execution"
	"github.com/ecprov/ecprov/internal/orchestration"
	"github.com/ecprov/ecprov/internal/profile"
	"github.com/ecprov/ecprov/internal/replicationgroup"
)

// awsFlags are the flags of every command that talks to AWS.
type awsFlags struct {
	profileFlags
	region, endpoint, output, prefix, stack string
}

func (f *awsFlags) register(fs *flag.FlagSet) {
	f.profileFlags.register(fs)
	fs.StringVar(&f.region, "region", "", "AWS region (default: the profile's region)")
	fs.StringVar(&f.endpoint, "endpoint-url", os.Getenv("AWS_ENDPOINT_URL"), "AWS endpoint, e.g. http://127.0.0.1:4566 for the emulator (AWS_ENDPOINT_URL)")
	fs.StringVar(&f.output, "output", "text", "text or json")
	fs.StringVar(&f.prefix, "prefix", "ecprov", "name prefix of the deployed functions and state machines")
	fs.StringVar(&f.stack, "stack", "ecprov", "CloudFormation stack whose outputs name the state machines")
}

// session is what a command needs once flags are parsed.
type session struct {
	p      *profile.Profile
	cfg    aws.Config
	sfn    *sfn.Client
	flags  *awsFlags
	stdout io.Writer
	stderr io.Writer
}

func openSession(ctx context.Context, f *awsFlags, stdout, stderr io.Writer) (*session, int) {
	if f.output != "text" && f.output != "json" {
		fmt.Fprintf(stderr, "--output %q: use text or json\n", f.output)
		return nil, exitBadInput
	}
	p, _, err := f.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, exitBadInput
	}
	region := f.region
	if region == "" {
		region = p.Region
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if f.endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(f.endpoint))
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
			// The emulator takes any credentials.
			opts = append(opts, config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "ecprov-emulator"}, nil
			})))
		}
	}
	cfg, err := awsclient.Load(ctx, opts...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, exitFailure
	}
	return &session{p: p, cfg: cfg, sfn: sfn.NewFromConfig(cfg), flags: f, stdout: stdout, stderr: stderr}, exitOK
}

func (s *session) locate(ctx context.Context, name string) (string, error) {
	return execution.Locate(ctx, s.sfn, cloudformation.NewFromConfig(s.cfg), s.flags.prefix, s.flags.stack, name)
}

func (s *session) pollEvery() time.Duration {
	if s.flags.endpoint != "" {
		return 300 * time.Millisecond
	}
	return 3 * time.Second
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// commandSession parses a command's flags (extra adds its own) and opens
// its session; when it returns no session, code is the exit status.
func commandSession(cmd string, args []string, stdout, stderr io.Writer, extra func(*flag.FlagSet)) (ctx context.Context, cancel context.CancelFunc, s *session, code int) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &awsFlags{}
	f.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, exitBadInput
	}
	ctx, cancel = signalContext()
	if s, code = openSession(ctx, f, stdout, stderr); s == nil {
		cancel()
		return nil, nil, nil, code
	}
	return ctx, cancel, s, exitOK
}

// runStateMachine starts (or follows) one execution of name for the profile
// and reports how it ended.
func runStateMachine(args []string, stdout, stderr io.Writer, cmd, name string) int {
	ctx, cancel, s, code := commandSession(cmd, args, stdout, stderr, nil)
	if s == nil {
		return code
	}
	defer cancel()
	f := s.flags
	smARN, err := s.locate(ctx, name)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	if name == "provision" && s.p.NotificationTopicARN == "" {
		fmt.Fprintf(stderr, "warning: %s has no notificationTopicArn: ElastiCache's failover notices will not start a reconcile, only the TestFailover rule and the hourly schedule will; set it to the stack output NotificationTopicArn (topic %s)\n",
			s.p.Environment, orchestration.TopicName(f.prefix))
	}
	raw, _ := json.Marshal(s.p)
	input, _ := json.Marshal(map[string]json.RawMessage{"profile": raw})
	progress := stderr
	if f.output == "text" {
		progress = stdout
	}
	started := time.Now()
	arn, followed, err := execution.StartOrFollow(ctx, s.sfn, smARN, s.p.Environment, name+"-"+execution.NamePrefix(s.p), input, started)
	if err != nil {
		fmt.Fprintln(stderr, err) // ErrBusy says "already in progress" and names the execution
		return exitFailure
	}
	verb := "started"
	if followed {
		verb = "already running; following"
	}
	fmt.Fprintf(progress, "%s %s: %s %s\n", cmd, s.p.Environment, verb, arn)
	res, err := execution.Follow(ctx, s.sfn, arn, progress, s.pollEvery())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	elapsed := time.Since(started).Seconds()
	if res.Status != "SUCCEEDED" {
		fmt.Fprintf(stderr, "%s %s %s after %.1fs: %s: %s\n", cmd, s.p.Environment, strings.ToLower(res.Status), elapsed, res.Error, execution.Message(res.Cause))
		return exitFailure
	}
	if f.output == "json" {
		fmt.Fprintln(stdout, string(res.Output))
		return exitOK
	}
	fmt.Fprintf(stdout, "%s %s succeeded in %.1fs\n", cmd, s.p.Environment, elapsed)
	printOutputs(stdout, name, res.Output)
	return exitOK
}

// printOutputs prints a run's output: provision's as a table, teardown's
// as JSON, anything that is not its contract as it came.
func printOutputs(w io.Writer, stateMachine string, raw json.RawMessage) {
	switch stateMachine {
	case "provision":
		var out contract.ProvisionOutputs
		if json.Unmarshal(raw, &out) == nil {
			printProvisionOutputs(w, out)
			return
		}
	case "teardown":
		var out contract.TeardownOutputs
		if json.Unmarshal(raw, &out) == nil {
			data, _ := json.MarshalIndent(out, "  ", "  ")
			fmt.Fprintf(w, "  %s\n", data)
			return
		}
	}
	fmt.Fprintln(w, string(raw))
}

func printProvisionOutputs(w io.Writer, out contract.ProvisionOutputs) {
	endpoint := func(e *replicationgroup.Endpoint) string {
		if e == nil {
			return "-"
		}
		return fmt.Sprintf("%s:%d", e.Address, e.Port)
	}
	rows := [][2]string{
		{"replication group", out.ReplicationGroupID},
		{"primary endpoint", endpoint(out.PrimaryEndpoint)},
		{"reader endpoint", endpoint(out.ReaderEndpoint)},
		{"port", fmt.Sprint(out.Port)},
		{"current primary", out.CurrentPrimary},
		{"security groups", fmt.Sprint(out.SecurityGroupIDs)},
		{"secret ARN", out.SecretARN},
		{"secret version", out.SecretVersionID},
		{"action", out.Action},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-18s %s\n", r[0], r[1])
	}
	fmt.Fprintf(w, "  %-18s %d\n", "alarms", len(out.AlarmNames))
	for _, n := range out.AlarmNames {
		fmt.Fprintf(w, "    %s\n", n)
	}
}

func statusCmd(args []string, stdout, stderr io.Writer) int {
	ctx, cancel, s, code := commandSession("status", args, stdout, stderr, nil)
	if s == nil {
		return code
	}
	defer cancel()
	st := s.readStatus(ctx)
	if s.flags.output == "json" {
		data, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintln(stdout, string(data))
		return exitOK
	}
	printStatus(stdout, st)
	return exitOK
}

// readStatus reads the group, the endpoint secret, the alarms and the
// recent executions; what cannot be read is left out or says why.
func (s *session) readStatus(ctx context.Context) contract.StatusView {
	st := contract.StatusView{Environment: s.p.Environment, ReplicationGroupID: s.p.ReplicationGroupID, RecentExecutions: map[string][]string{}}
	g, err := replicationgroup.FindByID(ctx, elasticache.NewFromConfig(s.cfg), s.p.ReplicationGroupID)
	if err != nil {
		st.Group = err.Error()
	} else {
		t := replicationgroup.TopologyOf(g)
		st.Status, st.Topology = aws.ToString(g.Status), &t
	}
	if d, err := secretsmanager.NewFromConfig(s.cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s.p.SecretName)}); err == nil {
		st.Secret = contract.SecretView{Found: true, ARN: aws.ToString(d.ARN), Versions: len(d.VersionIdsToStages), ScheduledForDeletion: d.DeletedDate}
		for v, stages := range d.VersionIdsToStages {
			if slices.Contains(stages, "AWSCURRENT") {
				st.Secret.CurrentVersion = v
			}
		}
	}
	cw := cloudwatch.NewFromConfig(s.cfg)
	if out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(alarms.Prefix(s.p.ReplicationGroupID))}); err == nil {
		st.Alarms = map[string]string{}
		for _, a := range out.MetricAlarms {
			st.Alarms[aws.ToString(a.AlarmName)] = string(a.StateValue)
		}
	}
	for _, name := range statusMachines {
		arn, err := s.locate(ctx, name)
		if err != nil {
			continue
		}
		items, err := execution.Recent(ctx, s.sfn, arn, 5)
		if err != nil {
			continue
		}
		for _, e := range items {
			st.RecentExecutions[name] = append(st.RecentExecutions[name], fmt.Sprintf("%s %s %s", aws.ToTime(e.StartDate).UTC().Format(time.RFC3339), e.Status, aws.ToString(e.Name)))
		}
	}
	return st
}

// statusMachines are the state machines whose recent executions the status
// shows, in this order.
var statusMachines = []string{"provision", "reconcile", "teardown"}

func printStatus(w io.Writer, st contract.StatusView) {
	fmt.Fprintf(w, "environment        %s\nreplication group  %s", st.Environment, st.ReplicationGroupID)
	if t := st.Topology; t != nil {
		fmt.Fprintf(w, " (%s)\n", st.Status)
		if t.PrimaryEndpoint != nil {
			fmt.Fprintf(w, "primary endpoint   %s:%d\n", t.PrimaryEndpoint.Address, t.PrimaryEndpoint.Port)
		}
		if t.ReaderEndpoint != nil {
			fmt.Fprintf(w, "reader endpoint    %s:%d\n", t.ReaderEndpoint.Address, t.ReaderEndpoint.Port)
		}
		fmt.Fprintf(w, "tls                %v\nmembers\n", t.TLS)
		for _, m := range t.Members {
			fmt.Fprintf(w, "  %-24s %-8s %s\n", m.CacheClusterID, m.Role, m.AvailabilityZone)
		}
	} else {
		fmt.Fprintf(w, ": %s\n", st.Group)
	}
	if sec := st.Secret; sec.Found {
		fmt.Fprintf(w, "secret             %s\n  current version  %s (%d versions)\n", sec.ARN, sec.CurrentVersion, sec.Versions)
		if sec.ScheduledForDeletion != nil {
			fmt.Fprintf(w, "  scheduled for deletion on %v\n", sec.ScheduledForDeletion)
		}
	} else {
		fmt.Fprintf(w, "secret             not found\n")
	}
	if st.Alarms != nil {
		fmt.Fprintf(w, "alarms             %d\n", len(st.Alarms))
		for _, name := range slices.Sorted(maps.Keys(st.Alarms)) {
			fmt.Fprintf(w, "  %-70s %s\n", name, st.Alarms[name])
		}
	}
	fmt.Fprintln(w, "recent executions")
	for _, sm := range statusMachines {
		for _, e := range st.RecentExecutions[sm] {
			fmt.Fprintf(w, "  %-10s %s\n", sm, e)
		}
	}
}

func failoverCmd(args []string, stdout, stderr io.Writer) int {
	var wait time.Duration
	ctx, cancel, s, code := commandSession("failover", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.DurationVar(&wait, "wait", 5*time.Minute, "how long to follow the reconcile that the failover triggers")
	})
	if s == nil {
		return code
	}
	defer cancel()
	ec := elasticache.NewFromConfig(s.cfg)
	g, err := replicationgroup.FindByID(ctx, ec, s.p.ReplicationGroupID)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	before := replicationgroup.TopologyOf(g).CurrentPrimary
	reconcileARN, err := s.locate(ctx, "reconcile")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	t0 := time.Now().Add(-time.Second)
	if _, err := ec.TestFailover(ctx, &elasticache.TestFailoverInput{ReplicationGroupId: aws.String(s.p.ReplicationGroupID), NodeGroupId: aws.String("0001")}); err != nil {
		fmt.Fprintf(stderr, "TestFailover %s: %v\n", s.p.ReplicationGroupID, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "failover %s: TestFailover called; primary was %s\n", s.p.Environment, before)
	deadline := time.Now().Add(wait)
	followed := map[string]bool{}
	for time.Now().Before(deadline) {
		items, err := execution.Recent(ctx, s.sfn, reconcileARN, 20)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
		for i := len(items) - 1; i >= 0; i-- {
			e := items[i]
			arn := aws.ToString(e.ExecutionArn)
			if followed[arn] || aws.ToTime(e.StartDate).Before(t0) {
				continue
			}
			followed[arn] = true
			fmt.Fprintf(stdout, "reconcile %s\n", aws.ToString(e.Name))
			res, err := execution.Follow(ctx, s.sfn, arn, stdout, s.pollEvery())
			if err != nil {
				fmt.Fprintln(stderr, err)
				return exitFailure
			}
			var results []contract.ReconcileSummary
			if res.Status != "SUCCEEDED" {
				fmt.Fprintf(stdout, "reconcile %s: %s %s: %s\n", aws.ToString(e.Name), res.Status, res.Error, execution.Message(res.Cause))
			}
			if json.Unmarshal(res.Output, &results) == nil {
				for _, r := range results {
					fmt.Fprintf(stdout, "reconcile %s (trigger %s): current primary %s, secret changed %v, settings repaired %d\n",
						aws.ToString(e.Name), r.Input.Trigger, r.CurrentPrimary, r.SecretChanged, len(r.SettingsRepaired))
					if r.CurrentPrimary != "" && r.CurrentPrimary != before {
						fmt.Fprintf(stdout, "failover %s: primary is now %s; the secret names it\n", s.p.Environment, r.CurrentPrimary)
						return exitOK
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return exitFailure
		case <-time.After(s.pollEvery()):
		}
	}
	fmt.Fprintf(stderr, "failover %s: no reconcile named a new primary within %s\n", s.p.Environment, wait)
	return exitFailure
}

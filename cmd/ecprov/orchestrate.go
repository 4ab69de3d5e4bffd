package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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

// runStateMachine starts (or follows) one execution of name for the profile
// and reports how it ended.
func runStateMachine(args []string, stdout, stderr io.Writer, cmd, name string) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f awsFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	ctx, cancel := signalContext()
	defer cancel()
	s, code := openSession(ctx, &f, stdout, stderr)
	if s == nil {
		return code
	}
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
	printOutputs(stdout, res.Output)
	return exitOK
}

func printOutputs(w io.Writer, raw json.RawMessage) {
	var out map[string]any
	if json.Unmarshal(raw, &out) != nil {
		fmt.Fprintln(w, string(raw))
		return
	}
	endpoint := func(v any) string {
		m, _ := v.(map[string]any)
		if m == nil {
			return "-"
		}
		return fmt.Sprintf("%v:%v", m["address"], m["port"])
	}
	rows := [][2]string{
		{"replication group", fmt.Sprint(out["replicationGroupId"])},
		{"primary endpoint", endpoint(out["primaryEndpoint"])},
		{"reader endpoint", endpoint(out["readerEndpoint"])},
		{"port", fmt.Sprint(out["port"])},
		{"current primary", fmt.Sprint(out["currentPrimary"])},
		{"security groups", fmt.Sprint(out["securityGroupIds"])},
		{"secret ARN", fmt.Sprint(out["secretArn"])},
		{"secret version", fmt.Sprint(out["secretVersionId"])},
		{"action", fmt.Sprint(out["action"])},
	}
	if _, ok := out["primaryEndpoint"]; !ok {
		data, _ := json.MarshalIndent(out, "  ", "  ")
		fmt.Fprintf(w, "  %s\n", data)
		return
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-18s %s\n", r[0], r[1])
	}
	names, _ := out["alarmNames"].([]any)
	fmt.Fprintf(w, "  %-18s %d\n", "alarms", len(names))
	for _, n := range names {
		fmt.Fprintf(w, "    %v\n", n)
	}
}

func statusCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f awsFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	ctx, cancel := signalContext()
	defer cancel()
	s, code := openSession(ctx, &f, stdout, stderr)
	if s == nil {
		return code
	}
	st := map[string]any{"environment": s.p.Environment, "replicationGroupId": s.p.ReplicationGroupID}
	ec := elasticache.NewFromConfig(s.cfg)
	g, err := replicationgroup.FindByID(ctx, ec, s.p.ReplicationGroupID)
	if err != nil {
		st["group"] = err.Error()
	} else {
		st["status"] = aws.ToString(g.Status)
		st["topology"] = replicationgroup.TopologyOf(g)
	}
	sm := secretsmanager.NewFromConfig(s.cfg)
	if d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s.p.SecretName)}); err != nil {
		st["secret"] = "not found"
	} else {
		sec := map[string]any{"arn": aws.ToString(d.ARN)}
		for v, stages := range d.VersionIdsToStages {
			for _, stage := range stages {
				if stage == "AWSCURRENT" {
					sec["currentVersion"] = v
				}
			}
		}
		sec["versions"] = len(d.VersionIdsToStages)
		if d.DeletedDate != nil {
			sec["scheduledForDeletion"] = d.DeletedDate
		}
		st["secret"] = sec
	}
	cw := cloudwatch.NewFromConfig(s.cfg)
	if out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(alarms.Prefix(s.p.ReplicationGroupID))}); err == nil {
		states := map[string]string{}
		for _, a := range out.MetricAlarms {
			states[aws.ToString(a.AlarmName)] = string(a.StateValue)
		}
		st["alarms"] = states
	}
	recent := map[string][]string{}
	for _, name := range []string{"provision", "reconcile", "teardown"} {
		arn, err := s.locate(ctx, name)
		if err != nil {
			continue
		}
		items, err := execution.Recent(ctx, s.sfn, arn, 5)
		if err != nil {
			continue
		}
		for _, e := range items {
			recent[name] = append(recent[name], fmt.Sprintf("%s %s %s", aws.ToTime(e.StartDate).UTC().Format(time.RFC3339), e.Status, aws.ToString(e.Name)))
		}
	}
	st["recentExecutions"] = recent
	if f.output == "json" {
		data, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintln(stdout, string(data))
		return exitOK
	}
	printStatus(stdout, st)
	return exitOK
}

func printStatus(w io.Writer, st map[string]any) {
	fmt.Fprintf(w, "environment        %v\nreplication group  %v", st["environment"], st["replicationGroupId"])
	if s, ok := st["status"]; ok {
		fmt.Fprintf(w, " (%v)\n", s)
	} else {
		fmt.Fprintf(w, ": %v\n", st["group"])
	}
	if t, ok := st["topology"].(replicationgroup.Topology); ok {
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
	}
	switch sec := st["secret"].(type) {
	case map[string]any:
		fmt.Fprintf(w, "secret             %v\n  current version  %v (%v versions)\n", sec["arn"], sec["currentVersion"], sec["versions"])
		if d, ok := sec["scheduledForDeletion"]; ok {
			fmt.Fprintf(w, "  scheduled for deletion on %v\n", d)
		}
	default:
		fmt.Fprintf(w, "secret             %v\n", sec)
	}
	if al, ok := st["alarms"].(map[string]string); ok {
		fmt.Fprintf(w, "alarms             %d\n", len(al))
		for _, name := range sortedKeys(al) {
			fmt.Fprintf(w, "  %-70s %s\n", name, al[name])
		}
	}
	if rec, ok := st["recentExecutions"].(map[string][]string); ok {
		fmt.Fprintln(w, "recent executions")
		for _, sm := range []string{"provision", "reconcile", "teardown"} {
			for _, e := range rec[sm] {
				fmt.Fprintf(w, "  %-10s %s\n", sm, e)
			}
		}
	}
}

func failoverCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("failover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f awsFlags
	f.register(fs)
	wait := fs.Duration("wait", 5*time.Minute, "how long to follow the reconcile that the failover triggers")
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	ctx, cancel := signalContext()
	defer cancel()
	s, code := openSession(ctx, &f, stdout, stderr)
	if s == nil {
		return code
	}
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
	deadline := time.Now().Add(*wait)
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
			var results []struct {
				CurrentPrimary   string            `json:"currentPrimary"`
				SecretChanged    bool              `json:"secretChanged"`
				Input            map[string]any    `json:"input"`
				SettingsRepaired []json.RawMessage `json:"settingsRepaired"`
			}
			if res.Status != "SUCCEEDED" {
				fmt.Fprintf(stdout, "reconcile %s: %s %s: %s\n", aws.ToString(e.Name), res.Status, res.Error, execution.Message(res.Cause))
			}
			if json.Unmarshal(res.Output, &results) == nil {
				for _, r := range results {
					fmt.Fprintf(stdout, "reconcile %s (trigger %v): current primary %s, secret changed %v, settings repaired %d\n",
						aws.ToString(e.Name), r.Input["trigger"], r.CurrentPrimary, r.SecretChanged, len(r.SettingsRepaired))
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
	fmt.Fprintf(stderr, "failover %s: no reconcile named a new primary within %s\n", s.p.Environment, *wait)
	return exitFailure
}

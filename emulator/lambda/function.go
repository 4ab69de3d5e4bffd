package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// Function is a function to serve: a bootstrap built for this machine
// (make build-local) and its configuration.
type Function struct {
	Name string
	// BootstrapPath is the executable that speaks the Lambda Runtime API
	// (dist/host/<name>/bootstrap). It runs with its directory as the
	// working directory, as /var/task is on Lambda.
	BootstrapPath string
	// Env is the function's environment, on top of Options.Env.
	Env map[string]string
	// Timeout per invocation (default 3 s, Lambda's); whole seconds, rounded up.
	Timeout time.Duration
	// MemoryMB is reported to the function (default 128); not enforced.
	MemoryMB    int
	Description string
}

// Defaults and limits of Lambda.
const (
	defaultTimeout  = 3 * time.Second
	maxTimeout      = 900 * time.Second
	defaultMemoryMB = 128
)

var functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// function is a registered function and its pool of instances.
type function struct {
	cfg        Function
	arn        string
	codeSHA256 string
	codeSize   int64
	modified   time.Time
	role       string
	tags       map[string]string
	stats      *stats
	// codeDir is the folder CreateFunction unzipped the code into, removed
	// with the function; "" for functions registered from a path.
	codeDir string

	// slots bounds concurrent invocations, and so instances, per function.
	slots chan struct{}

	mu      sync.Mutex
	idle    []*instance
	all     map[*instance]bool
	retired bool // replaced or deleted: instances end when released
	seq     int
}

func (s *Service) newFunction(fn Function) (*function, error) {
	if !functionNameRE.MatchString(fn.Name) {
		return nil, fmt.Errorf("function name %q: Lambda allows 1-64 letters, digits, hyphens and underscores", fn.Name)
	}
	if fn.BootstrapPath == "" {
		return nil, fmt.Errorf("function %s: no BootstrapPath (build it with `make build-local`)", fn.Name)
	}
	abs, err := filepath.Abs(fn.BootstrapPath)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("function %s: bootstrap: %w (build it with `make build-local`)", fn.Name, err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("function %s: bootstrap %s is not an executable file", fn.Name, abs)
	}
	fn.BootstrapPath = abs
	switch {
	case fn.Timeout <= 0:
		fn.Timeout = defaultTimeout
	case fn.Timeout > maxTimeout:
		return nil, fmt.Errorf("function %s: timeout %s is over Lambda's limit of 900 s", fn.Name, fn.Timeout)
	default:
		fn.Timeout = time.Duration((fn.Timeout+time.Second-1)/time.Second) * time.Second
	}
	if fn.MemoryMB <= 0 {
		fn.MemoryMB = defaultMemoryMB
	}
	fn.Env = maps.Clone(fn.Env)
	sum, size, err := fileSHA256(abs)
	if err != nil {
		return nil, err
	}
	return &function{
		cfg:        fn,
		arn:        s.functionARN(fn.Name),
		codeSHA256: sum,
		codeSize:   size,
		modified:   time.Now().UTC(),
		role:       fmt.Sprintf("arn:aws:iam::%s:role/ecprov-local-lambda", s.opts.AccountID),
		stats:      &stats{},
		slots:      make(chan struct{}, s.opts.MaxInstances),
		all:        map[*instance]bool{},
	}, nil
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), n, nil
}

// environment is what the RIE (and through it the function) sees: Lambda's
// reserved variables, the service-wide ones, then the function's own.
func (s *Service) environment(fn *function) map[string]string {
	env := map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"AWS_REGION":                      s.opts.Region,
		"AWS_DEFAULT_REGION":              s.opts.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_NAME":        fn.cfg.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.cfg.MemoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(int(fn.cfg.Timeout / time.Second)),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + fn.cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "ecprov-local",
		"LAMBDA_TASK_ROOT":                filepath.Dir(fn.cfg.BootstrapPath),
		"_HANDLER":                        "bootstrap",
	}
	maps.Copy(env, s.opts.Env)
	maps.Copy(env, fn.cfg.Env)
	return env
}

// acquire returns an idle instance, or starts one when all are busy and the
// function has fewer than Options.MaxInstances; otherwise it waits.
func (s *Service) acquire(ctx context.Context, fn *function) (*instance, bool, error) {
	select {
	case fn.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-s.closed:
		return nil, false, errClosed
	}
	fn.mu.Lock()
	for len(fn.idle) > 0 {
		in := fn.idle[len(fn.idle)-1]
		fn.idle = fn.idle[:len(fn.idle)-1]
		if in.alive() {
			fn.mu.Unlock()
			return in, false, nil
		}
		delete(fn.all, in)
	}
	fn.seq++
	id := fmt.Sprintf("%s-%d", fn.cfg.Name, fn.seq)
	fn.mu.Unlock()

	start := time.Now()
	in, err := startInstance(ctx, fn, instanceConfig{
		id:             id,
		riePath:        s.riePath,
		supervisorPath: s.supervisorPath,
		envPath:        s.envPath,
		bootstrap:      fn.cfg.BootstrapPath,
		env:            s.environment(fn),
		log:            s.log.With("function", fn.cfg.Name),
	})
	if err != nil {
		<-fn.slots
		return nil, false, fmt.Errorf("starting an instance of %s: %w", fn.cfg.Name, err)
	}
	fn.stats.started(time.Since(start))
	fn.mu.Lock()
	fn.all[in] = true
	fn.mu.Unlock()
	s.log.Debug("instance started", "function", fn.cfg.Name, "instance", id, "startMs", ms(time.Since(start)))
	return in, true, nil
}

// release hands an instance back to the pool, or ends it.
func (s *Service) release(fn *function, in *instance, discard bool) {
	fn.mu.Lock()
	keep := !discard && !fn.retired && in.alive() && !s.isClosed()
	if keep {
		fn.idle = append(fn.idle, in)
	} else {
		delete(fn.all, in)
	}
	fn.mu.Unlock()
	<-fn.slots
	if !keep {
		in.kill()
	}
}

// retire ends the idle instances now and the busy ones when released.
func (fn *function) retire() {
	fn.mu.Lock()
	fn.retired = true
	idle := fn.idle
	fn.idle = nil
	for _, in := range idle {
		delete(fn.all, in)
	}
	fn.mu.Unlock()
	for _, in := range idle {
		in.kill()
	}
}

// killAll ends every instance, busy or not.
func (fn *function) killAll() {
	fn.mu.Lock()
	fn.retired = true
	all := make([]*instance, 0, len(fn.all))
	for in := range fn.all {
		all = append(all, in)
	}
	fn.all = map[*instance]bool{}
	fn.idle = nil
	fn.mu.Unlock()
	var wg sync.WaitGroup
	for _, in := range all {
		wg.Go(in.kill)
	}
	wg.Wait()
}

// removeCode deletes the code CreateFunction unzipped for the function,
// and its function's folder once it is empty.
func (fn *function) removeCode() error {
	if fn.codeDir == "" {
		return nil
	}
	if err := os.RemoveAll(fn.codeDir); err != nil {
		return fmt.Errorf("remove the code of %s: %w", fn.cfg.Name, err)
	}
	_ = os.Remove(filepath.Dir(fn.codeDir)) // fails, as it should, when not empty
	return nil
}

func (fn *function) instanceCount() int {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	return len(fn.all)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

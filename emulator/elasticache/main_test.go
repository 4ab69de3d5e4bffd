package elasticache_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestMain fails the run when a redis-server started by these tests is
// still running afterwards.
func TestMain(m *testing.M) {
	code := m.Run()
	if left := childRedisServers(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "redis-server processes left running after the tests: %v\n", left)
		code = 1
	}
	os.Exit(code)
}

// childRedisServers lists live redis-server children of this process.
func childRedisServers() []int {
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "redis-server") {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == self {
			out = append(out, pid)
		}
	}
	return out
}

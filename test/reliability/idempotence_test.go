package reliability

import (
	"testing"
)

// Three provisions of one profile leave the same resources: the Describe
// outputs are identical but for timestamps, the secret has one version, and
// the second and third runs report nothing changed.
func TestProvisionThreeTimesIsIdempotent(t *testing.T) {
	t.Parallel()
	l := calm
	p, raw := profileFor(t, "rel-idem", nil)
	first := l.mustSucceed(t, "provision", p, raw)
	if first["action"] != "created" {
		t.Fatalf("first run: action %v", first["action"])
	}
	inv := l.inspect(t, p)
	if problems := inv.converged(p); len(problems) > 0 {
		t.Fatalf("after the first run: %v", problems)
	}
	want := inv.comparable(t)
	for i := 2; i <= 3; i++ {
		out := l.mustSucceed(t, "provision", p, raw)
		if out["action"] != "unchanged" || out["secretChanged"] != false || out["alarmsChanged"] != false {
			t.Errorf("run %d changed something: action %v, secretChanged %v, alarmsChanged %v, changes %v",
				i, out["action"], out["secretChanged"], out["alarmsChanged"], out["changes"])
		}
		again := l.inspect(t, p)
		if got := again.comparable(t); got != want {
			t.Errorf("run %d: resources differ from the first run's:\n%s", i, diffLines(want, got))
		}
		if again.SecretVersions != 1 {
			t.Errorf("run %d: the secret has %d versions, want 1", i, again.SecretVersions)
		}
		if again.SecretValue != inv.SecretValue {
			t.Errorf("run %d: the secret's value changed:\n%s\n%s", i, inv.SecretValue, again.SecretValue)
		}
	}
	l.mustSucceed(t, "teardown", p, raw)
}

// diffLines shows the lines of got that are not in want and the reverse.
func diffLines(want, got string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, line := range splitLines(s) {
			m[line]++
		}
		return m
	}
	w, g := count(want), count(got)
	out := ""
	for _, line := range splitLines(want) {
		if g[line] < w[line] {
			out += "- " + line + "\n"
			w[line]--
		}
	}
	w = count(want)
	for _, line := range splitLines(got) {
		if w[line] < g[line] {
			out += "+ " + line + "\n"
			g[line]--
		}
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

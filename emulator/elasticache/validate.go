package elasticache

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var identifierPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// validateIdentifier applies ElastiCache's naming rule for replication
// groups, parameter groups, subnet groups and snapshots: starts with a
// letter; letters, digits and hyphens only; no "--"; no trailing hyphen.
func validateIdentifier(param, value string, maxLen int) *apiError {
	if value == "" {
		return missingParameter(param)
	}
	if len(value) > maxLen || !identifierPattern.MatchString(value) || strings.Contains(value, "--") || strings.HasSuffix(value, "-") {
		return invalidValue("Invalid %s %q: it must be 1 to %d characters, begin with a letter, contain only ASCII letters, digits and hyphens, and must not end with a hyphen or contain two consecutive hyphens (for example %q).",
			param, value, maxLen, suggestIdentifier(value, maxLen))
	}
	return nil
}

// suggestIdentifier turns a rejected name into one that passes, for the
// "way out" in error messages.
func suggestIdentifier(v string, maxLen int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(v) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	s := b.String()
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	s = strings.TrimLeft(s, "-0123456789")
	if len(s) > maxLen {
		s = s[:maxLen]
	}
	s = strings.TrimRight(s, "-")
	if s == "" {
		s = "my-cache"
	}
	return s
}

var (
	snapshotWindowPattern    = regexp.MustCompile(`^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$`)
	maintenanceWindowPattern = regexp.MustCompile(`^(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)-(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)$`)
	weekdays                 = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

// window is a half-open span of minutes; for snapshot windows the minutes
// are of the day, for maintenance windows of the week (Sunday 00:00 = 0).
type window struct {
	start, length int
}

func parseSnapshotWindow(s string) (window, *apiError) {
	m := snapshotWindowPattern.FindStringSubmatch(s)
	if m == nil {
		return window{}, invalidValue("Invalid SnapshotWindow %q: use the format hh24:mi-hh24:mi in UTC, for example \"03:00-04:00\".", s)
	}
	start := atoi(m[1])*60 + atoi(m[2])
	end := atoi(m[3])*60 + atoi(m[4])
	length := (end - start + minutesPerDay) % minutesPerDay
	if length < 60 {
		return window{}, invalidValue("SnapshotWindow %q is %d minutes; ElastiCache needs at least 60 (for example %q).", s, length, fmt.Sprintf("%s-%02d:%s", m[1]+":"+m[2], (atoi(m[1])+1)%24, m[2]))
	}
	return window{start: start, length: length}, nil
}

func parseMaintenanceWindow(s string) (window, *apiError) {
	m := maintenanceWindowPattern.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return window{}, invalidValue("Invalid PreferredMaintenanceWindow %q: use the format ddd:hh24:mi-ddd:hh24:mi in UTC, for example \"sun:05:00-sun:06:00\".", s)
	}
	start := dayIndex(m[1])*minutesPerDay + atoi(m[2])*60 + atoi(m[3])
	end := dayIndex(m[4])*minutesPerDay + atoi(m[5])*60 + atoi(m[6])
	length := (end - start + minutesPerWeek) % minutesPerWeek
	if length < 60 {
		return window{}, invalidValue("PreferredMaintenanceWindow %q is %d minutes; ElastiCache needs at least 60 (for example \"sun:05:00-sun:06:00\").", s, length)
	}
	if length > minutesPerDay {
		return window{}, invalidValue("PreferredMaintenanceWindow %q is %d minutes; ElastiCache allows at most 24 hours.", s, length)
	}
	return window{start: start, length: length}, nil
}

// windowsOverlap reports whether a daily snapshot window overlaps a weekly
// maintenance window on any day.
func windowsOverlap(snapshot, maintenance window) bool {
	for day := -1; day <= 7; day++ {
		s := day*minutesPerDay + snapshot.start
		for _, shift := range []int{-minutesPerWeek, 0, minutesPerWeek} {
			m := maintenance.start + shift
			if s < m+maintenance.length && m < s+snapshot.length {
				return true
			}
		}
	}
	return false
}

// checkWindows validates both windows and that they do not overlap.
func checkWindows(snapshotWindow, maintenanceWindow string) *apiError {
	sw, err := parseSnapshotWindow(snapshotWindow)
	if err != nil {
		return err
	}
	mw, err := parseMaintenanceWindow(maintenanceWindow)
	if err != nil {
		return err
	}
	if windowsOverlap(sw, mw) {
		return invalidCombination("The snapshot window %q and the maintenance window %q overlap; ElastiCache needs them apart (for example snapshot \"03:00-04:00\" and maintenance \"sun:05:00-sun:06:00\").", snapshotWindow, maintenanceWindow)
	}
	return nil
}

func checkRetention(n int) *apiError {
	if n < 0 || n > 35 {
		return invalidValue("SnapshotRetentionLimit %d is out of range; ElastiCache keeps automatic snapshots for 0 (off) to 35 days.", n)
	}
	return nil
}

func dayIndex(d string) int {
	for i, w := range weekdays {
		if w == d {
			return i
		}
	}
	return 0
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// chooseWindows fills in the windows the caller left out the way
// ElastiCache does (it picks one that does not overlap the other) and
// validates the pair.
func chooseWindows(snapshot, maintenance string) (string, string, *apiError) {
	switch {
	case snapshot == "" && maintenance == "":
		return defaultSnapshotWindow, defaultMaintenanceWindow, nil
	case snapshot == "":
		mw, err := parseMaintenanceWindow(maintenance)
		if err != nil {
			return "", "", err
		}
		for h := 0; h < 24; h++ {
			cand := fmt.Sprintf("%02d:00-%02d:00", (5+h)%24, (6+h)%24)
			sw, _ := parseSnapshotWindow(cand)
			if !windowsOverlap(sw, mw) {
				return cand, maintenance, nil
			}
		}
		return "", "", invalidValue("PreferredMaintenanceWindow %q leaves no hour free for the daily snapshot window; shorten it.", maintenance)
	case maintenance == "":
		sw, err := parseSnapshotWindow(snapshot)
		if err != nil {
			return "", "", err
		}
		if mw, _ := parseMaintenanceWindow(defaultMaintenanceWindow); !windowsOverlap(sw, mw) {
			return snapshot, defaultMaintenanceWindow, nil
		}
		for d := 0; d < 7*24; d++ {
			day, h := weekdays[(d/24)%7], d%24
			end := weekdays[((d+1)/24)%7]
			cand := fmt.Sprintf("%s:%02d:00-%s:%02d:00", day, h, end, (h+1)%24)
			mw, _ := parseMaintenanceWindow(cand)
			if !windowsOverlap(sw, mw) {
				return snapshot, cand, nil
			}
		}
		return "", "", invalidValue("SnapshotWindow %q leaves no hour free for the maintenance window; shorten it.", snapshot)
	}
	return snapshot, maintenance, checkWindows(snapshot, maintenance)
}

// checkPort: a node's port is a TCP port, 1 to 65535. The model's Port
// (IntegerOptional) states no range and the ElastiCache documentation
// none either, so this is TCP's; ElastiCache answers its own input checks
// with InvalidParameterValue.
func checkPort(port int) *apiError {
	if port < 1 || port > 65535 {
		return invalidValue("Port %d is not a valid port number; use 1 to 65535 (Redis's default is 6379).", port)
	}
	return nil
}

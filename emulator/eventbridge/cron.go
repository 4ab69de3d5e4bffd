package eventbridge

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronSchedule is an EventBridge cron expression: six fields, minutes
// hours day-of-month month day-of-week year, in UTC ("Creating an Amazon
// EventBridge rule that runs on a schedule", cron expressions). One of
// day-of-month and day-of-week must be '?'. Supported: '*', '?', lists,
// ranges, increments (0/15, */5), month and day names, L (last day of
// month, or nL last weekday n of the month), W (nearest weekday; LW last
// weekday) and # (n#k, k-th weekday n of the month). Day-of-week numbers
// run 1 (SUN) to 7 (SAT).
type cronSchedule struct {
	minutes, hours, months, years []bool
	dayOfMonth                    *domSpec // nil when '?'
	dayOfWeek                     *dowSpec // nil when '?'
}

type domSpec struct {
	days        []bool // 1..31
	last        bool   // L
	lastWeekday bool   // LW
	nearest     int    // nW
}

type dowSpec struct {
	days    []bool // 1 (SUN) .. 7 (SAT)
	last    int    // nL: last weekday n of the month
	nth     int    // n#k: weekday n ...
	nthWeek int    // ... of week k
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(body string) (*cronSchedule, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron needs 6 fields, got %d", len(f))
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, errors.New("exactly one of day-of-month and day-of-week must be '?'")
	}
	c := &cronSchedule{}
	var err error
	if c.minutes, err = parseCronField(f[0], 0, 59, nil); err != nil {
		return nil, err
	}
	if c.hours, err = parseCronField(f[1], 0, 23, nil); err != nil {
		return nil, err
	}
	if c.months, err = parseCronField(f[3], 1, 12, monthNames); err != nil {
		return nil, err
	}
	if c.years, err = parseCronField(f[5], 1970, 2199, nil); err != nil {
		return nil, err
	}
	if f[2] != "?" {
		if c.dayOfMonth, err = parseDayOfMonth(f[2]); err != nil {
			return nil, err
		}
	}
	if f[4] != "?" {
		if c.dayOfWeek, err = parseDayOfWeek(f[4]); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parseDayOfMonth(s string) (*domSpec, error) {
	switch {
	case s == "L":
		return &domSpec{last: true}, nil
	case s == "LW":
		return &domSpec{lastWeekday: true}, nil
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "W"))
		if err != nil || n < 1 || n > 31 {
			return nil, fmt.Errorf("bad day-of-month %q", s)
		}
		return &domSpec{nearest: n}, nil
	}
	days, err := parseCronField(s, 1, 31, nil)
	if err != nil {
		return nil, err
	}
	return &domSpec{days: days}, nil
}

func parseDayOfWeek(s string) (*dowSpec, error) {
	day := func(v string) (int, error) {
		if n, ok := dayNames[v]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 7 {
			return 0, fmt.Errorf("bad day-of-week %q", v)
		}
		return n, nil
	}
	if d, k, ok := strings.Cut(s, "#"); ok {
		n, err := day(d)
		if err != nil {
			return nil, err
		}
		w, err := strconv.Atoi(k)
		if err != nil || w < 1 || w > 5 {
			return nil, fmt.Errorf("bad week %q in day-of-week", k)
		}
		return &dowSpec{nth: n, nthWeek: w}, nil
	}
	if d, ok := strings.CutSuffix(s, "L"); ok {
		if d == "" {
			return &dowSpec{days: oneDay(7)}, nil // L alone is the last day of the week
		}
		n, err := day(d)
		if err != nil {
			return nil, err
		}
		return &dowSpec{last: n}, nil
	}
	days, err := parseCronField(s, 1, 7, dayNames)
	if err != nil {
		return nil, err
	}
	return &dowSpec{days: days}, nil
}

func oneDay(n int) []bool {
	days := make([]bool, 8)
	days[n] = true
	return days
}

// parseCronField reads a comma list of *, v, a-b, and x/step where x is *,
// v or a-b, into a set indexed by value.
func parseCronField(s string, lo, hi int, names map[string]int) ([]bool, error) {
	set := make([]bool, hi+1)
	value := func(v string) (int, error) {
		if n, ok := names[strings.ToUpper(v)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("value %q is not in %d-%d", v, lo, hi)
		}
		return n, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		base, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad increment %q", item)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case base == "*":
		case strings.Contains(base, "-"):
			a, b, _ := strings.Cut(base, "-")
			var err error
			if from, err = value(a); err != nil {
				return nil, err
			}
			if to, err = value(b); err != nil {
				return nil, err
			}
			if from > to {
				return nil, fmt.Errorf("bad range %q", base)
			}
		default:
			v, err := value(base)
			if err != nil {
				return nil, err
			}
			from = v
			if !hasStep {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, nil
}

// next is the first minute strictly after t that the expression selects,
// looking up to five years ahead.
func (c *cronSchedule) next(t time.Time) (time.Time, bool) {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for range 5 * 366 {
		if c.dayMatches(day) {
			fromMinute := 0
			if day.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)) {
				fromMinute = t.Hour()*60 + t.Minute()
			}
			for m := fromMinute; m < 24*60; m++ {
				if c.hours[m/60] && c.minutes[m%60] {
					return day.Add(time.Duration(m) * time.Minute), true
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}, false
}

func (c *cronSchedule) dayMatches(d time.Time) bool {
	if d.Year() >= len(c.years) || !c.years[d.Year()] || !c.months[d.Month()] {
		return false
	}
	last := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if s := c.dayOfMonth; s != nil {
		switch {
		case s.last:
			return d.Day() == last
		case s.lastWeekday:
			return d.Day() == nearestWeekday(d, last, last)
		case s.nearest > 0:
			return d.Day() == nearestWeekday(d, min(s.nearest, last), last)
		default:
			return s.days[d.Day()]
		}
	}
	s := c.dayOfWeek
	wd := int(d.Weekday()) + 1 // SUN = 1
	switch {
	case s.last > 0:
		return wd == s.last && d.Day()+7 > last
	case s.nth > 0:
		return wd == s.nth && (d.Day()-1)/7+1 == s.nthWeek
	default:
		return s.days[wd]
	}
}

// nearestWeekday is the weekday (Mon-Fri) of d's month nearest to day n,
// without leaving the month.
func nearestWeekday(d time.Time, n, last int) int {
	wd := time.Date(d.Year(), d.Month(), n, 0, 0, 0, 0, time.UTC).Weekday()
	switch wd {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

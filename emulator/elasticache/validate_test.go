package elasticache

import "testing"

func TestWindows(t *testing.T) {
	tests := []struct {
		snapshot, maintenance   string
		wantSnapshot, wantMaint string
		wantCode                string
	}{
		{"03:00-04:00", "sun:05:00-sun:06:00", "03:00-04:00", "sun:05:00-sun:06:00", ""},
		{"", "", defaultSnapshotWindow, defaultMaintenanceWindow, ""},
		{"03:00-03:30", "sun:05:00-sun:06:00", "", "", codeInvalidParameterValue},
		{"03:00-04:00", "sun:05:00-sun:05:59", "", "", codeInvalidParameterValue},
		{"03:00-04:00", "mon:03:59-mon:05:00", "", "", codeInvalidParameterCombination},
		{"03:00-04:00", "mon:04:00-mon:05:00", "03:00-04:00", "mon:04:00-mon:05:00", ""}, // touching is fine
		{"23:30-00:30", "sat:23:00-sun:00:15", "", "", codeInvalidParameterCombination},
		{"23:30-00:30", "sun:00:00-sun:01:00", "", "", codeInvalidParameterCombination},
		{"3:00-4:00", "sun:05:00-sun:06:00", "", "", codeInvalidParameterValue},
		{"03:00-04:00", "sun:05:00-mon:06:00", "", "", codeInvalidParameterValue}, // over 24 h
		// Left-out windows are chosen clear of the given one.
		{"23:00-00:30", "", "23:00-00:30", "", ""},
		{"", "sun:05:00-sun:06:00", "06:00-07:00", "sun:05:00-sun:06:00", ""},
		{"", "mon:05:00-mon:06:00", "06:00-07:00", "mon:05:00-mon:06:00", ""},
	}
	for _, tc := range tests {
		sw, mw, err := chooseWindows(tc.snapshot, tc.maintenance)
		if tc.wantCode != "" {
			if err == nil || err.code != tc.wantCode {
				t.Errorf("chooseWindows(%q, %q) err = %v, want %s", tc.snapshot, tc.maintenance, err, tc.wantCode)
			}
			continue
		}
		if err != nil {
			t.Errorf("chooseWindows(%q, %q): %v", tc.snapshot, tc.maintenance, err)
			continue
		}
		if sw != tc.wantSnapshot || (mw != tc.wantMaint && tc.maintenance != "") {
			t.Errorf("chooseWindows(%q, %q) = %q, %q; want %q, %q", tc.snapshot, tc.maintenance, sw, mw, tc.wantSnapshot, tc.wantMaint)
		}
		if checkWindows(sw, mw) != nil {
			t.Errorf("chosen windows %q and %q do not pass checkWindows", sw, mw)
		}
	}
}

func TestIntAllowed(t *testing.T) {
	tests := []struct {
		allowed string
		n       int64
		want    bool
	}{
		{"0,20-", 0, true}, {"0,20-", 5, false}, {"0,20-", 20, true}, {"0,20-", 300, true},
		{"1-75", 0, false}, {"1-75", 75, true}, {"1-75", 76, false},
		{"-5-", -5, true}, {"-5-", -6, false}, {"-5-", 100, true},
		{"-", -1000, true}, {"5000", 5000, true}, {"5000", 1, false},
	}
	for _, tc := range tests {
		if got := intAllowed(tc.n, tc.allowed); got != tc.want {
			t.Errorf("intAllowed(%d, %q) = %v, want %v", tc.n, tc.allowed, got, tc.want)
		}
	}
}

func TestValidateIdentifier(t *testing.T) {
	for _, ok := range []string{"a", "ecprov-dev", "A1-b2", "x234567890123456789012345678901234567890"[:40]} {
		if err := validateIdentifier("Id", ok, 40); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1a", "-a", "a-", "a--b", "a_b", "a.b", "x2345678901234567890123456789012345678901"} {
		if err := validateIdentifier("Id", bad, 40); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := suggestIdentifier("1My__Cache-", 40); validateIdentifier("Id", got, 40) != nil {
		t.Errorf("suggestion %q is itself invalid", got)
	}
}

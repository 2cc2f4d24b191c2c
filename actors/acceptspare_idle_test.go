package actors

import (
	"testing"
	"time"
)

// The spare's idle bound is 10 s (REFERENCE §7.6); only the tests' seam,
// SpareIdleEnv, shortens it, and nothing lengthens it. The end-to-end test
// of a silent client on the spare runs with it at 2 s, so the 10 s are
// asserted here.
func TestSpareIdleBoundIs10sUnlessTheTestsShortenIt(t *testing.T) {
	for _, c := range []struct {
		env  string
		want time.Duration
	}{
		{"", 10 * time.Second},
		{"2s", 2 * time.Second},
		{"1m", 10 * time.Second},
		{"0s", 10 * time.Second},
		{"-1s", 10 * time.Second},
		{"two", 10 * time.Second},
	} {
		t.Setenv(SpareIdleEnv, c.env)
		if got := spareIdleBound(); got != c.want {
			t.Errorf("%s=%q: spare idle %v, want %v", SpareIdleEnv, c.env, got, c.want)
		}
	}
	if spareIdle != 10*time.Second {
		t.Errorf("spareIdle in the tests of actors: %v, want 10s", spareIdle)
	}
}

package actors

import (
	"testing"
	"time"
)

// The spare's idle bound is 10 s (REFERENCE §7.6); only the tests' seam,
// SpareIdleEnv, shortens it, only in the tests' build (-tags
// cfkadoptfault), and nothing lengthens it. The end-to-end test of a
// silent client on the spare runs that build with it at 2 s, so the 10 s
// are asserted here.
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
		if got := spareIdleFromEnv(c.env); got != c.want {
			t.Errorf("%s=%q in the tests' build: spare idle %v, want %v", SpareIdleEnv, c.env, got, c.want)
		}
	}
	// any other build does not read the variable
	t.Setenv(SpareIdleEnv, "2s")
	want := 10 * time.Second
	if spareIdleHook {
		want = 2 * time.Second
	}
	if got := spareIdleBound(); got != want {
		t.Errorf("%s=2s, test hooks built %v: spare idle %v, want %v", SpareIdleEnv, spareIdleHook, got, want)
	}
	if spareIdle != 10*time.Second {
		t.Errorf("spareIdle in the tests of actors: %v, want 10s", spareIdle)
	}
}

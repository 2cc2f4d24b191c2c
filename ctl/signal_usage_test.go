package ctl

import (
	"strings"
	"testing"
)

// An unknown signal is a usage error, found before anything is sent
// (REFERENCE §8.2, §8.3): exit status 2, as the other checks of the
// arguments. It was 1, cfkd's ERROR's status.
func TestUnknownSignalIsAUsageError(t *testing.T) {
	f := newFakeServer(t, map[string]string{})
	for _, sig := range []string{"FOO", "TERMINATE"} {
		r := runCtl(t, f, runCfg{}, "signal", sig, "web1")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "unknown signal '"+sig+"'") {
			t.Errorf("signal %s: exit %d, stderr %q; want %d and unknown signal", sig, r.code, r.stderr, ExitUsage)
		}
	}
	if got := f.requests(); len(got) != 0 {
		t.Errorf("sent %q", got)
	}
}

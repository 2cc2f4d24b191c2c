package messages

import (
	"slices"
	"testing"
)

// A change of watchdog_secs where neither declaration has ready=notify,
// or of ready_timeout_secs where neither has ready, acts on nothing
// (REFERENCE §2.9): it is declared, '~ a: watchdog_secs', and restarts
// nothing (an apply restarted the running service for it). A change of
// ready itself, or one that acts in either declaration, still restarts.
func TestInertReadinessChangeRestartsNothing(t *testing.T) {
	const base = "service a cmd=sleep 100\n"
	for _, tc := range []struct {
		old, new string
		attrs    string // the plan line's attributes
		restart  bool
	}{
		{"", "service a watchdog_secs=5", "watchdog_secs", false},
		{"service a watchdog_secs=5", "service a watchdog_secs=7", "watchdog_secs", false},
		{"", "service a ready_timeout_secs=5", "ready_timeout_secs", false},
		{"", "service a ready_timeout_secs=0\nservice a watchdog_secs=3", "ready_timeout_secs, watchdog_secs", false},
		// a ready other than notify: the timeout acts, the watchdog not
		{"service a ready=tcp:127.0.0.1:1", "service a ready=tcp:127.0.0.1:1\nservice a watchdog_secs=5", "watchdog_secs", false},
		{"service a ready=tcp:127.0.0.1:1", "service a ready=tcp:127.0.0.1:1\nservice a ready_timeout_secs=5", "ready_timeout_secs", true},
		// ready=notify on either side: the watchdog acts
		{"service a ready=notify", "service a ready=notify\nservice a watchdog_secs=5", "watchdog_secs", true},
		{"service a ready=notify\nservice a watchdog_secs=5", "service a watchdog_secs=7", "ready, watchdog_secs", true},
		{"service a watchdog_secs=5", "service a ready=notify\nservice a watchdog_secs=5", "ready", true},
		{"service a watchdog_secs=5", "service a ready=tcp:127.0.0.1:1\nservice a watchdog_secs=7", "ready, watchdog_secs", true},
		{"service a ready_timeout_secs=5", "service a ready=http:http://127.0.0.1:1/\nservice a ready_timeout_secs=6", "ready, ready_timeout_secs", true},
		// with a change that restarts anyway
		{"", "service a watchdog_secs=5\nservice a startwait_secs=2", "startwait_secs, watchdog_secs", true},
		// with one read at the stop: in place too
		{"", "service a watchdog_secs=5\nservice a stopwait_secs=1", "stopwait_secs, watchdog_secs", false},
		{"", "service a watchdog_secs=5\nservice a desc=x", "desc, watchdog_secs", false},
	} {
		a := declareLines(t, base+tc.old).Services["a"]
		b := declareLines(t, base+tc.new).Services["a"]
		attrs := DiffService(a, b)
		if got := (Change{Op: OpChange, Kind: KindService, Name: "a", Attrs: attrs}).Format(); got != "~ a: "+tc.attrs {
			t.Errorf("%q over %q: plan line %q, want '~ a: %s'", tc.new, tc.old, got, tc.attrs)
		}
		if got := NeedsRestart(ActingAttrs(a, b, attrs)); got != tc.restart {
			t.Errorf("%q over %q: restart %v, want %v", tc.new, tc.old, got, tc.restart)
		}
		if got := ServiceRunChanged(a, b); got != tc.restart {
			t.Errorf("%q over %q: ServiceRunChanged %v, want %v", tc.new, tc.old, got, tc.restart)
		}
		if !slices.Equal(attrs, DiffService(a, b)) {
			t.Errorf("%q over %q: ActingAttrs changed the plan's attributes", tc.new, tc.old)
		}
	}
}

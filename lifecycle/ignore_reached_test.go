package lifecycle

import "testing"

// TestIgnoredCellsAreReached: a cell of the table that says "ignore" (an
// event that comes and is let be) is one its event reaches, direct or
// proxied, past the checks before the table; one they always drop is
// "-" (REFERENCE §2.7 tells the two apart). A proxy's report (pid
// reported, refused, gone) to a service that is down was "ignore",
// though a service that is down is no proxy's: that check drops it.
func TestIgnoredCellsAreReached(t *testing.T) {
	for _, st := range allStates {
		for k := EventKind(0); k < numEvents; k++ {
			if table[st][k].name != rowIgnore.name {
				continue
			}
			reached := false
			for _, proxied := range []bool{false, true} {
				s := reach(t, st, proxied)
				if proxied && s.l.State.IsUp() {
					s.report() // the pid a proxy reports, as a direct run's
				}
				stp := step{l: s.l, p: s.p, ev: currentEvent(s, k)}
				reached = reached || !stp.stale()
			}
			if !reached {
				t.Errorf("(%s, %s) is %q, but the checks before the table always drop it: it is %q", st, k, rowIgnore.name, rowImpossible.name)
			}
		}
	}
}

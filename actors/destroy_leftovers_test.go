package actors

import (
	"slices"
	"testing"
)

// A destroy tells the launcher, which ends what the service left behind
// (REFERENCE §7.5): its daemons, kept while it was declared.
func TestDestroyTellsTheLauncher(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.startRunning("s")
	r.ok("command destroy service s")
	r.fake.waitFor(t, "Destroyed(s)", func() bool { return slices.Equal(r.fake.destroyed, []string{"s"}) })
}

package actors

import "testing"

// TestExportGroupIsTheRuns: the exported Group (whether the run leads its
// own process group, which the new cfkd of an upgrade in place signals as
// a whole) is what the run was launched with, not the declaration as it
// is now: a declaration changed while the service runs applies at its
// next start only (REFERENCE §1.1). Exported from the declaration, a run
// launched with no_new_session=1 and declared no_new_session=0 since was
// adopted as a group leader: the new cfkd's stop sent kill(-pid), ESRCH
// (it leads no group), which Launcher.Signal swallowed: neither SIGTERM
// nor SIGKILL reached the process, and the service stayed stopping.
func TestExportGroupIsTheRuns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ launched, declared string }{
		{"no_new_session=1", "no_new_session=0"},
		{"no_new_session=0", "no_new_session=1"},
	} {
		r := newRig(t)
		r.startRunning("s", tc.launched)
		l := r.fake.waitLaunch(t, 1)
		r.ok("service s " + tc.declared) // the running process is left alone
		ex := r.export(false)
		if len(ex.Services) != 1 {
			t.Fatalf("exported %+v", ex.Services)
		}
		if got, want := ex.Services[0].Group, l.Spec.Setsid; got != want {
			t.Errorf("launched with %s (setsid %v), then declared %s: exported Group %v, want %v (the run's)",
				tc.launched, want, tc.declared, got, want)
		}
	}
}

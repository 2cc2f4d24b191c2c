package actors

import (
	"slices"
	"testing"
)

// REFERENCE §1.4 (restart): a starting or running service whose
// declaration cannot start is not stopped: its restart is answered that
// error, and its process runs on. A running service moved under a noauto
// proxy that does not run (an apply, `proxy q service s ...`) cannot
// start there (`Proxy is not running, not starting service 's'`): its
// restart stopped it, then the proxy refused the start, and the service
// ended `fail` while the restart, and the apply, were answered OK.
func TestRestartUnderADownNoautoProxyKeepsTheProcess(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	pid := r.startRunning("s")
	const refused = "Proxy is not running, not starting service 's'"
	r.applyOK("", "service s cmd=sleep 100\nservice s startwait_secs=0.02\nproxy q cmd=x\nproxy q noauto=1\n", "+ proxy q") // declares q
	r.ok("proxy q service s cmd=sleep 100")
	r.fails("command restart service s", refused)
	r.fails("command rollingrestart service s", refused)
	file := "proxy q cmd=x\nproxy q noauto=1\nproxy q service s cmd=sleep 100\nproxy q service s startwait_secs=0.02\n"
	want := []string{"~ s: (running a former declaration)", "s: " + refused}
	for _, opts := range []string{"", "rolling"} {
		if got := r.ok(applyReq(opts, file)); !slices.Equal(got, want) {
			t.Fatalf("apply %s: %q, want %q", opts, got, want)
		}
	}
	if sigs := r.fake.signalsTo(pid); len(sigs) > 0 || !r.fake.alive(pid) {
		t.Fatalf("its process got %v, alive %v", sigs, r.fake.alive(pid))
	}
	if st := r.status("s"); st[1] != "running" || st[2] == "" {
		t.Fatalf("status %q", st)
	}
}

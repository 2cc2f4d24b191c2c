package actors

import (
	"path/filepath"
	"testing"

	"github.com/cfk/cfk/notify"
)

// TestReadyChangedWhileStartingKeepsNotify: REFERENCE §2.9: "ready=
// declared, changed or removed while a run starts applies from the next
// launch, as any attribute". A run launched with ready=notify whose
// declaration is changed to ready=tcp:... while it starts must still be
// judged by its READY=1. Service.notified checks the *current*
// declaration (strings.TrimSpace(s.cfg.Ready) == "notify") and drops the
// READY=1; no tcp probe runs for this run either (probes start at the
// launch), so the run is stopped as "Not ready after ...".
func TestReadyChangedWhileStartingKeepsNotify(t *testing.T) {
	t.Parallel()
	if !notify.Supported {
		t.Skip("ready=notify needs Linux")
	}
	sock := filepath.Join(t.TempDir(), "notify.sock")
	r := newRig(t, func(o *Options) { o.NotifySocket = sock })
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s startwait_secs=0.02", "service s ready=notify",
		"service s ready_timeout_secs=1", "service s respawn_on_fail=0")
	r.okDone("command start service s", 1)
	ev := r.expectSeq("s", starting)
	pid := ev[0].Pid
	// changed while the run starts: applies from the next launch
	r.ok("service s ready=tcp:127.0.0.1:9")
	// the run says READY=1 through cfkd's notify socket
	r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid, Fields: map[string]string{"READY": "1"}}})
	got := r.expectSeq("s", running)
	if got[0].Pid != pid {
		t.Fatalf("running with pid %d, want %d", got[0].Pid, pid)
	}
	r.shutdownClean()
}

// TestReadyRemovedAfterStartwait: REFERENCE §2.9: "a run launched with it
// and then declared without it becomes `running` at startwait_secs too,
// and its probe stops". Removed once startwait was over, the run waited
// on for its probe, and failed at the ready timeout (`Not ready after`).
func TestReadyRemovedAfterStartwait(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s startwait_secs=0", "service s ready=tcp:127.0.0.1:1",
		"service s ready_timeout_secs=30", "service s respawn_on_fail=0")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.ok("service s ready=")
	r.expectSeq("s", running)
	r.shutdownClean()
}

package actors

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/notify"
)

// TestNotifyStatusIsTheRuns: the STATUS= a run sent is its own, as
// systemd's StatusText= is reset at each start. Before, a database that
// said "accepting connections" and crashed showed it still while its new
// run was starting (recovering, not ready), until that run sent another.
// It is kept once the run is down (systemd keeps it too), and a new run
// begins without one.
func TestNotifyStatusIsTheRuns(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	r := newRig(t, func(o *Options) { o.NotifySocket = sock })
	r.ok("service db cmd=sleep 100", "service db startwait_secs=0.02", "service db ready=notify")
	r.okDone("command start service db", 1)
	pid := r.expectSeq("db", starting)[0].Pid
	r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid,
		Fields: map[string]string{"READY": "1", "STATUS": "accepting connections"}}})
	r.expectSeq("db", running)
	inspect := func() string { return r.ok("command inspect service db")[0] }
	if got := inspect(); !strings.Contains(got, `"notify_status":"accepting connections"`) {
		t.Fatalf("inspect: %s", got)
	}
	r.fake.exit(t, pid, exitCode(1))
	r.expectSeq("db", fail, starting)
	if got := inspect(); strings.Contains(got, "notify_status") {
		t.Fatalf("the new run shows the STATUS= of the one that crashed: %s", got)
	}
	// once down, the last run's stays
	pid = r.launchesOf("db")[1].Pid
	r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid,
		Fields: map[string]string{"STATUS": "recovering"}}})
	r.setAutoTerm()
	deadline := time.Now().Add(deadline)
	for !strings.Contains(inspect(), `"notify_status":"recovering"`) {
		if time.Now().After(deadline) {
			t.Fatalf("inspect: %s", inspect())
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.okDone("command stop service db", 1)
	r.expectSeq("db", stopping, stopped)
	if got := inspect(); !strings.Contains(got, `"notify_status":"recovering"`) {
		t.Fatalf("inspect once down: %s", got)
	}
}

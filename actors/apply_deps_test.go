package actors

import (
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// The declarations of the apply tests on requires: app requires db.
const (
	depsDB  = "service db cmd=sleep 100\nservice db startwait_secs=0.02\n"
	depsApp = "service app cmd=sleep 100\nservice app startwait_secs=0.02\nservice app requires=db\n"
)

// appOnDB applies db and app, app requiring db, and starts app (db with
// it): both run, and end at their SIGTERM.
func appOnDB(t *testing.T) *rig {
	t.Helper()
	r := appOnDBHeld(t)
	r.setAutoTerm()
	return r
}

// appOnDBHeld is appOnDB whose processes end only when the test makes
// them (fake.exit).
func appOnDBHeld(t *testing.T) *rig {
	t.Helper()
	r := newRig(t)
	r.applyOK("", depsDB+depsApp, "+ app", "+ db")
	r.okDone("command start service app", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting, running)
	return r
}

// dbStopWaitingForApp is appOnDBHeld with `command stop service db` sent
// and waiting for app, stopping, signalled and not ended yet (REFERENCE
// §2.8): the pids of db and app, and the stop's reply to come.
func dbStopWaitingForApp(t *testing.T) (r *rig, db, app int, stop <-chan messages.Reply) {
	t.Helper()
	r = appOnDBHeld(t)
	db, app = r.launchesOf("db")[0].Pid, r.launchesOf("app")[0].Pid
	stop = r.async("command stop service db")
	r.fake.waitSignal(t, app, syscall.SIGTERM) // app does not end yet
	r.expectSeq("app", stopping)
	return r, db, app, stop
}

// apply restarts a changed db "as restart does": restart takes the
// running dependents of db along (REFERENCE §1.4, §2.8).
func TestApplyRestartTakesDependents(t *testing.T) {
	t.Parallel()
	r := appOnDB(t)
	r.applyOK("", depsDB+depsApp+"service db cmd=sleep 200\n", "~ db: cmd")
	r.expectSeq("db", stopping, stopped, starting, running)
	r.expectSeq("app", stopping, stopped, starting, running)
}

// apply prune destroys app and db (§2.5) all at once, as destroy does:
// app, which requires db, is down before db is asked (§2.8). (A file that
// keeps app requiring db is refused: TestApplyPruneOfWhatTheFileStillRequiresRefused.)
func TestApplyPruneBringsDependentsDown(t *testing.T) {
	t.Parallel()
	r := appOnDB(t)
	from := r.mark()
	r.applyOK("prune", "service other cmd=sleep 100\n", "- app", "- db", "+ other")
	r.expectSeq("app", stopping, stopped)
	r.inOrder(from, "app:stopped", "db:stopping")
}

// A change of requires alone restarts nothing (REFERENCE §1.4): it orders
// the starts and stops of the verbs (§2.8), from the next. An apply that
// made app require db restarted app, a running process whose command,
// environment and all were the same.
func TestApplyRequiresAloneKeepsTheRun(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	noReq := "service app cmd=sleep 100\nservice app startwait_secs=0.02\n"
	r.applyOK("", depsDB+noReq, "+ app", "+ db")
	r.okDone("command start service db service app", 2)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting, running)
	launches := r.fake.launchCount()
	r.applyOK("", depsDB+depsApp, "~ app: requires (in place)")
	r.expectQuiet("app", 100*time.Millisecond)
	if n := r.fake.launchCount(); n != launches {
		t.Fatalf("%d launches after the apply, want none", n-launches)
	}
	r.applyOK("", depsDB+depsApp, "no changes")
	// declared all the same: a stop of db takes app down first
	from := r.mark()
	r.okDone("command stop service db", 1)
	r.expectSeq("app", stopping, stopped)
	r.inOrder(from, "app:stopped", "db:stopping")
}

package actors

import (
	"slices"
	"testing"
)

// A stop overtakes the start of a service that waits for what it
// requires (REFERENCE §2.8): `start app` waits for db to run; `stop app`
// meanwhile cancels it (answered done: that is what it did), and app is
// not started once db runs, as systemd's stop job cancels a waiting start
// job. Before, the stop answered `Service 'app' is already down` and app
// was started a moment later anyway.
func TestRequiresStopCancelsWaitingStart(t *testing.T) {
	t.Parallel()
	r := stopWhileStartWaits(t, "1.5")
	r.expectSeq("db", running)
	r.expectQuiet("app", window)
	if n := len(r.launchesOf("app")); n != 0 {
		t.Fatalf("app launched %d times after its stop", n)
	}
	// the stop of a down service that no start waits for is still an error
	r.fails("command stop service app", "Service 'app' is already down")
}

// A stop of a dependent that a restart of what it requires was to take
// along: the dependent stays down (with what requires it), and the
// restart says so, for each (web's restart was cancelled too: its line
// was missing, REFERENCE §2.8).
func TestRequiresStopCancelsRestartOfDependent(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "db", "web"}, "app requires=db", "web requires=app")
	r.okDone("command start service web", 1)
	for _, n := range []string{"db", "app", "web"} {
		r.expectSeq(n, starting, running)
	}
	r.ok("service db startwait_secs=1.5")
	ch := r.async("command restart service db")
	r.expectSeq("db", stopping, stopped, starting)
	r.okDone("command stop service app", 1)
	r.expectSeq("web", stopping, stopped)
	r.expectSeq("app", stopping, stopped)
	r.expectSeq("db", running)
	rep := r.reply("restart db", ch)
	want := []string{"done 1", "app: Service 'app': restart cancelled by a stop", "web: Service 'web': restart cancelled by a stop"}
	if rep.Err != nil || !slices.Equal(rep.Lines, want) {
		t.Fatalf("restart db: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	r.expectQuiet("app", window)
	r.expectQuiet("web", window)
	if st := r.status("app")[1]; st != "stopped" {
		t.Fatalf("app %s after its stop", st)
	}
}

// The start a stop cancelled is answered then, not once what it required
// runs: a db that is never ready (ready_timeout_secs=0) held the reply to
// `start app` until cfkd shut down. db is left to come up on its own.
func TestRequiresStopCancelsWithoutWaitingForWhatItRequired(t *testing.T) {
	t.Parallel()
	r := stopWhileStartWaits(t, "60")
	if st := r.status("db")[1]; st != "starting" {
		t.Fatalf("db %s, want it starting still", st)
	}
	r.okDone("command stop service db", 1)
	r.expectSeq("db", stopping, stopped)
	if n := len(r.launchesOf("app")); n != 0 {
		t.Fatalf("app launched %d times after its stop", n)
	}
}

// stopWhileStartWaits: `start app` waits for db (startwait_secs as given)
// to run, and `stop app` meanwhile is answered done 1; the start is then
// answered that a stop cancelled it, before db runs.
func stopWhileStartWaits(t *testing.T, startwait string) *rig {
	t.Helper()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "db"}, "app requires=db", "db startwait_secs="+startwait)
	ch := r.async("command start service app")
	r.expectSeq("db", starting)
	r.okDone("command stop service app", 1)
	rep := r.reply("start app", ch)
	if want := "Service 'app': start cancelled by a stop"; rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("start app: %v %q, want error %q", rep.Err, rep.Lines, want)
	}
	return r
}

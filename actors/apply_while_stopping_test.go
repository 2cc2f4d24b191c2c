package actors

import (
	"slices"
	"syscall"
	"testing"
)

// An apply that changes db while an operator's `stop service db` waits
// for app, which requires db, to end (app slow to die): the stop takes
// db down once app has exited (REFERENCE §2.8), and the apply restarts
// only what is up and stays up (§1.4): db, which the operator is taking
// down, is left to its stop, as a db already stopping or stopped is, its
// new declaration for its next start. The apply restarted db at once,
// beneath app still running its stop (SIGTERM to db before app's end),
// launched it again, and the stop then stopped that new run: db was
// signalled before app had ended, against the order of §2.8, and came
// back up against the operator's stop.
func TestApplyLeavesToAStopWhatItWaitsToStop(t *testing.T) {
	t.Parallel()
	r, db, app, stop := dbStopWaitingForApp(t)
	apply := r.async(applyReq("", depsDB+depsApp+"service db cmd=sleep 200\n"))
	r.fake.expectNoSignal(t, db, syscall.SIGTERM, window) // db is not stopped beneath app
	r.fake.exit(t, app, syscall.WaitStatus(syscall.SIGTERM))
	r.fake.waitSignal(t, db, syscall.SIGTERM) // the stop's, app down
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	if rep := r.reply("stop db", stop); rep.Err != nil {
		t.Fatalf("stop db: %v %q", rep.Err, rep.Lines)
	}
	if rep := r.reply("apply", apply); rep.Err != nil || !slices.Equal(rep.Lines, []string{"~ db: cmd"}) {
		t.Fatalf("apply: %v %q, want the plan alone", rep.Err, rep.Lines)
	}
	r.expectSeq("app", stopped)
	r.expectSeq("db", stopping, stopped)
	r.expectNone("db", starting, window)
	if n := len(r.launchesOf("db")); n != 1 {
		t.Fatalf("db launched %d times, want once (the operator stopped it)", n)
	}
	// its next start launches the file's declaration
	r.okDone("command start service app", 1)
	if l := r.launchesOf("db"); len(l) != 2 || !slices.Equal(l[1].Spec.Argv, []string{"sleep", "200"}) {
		t.Fatalf("db's launches %+v, want a second of sleep 200", l)
	}
}

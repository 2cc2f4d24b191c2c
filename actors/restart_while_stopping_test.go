package actors

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// An operator's restart of db while a `stop service db` waits for app,
// which requires db, to end (app slow to die): the restart waits for
// that stop to begin (db signalled once app has exited, REFERENCE §2.8),
// then starts db again once down, and is answered then (§1.4, §2.7:
// restart while stopping, launch once down); app, which the stop took
// down, stays down: it was stopping when the restart came, so the
// restart does not take it along. The restart was asked at once: db
// was signalled beneath app still running its stop, against the order
// of §2.8, and the stop then stopped its new run once app was down.
func TestRestartWaitsForAStopThatWaits(t *testing.T) {
	t.Parallel()
	for _, line := range []string{"command restart service db", "command rollingrestart service db"} {
		t.Run(line, func(t *testing.T) {
			t.Parallel()
			r, db, app, stop := dbStopWaitingForApp(t)
			from := r.mark()
			restart := r.async(line)
			r.fake.expectNoSignal(t, db, syscall.SIGTERM, window) // db is not stopped beneath app
			r.noReply("restart db", restart, 10*time.Millisecond)
			if got := r.waitingFor("db"); !slices.Equal(got, []string{"app"}) {
				t.Fatalf("db waiting_for %q, want [app]: its stop and its restart wait for app's end", got)
			}
			r.fake.exit(t, app, syscall.WaitStatus(syscall.SIGTERM))
			r.fake.waitSignal(t, db, syscall.SIGTERM) // once app is down
			if rep := r.reply("stop db", stop); rep.Err != nil {
				t.Fatalf("stop db: %v %q", rep.Err, rep.Lines)
			}
			r.noReply("restart db", restart, 10*time.Millisecond) // db has not ended yet
			r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
			if rep := r.reply("restart db", restart); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
				t.Fatalf("restart db: %v %q, want done 1", rep.Err, rep.Lines)
			}
			r.expectSeq("app", stopped)
			r.expectSeq("db", stopping, stopped, starting, running)
			r.inOrder(from, "app:stopped", "db:stopping")
			r.expectNone("app", starting, window)
			if n := len(r.launchesOf("db")); n != 2 {
				t.Fatalf("db launched %d times, want twice (the restart's once down)", n)
			}
			if got := r.fake.signalsTo(db); len(got) != 1 {
				t.Fatalf("db's first run got %v, want one SIGTERM (the stop's)", got)
			}
			r.setAutoTerm()
		})
	}
}

// A restart of app itself while a `stop service db` waits for app to
// end: app's restart waits for db to run, and db's up (REFERENCE §2.8)
// for the stop of db to begin; db is started again once down, then app:
// the operator wants app up, and app needs db. Neither is signalled
// against §2.8's order.
func TestRestartOfTheDependentAStopWaitsFor(t *testing.T) {
	t.Parallel()
	r, db, app, stop := dbStopWaitingForApp(t)
	from := r.mark()
	restart := r.async("command restart service app")
	r.fake.expectNoSignal(t, db, syscall.SIGTERM, window)
	r.noReply("restart app", restart, 10*time.Millisecond)
	r.fake.exit(t, app, syscall.WaitStatus(syscall.SIGTERM))
	r.fake.waitSignal(t, db, syscall.SIGTERM)
	if rep := r.reply("stop db", stop); rep.Err != nil {
		t.Fatalf("stop db: %v %q", rep.Err, rep.Lines)
	}
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	if rep := r.reply("restart app", restart); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
		t.Fatalf("restart app: %v %q, want done 1", rep.Err, rep.Lines)
	}
	r.expectSeq("app", stopped, starting, running)
	r.expectSeq("db", stopping, stopped, starting, running)
	r.inOrder(from, "app:stopped", "db:stopping", "db:stopped", "db:running", "app:starting")
	if nd, na := len(r.launchesOf("db")), len(r.launchesOf("app")); nd != 2 || na != 2 {
		t.Fatalf("db launched %d times, app %d, want twice each", nd, na)
	}
	r.setAutoTerm()
}

// A start of db while a `stop service db` waits for app to end is
// answered at once `Service 'db' is already up` (compat, REFERENCE §1.4):
// db runs; the stop then takes it down once app has ended, and it stays
// down.
func TestStartOfWhatAStopWaitsToStop(t *testing.T) {
	t.Parallel()
	r, db, app, stop := dbStopWaitingForApp(t)
	r.fails("command start service db", "Service 'db' is already up")
	r.fake.expectNoSignal(t, db, syscall.SIGTERM, window)
	r.fake.exit(t, app, syscall.WaitStatus(syscall.SIGTERM))
	r.fake.waitSignal(t, db, syscall.SIGTERM)
	if rep := r.reply("stop db", stop); rep.Err != nil {
		t.Fatalf("stop db: %v %q", rep.Err, rep.Lines)
	}
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	r.expectSeq("app", stopped)
	r.expectSeq("db", stopping, stopped)
	r.expectNone("db", starting, window)
	if n := len(r.launchesOf("db")); n != 1 {
		t.Fatalf("db launched %d times, want once", n)
	}
}

// A restart of db while a `stop service app` (app requires db) waits for
// web, which requires app, to end: db is restarted (no stop of db is
// planned), and app, which that stop takes down, is not taken along,
// as a dependent down is not (REFERENCE §2.8): it stays down, as the
// operator asked. It was taken along: restarted beneath web still
// running, and stopped again by the stop (or, its restart waiting for
// the stop, started again once down).
func TestRestartLeavesToAStopTheDependentItTakesDown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"app", "db", "web"}, "app requires=db", "web requires=app")
	r.okDone("command start service web", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting, running)
	r.expectSeq("web", starting, running)
	db, app, web := r.launchesOf("db")[0].Pid, r.launchesOf("app")[0].Pid, r.launchesOf("web")[0].Pid

	stop := r.async("command stop service app")
	r.fake.waitSignal(t, web, syscall.SIGTERM) // web does not end yet
	r.expectSeq("web", stopping)
	restart := r.async("command restart service db")
	r.fake.waitSignal(t, db, syscall.SIGTERM)
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	r.expectSeq("db", stopping, stopped, starting, running)
	if rep := r.reply("restart db", restart); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
		t.Fatalf("restart db: %v %q, want done 1", rep.Err, rep.Lines)
	}
	r.fake.expectNoSignal(t, app, syscall.SIGTERM, window) // web runs still
	r.fake.exit(t, web, syscall.WaitStatus(syscall.SIGTERM))
	r.fake.waitSignal(t, app, syscall.SIGTERM)
	if rep := r.reply("stop app", stop); rep.Err != nil {
		t.Fatalf("stop app: %v %q", rep.Err, rep.Lines)
	}
	r.fake.exit(t, app, syscall.WaitStatus(syscall.SIGTERM))
	r.expectSeq("web", stopped)
	r.expectSeq("app", stopping, stopped)
	r.expectNone("app", starting, window)
	if n := len(r.launchesOf("app")); n != 1 {
		t.Fatalf("app launched %d times, want once (the operator stopped it)", n)
	}
	r.setAutoTerm()
}

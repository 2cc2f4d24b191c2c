package actors

import (
	"slices"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// A restart of db while a start of app waits for db to run: app requires
// db and the oneshot migrate (done), which requires db; the restart takes
// migrate along, to run again once db runs again (REFERENCE §2.10). Once
// db ran, both requests went on: the start's step found migrate done and
// let app start, and the restart's re-run of migrate came just after, so
// app ran beside a migration under way. The start now waits for the
// restart of migrate that another request has planned: app starts once
// migrate is done again (REFERENCE §2.8).
func TestStartWaitsForTheRerunOfARequiredOneShotThatARestartPlans(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "db", "migrate"}, "migrate oneshot=1", "migrate requires=db", "app requires=db,migrate")
	r.okDone("command start service migrate", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("migrate", starting)
	r.fake.exit(t, r.launchesOf("migrate")[0].Pid, exitCode(0))
	r.expectSeq("migrate", stopped) // done
	r.okDone("command stop service db", 1)
	r.expectSeq("db", stopping, stopped)

	r.ok("service db startwait_secs=0.5")
	from := r.mark()
	start := r.async("command start service app")
	r.expectSeq("db", starting)
	restart := r.async("command restart service db")
	r.fake.waitFor(t, "the second run of migrate", func() bool { // under the fake's lock
		n := 0
		for _, l := range r.fake.launches {
			if slices.Contains(l.Spec.Env, "CONTROL_FREAK_SERVICE=migrate") {
				n++
			}
		}
		return n >= 2
	})
	r.expectNone("app", starting, window) // migrate runs again: app waits
	r.fake.exit(t, r.launchesOf("migrate")[1].Pid, exitCode(0))
	r.expectSeq("app", starting)
	r.inOrder(from, "db:running", "migrate:starting", "migrate:stopped", "app:starting")
	if rep := r.reply("start app", start); rep.Err != nil {
		t.Fatalf("start app: %v %q", rep.Err, rep.Lines)
	}
	if rep := r.reply("restart db", restart); rep.Err != nil {
		t.Fatalf("restart db: %v %q", rep.Err, rep.Lines)
	}
}

// rollingRerun sets up app requiring the oneshot migrate (done), and a
// rolling restart of a0 and migrate under way: a0 first, migrate's
// restart waiting for a0 to run again (startwait 0.5 s). It returns the
// rolling restart's reply.
func rollingRerun(t *testing.T, r *rig) <-chan messages.Reply {
	t.Helper()
	r.setAutoTerm()
	r.declare([]string{"a0", "app", "migrate"}, "migrate oneshot=1", "app requires=migrate", "a0 tags=rr", "migrate tags=rr")
	r.okDone("command start service a0", 1)
	r.expectSeq("a0", starting, running)
	r.okDone("command start service migrate", 1)
	r.expectSeq("migrate", starting)
	r.fake.exit(t, r.launchesOf("migrate")[0].Pid, exitCode(0))
	r.expectSeq("migrate", stopped) // done
	r.ok("service a0 startwait_secs=0.5")
	ch := r.async("command rollingrestart tag rr")
	r.expectSeq("a0", stopping, stopped, starting)
	return ch
}

// A start of app while a rolling restart has migrate's restart still to
// come waits for it: app starts once migrate ran again and is done, not
// at once on the migrate done before (REFERENCE §2.8).
func TestStartWaitsForARollingRestartsRerunOfWhatItRequires(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	rolling := rollingRerun(t, r)
	from := r.mark()
	start := r.async("command start service app")
	r.expectSeq("a0", running)
	r.expectSeq("migrate", starting)
	r.expectNone("app", starting, window) // migrate runs again: app waits
	r.fake.exit(t, r.launchesOf("migrate")[1].Pid, exitCode(0))
	r.expectSeq("migrate", stopped)
	r.expectSeq("app", starting)
	r.inOrder(from, "a0:running", "migrate:starting", "migrate:stopped", "app:starting")
	if rep := r.reply("start app", start); rep.Err != nil || !slices.Equal(rep.Lines, []string{"done 1"}) {
		t.Fatalf("start app: %v %q", rep.Err, rep.Lines)
	}
	if rep := r.reply("rollingrestart", rolling); rep.Err != nil || !slices.Equal(rep.Lines, []string{"done 2"}) {
		t.Fatalf("rollingrestart: %v %q", rep.Err, rep.Lines)
	}
}

// A stop of migrate while a start of app waits for the rolling restart's
// rerun of migrate cancels both starts: each request is answered, and
// migrate is not started after its stop (the start's wait, released by
// the cancelled restart, would have started it; REFERENCE §2.8).
func TestStopCancelsAStartWaitingForARerun(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	rolling := rollingRerun(t, r)
	start := r.async("command start service app")
	r.noReply("start app", start, window) // waiting for migrate's rerun
	launched := len(r.launchesOf("migrate"))
	rep := r.exec("command stop service migrate")
	if rep.Err != nil {
		t.Fatalf("stop migrate: %v %q", rep.Err, rep.Lines)
	}
	if rep := r.reply("start app", start); rep.Err == nil || !strings.Contains(rep.Err.Error(), "cancelled by a stop") {
		t.Fatalf("start app: %v %q, want it failed: migrate's start cancelled by a stop", rep.Err, rep.Lines)
	}
	r.expectSeq("a0", running)
	rrep := r.reply("rollingrestart", rolling)
	if want := "migrate: Service 'migrate': restart cancelled by a stop"; !slices.Contains(rrep.Lines, want) {
		t.Fatalf("rollingrestart: %v %q, want the line %q", rrep.Err, rrep.Lines, want)
	}
	r.expectNone("migrate", starting, window)
	r.expectNone("app", starting, window)
	if n := len(r.launchesOf("migrate")); n != launched {
		t.Fatalf("migrate launched %d times after its stop", n-launched)
	}
}

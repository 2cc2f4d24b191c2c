package actors

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// `stop db`, db down, answers `done 1` when it brought down a service
// that requires db, else the compat `Service 'db' is already down`
// (REFERENCE §2.2, §2.8). The controller decided from the dependents'
// states as it had last heard them: a dependent's own change still on its
// way (its crash, a start of it) made it answer `done 1` for a stop that
// brought nothing down, or the compat error for one that stopped a
// dependent. The answer follows what the dependents' downs did, as they
// answer it.
//
// The dependent's actor is held (frozen, as an upgrade's export freezes
// it) while its change is in its mailbox, and let go by the controller
// once the stop was asked: the stop's down comes after the change.
func TestStopOfADownServiceFollowsWhatItsDependentsDid(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.ok("service db cmd=sleep 100", "service db startwait_secs=0.02", "service db respawn_on_fail=0",
		"service app cmd=sleep 100", "service app startwait_secs=0.02", "service app respawn_on_fail=0",
		"service app requires=db")
	root := r.tree.System.Root
	crash := func(name string) {
		t.Helper()
		l := r.launchesOf(name)
		r.fake.exit(t, l[len(l)-1].Pid, exitCode(1))
	}
	// stopDB holds app with what happens to it first (in its mailbox,
	// behind the freeze), then asks `stop db` and lets app go: the
	// controller thaws it after it asked it down
	stopDB := func(first func(app *actor.PID)) messages.Reply {
		t.Helper()
		app := r.servicePID("app")
		root.Send(app, exportService{freeze: true})
		first(app)
		st, err := messages.Parse("command stop service db")
		if err != nil {
			t.Fatal(err)
		}
		stop := root.RequestFuture(r.tree.Controller, st, deadline)
		root.Send(r.tree.Controller, ThawState{})
		res, err := stop.Result()
		if err != nil {
			t.Fatalf("stop db: %v", err)
		}
		return res.(messages.Reply)
	}

	r.okDone("command start service app", 1)
	r.expectSeq("db", messages.Starting, messages.Running)
	r.expectSeq("app", messages.Starting, messages.Running)
	crash("db")
	r.expectSeq("db", messages.Fail)

	// app crashes before the stop reaches it: nothing was brought down
	rep := stopDB(func(*actor.PID) { crash("app") })
	if rep.Err == nil || rep.Err.Error() != "Service 'db' is already down" {
		t.Fatalf("stop db, app crashed on its own first: %v %q, want the compat error", rep.Err, rep.Lines)
	}
	r.expectSeq("app", messages.Fail)

	// app is started before the stop reaches it: the stop brought it down
	rep = stopDB(func(app *actor.PID) {
		root.Send(app, messages.StartService{Req: 1 << 40}) // nobody waits for its answer
	})
	if rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
		t.Fatalf("stop db, app started first: %v %q, want done 1", rep.Err, rep.Lines)
	}
	r.expectSeq("app", messages.Starting, messages.Stopping, messages.Stopped)
}

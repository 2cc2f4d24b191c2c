package actors

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// sendNow sends line to the controller at once (in the caller's order
// with the requests that follow it) and returns its future.
func (r *rig) sendNow(line string) *actor.Future {
	r.t.Helper()
	st, err := messages.Parse(line)
	if err != nil {
		r.t.Fatalf("parse %q: %v", line, err)
	}
	return r.tree.System.Root.RequestFuture(r.tree.Controller, st, deadline)
}

// answer waits for a future of sendNow.
func (r *rig) answerOf(what string, f *actor.Future) messages.Reply {
	r.t.Helper()
	res, err := f.Result()
	if err != nil {
		r.t.Fatalf("%s: no reply: %v", what, err)
	}
	return res.(messages.Reply)
}

// A service being destroyed was left out of the cycle check of a
// declaration (requiresGraph), yet a start still planned it as a required
// service: the cycle it closed left two steps waiting for each other,
// neither was ever asked, and the start was never answered, not even once
// the destroy was over. The declaration is refused now.
func TestCycleThroughServiceBeingDestroyed(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"x", "y"}, "x requires=y")
	r.okDone("command start service x", 1)
	r.expectSeq("y", starting, running)
	r.expectSeq("x", starting, running)
	xpid := r.launchesOf("x")[0].Pid
	// x ignores SIGTERM for now: it stays stopping, being destroyed
	destroy := r.sendNow("command destroy service x")
	r.expectSeq("x", stopping)
	r.fails("service y requires=x", "dependency cycle: y -> x -> y")
	stop := r.sendNow("command stop service y") // plans x, its dependent, first
	r.fake.exit(t, xpid, killedBy(15))          // x exits: the destroy ends
	if rep := r.answerOf("destroy service x", destroy); rep.Err != nil {
		t.Fatalf("destroy x: %v", rep.Err)
	}
	if rep := r.answerOf("stop service y", stop); rep.Err != nil {
		t.Fatalf("stop y: %v %q", rep.Err, rep.Lines)
	}
	r.ok("service y requires=x") // x is gone: no cycle
}

// While a destroy of db first brings down what requires it (REFERENCE
// §2.8), db is being destroyed (§2.5): a declaration of it, and an apply
// that declares it, are refused with `Service 'db' is being destroyed`.
// The controller marked db only once the DestroyService was sent, so both
// were accepted meanwhile, and the apply's `~ db` was lost when db was
// forgotten a moment later.
func TestDeclarationDuringDestroyOfARequiredService(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	apppid, dbpid := r.runAppOnDB()
	// app ignores SIGTERM for now: the destroy of db waits for it
	destroy := r.sendNow("command destroy service db")
	r.expectSeq("app", stopping)

	file := "service db cmd=sleep 100\nservice db startwait_secs=0.02\nservice db desc=changed\n" +
		"service app cmd=sleep 100\nservice app startwait_secs=0.02\nservice app requires=db\n"
	applied := r.exec(applyReq("", file))
	decl := r.exec("service db desc=again")

	r.fake.exit(t, apppid, killedBy(15))
	r.fake.waitSignal(t, dbpid, 15)
	r.fake.exit(t, dbpid, killedBy(15))
	if rep := r.answerOf("destroy service db", destroy); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
		t.Fatalf("destroy db: %v %q", rep.Err, rep.Lines)
	}
	list := r.ok("command list")
	const want = "Service 'db' is being destroyed"
	if applied.Err == nil || applied.Err.Error() != want {
		t.Errorf("apply during the destroy of db: got %v %q, want error %q; services after the destroy: %q",
			applied.Err, applied.Lines, want, list)
	}
	if decl.Err == nil || decl.Err.Error() != want {
		t.Errorf("service db desc=again during its destroy: got %v %q, want error %q", decl.Err, decl.Lines, want)
	}
}

// An apply restarts a changed db "as restart does", taking along app,
// which requires db and runs (REFERENCE §1.4, §2.8). When app cannot
// start again, `restart service db` reports `app: ...`; the apply recorded
// the failure (applyRun.errs) but listed only the services of its own
// restart list, so its reply said nothing while app was left down.
func TestApplyDropsFailureOfRestartedDependent(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	db := "service db cmd=sleep 100\nservice db startwait_secs=0.02\n"
	// its env_file goes before its next start (a declaration changed
	// instead would be a run of a former one, restarted by the apply
	// itself, REFERENCE §1.4)
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	app := "service app cmd=sleep 100\nservice app startwait_secs=0.02\nservice app requires=db\nservice app env_file=" + envFile + "\n"
	r.declare([]string{"app", "db"}, "app requires=db", "app env_file="+envFile)
	r.okDone("command start service app", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting, running)
	if err := os.Remove(envFile); err != nil {
		t.Fatal(err)
	}
	r.applyOK("dry-run", db+app, "no changes")

	got := r.ok(applyReq("", strings.Replace(db, "sleep 100", "sleep 200", 1)+app))
	want := []string{"~ db: cmd", "app: Service 'app' cannot start: env_file: open " + envFile + ": no such file or directory"}
	if !slices.Equal(got, want) {
		t.Fatalf("apply\n got %q\nwant %q\n(app is now %q)", got, want, r.status("app")[1])
	}
	// a restart its declaration refuses stops nothing: app runs on
	r.expectQuiet("app", 50*time.Millisecond)
	if st := r.status("app"); st[1] != "running" {
		t.Fatalf("app is %q, want running (its restart was refused before its stop)", st[1])
	}
}

// apply prune checked for cycles in the requires "as they will be" (the
// file's alone), but runs its first half (declarations) before the
// destroys: x, to be pruned, still requires y while y now requires x. The
// destroy of x planned "y down first" and "x down before y", each step
// waiting for the other: the apply was never answered, and every apply
// after it waited behind it for ever. It is refused now, and the next one
// runs.
func TestApplyPruneCycleWithPrunedService(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"x", "y"}, "x requires=y")
	file := "service y cmd=sleep 100\nservice y startwait_secs=0.02\nservice y requires=x\n"
	apply := r.sendNow(applyReq("prune", file))
	dry := r.sendNow(applyReq("dry-run", strings.Replace(file, "service y requires=x\n", "", 1)))
	const want = "dependency cycle: y -> x -> y, until the services pruned are destroyed: destroy them first"
	if rep := r.answerOf("apply prune", apply); rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("apply prune: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	if rep := r.answerOf("the dry run queued after it", dry); rep.Err != nil {
		t.Fatalf("dry run: %v %q", rep.Err, rep.Lines)
	}
}

// apply prune of a file that drops db but keeps `app requires=db`
// brought app down before destroying db, left it down, and answered OK
// with a plan that named db alone: the next apply said "no changes". It
// is refused whole now, the dry run too, and nothing changes.
func TestApplyPruneOfWhatTheFileStillRequiresRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"db", "app"}, "app requires=db")
	r.okDone("command start service app", 1)
	r.expectSeq("app", starting, running)
	file := "service app cmd=sleep 100\nservice app startwait_secs=0.02\nservice app requires=db\n"
	const want = "service 'app' requires 'db', which the file does not declare: apply --prune would destroy 'db' and leave 'app' down"
	for _, opts := range []string{"dry-run prune", "prune"} {
		if rep := r.answerOf("apply "+opts, r.sendNow(applyReq(opts, file))); rep.Err == nil || rep.Err.Error() != want {
			t.Fatalf("apply %s: %v %q, want %q", opts, rep.Err, rep.Lines, want)
		}
	}
	for _, name := range []string{"db", "app"} {
		if st := r.status(name); st[1] != "running" {
			t.Fatalf("%s after the refused apply: %q", name, st)
		}
	}
	// without prune, db is kept: the apply runs
	if rep := r.answerOf("apply", r.sendNow(applyReq("", file))); rep.Err != nil {
		t.Fatalf("apply without prune: %v %q", rep.Err, rep.Lines)
	}
}

// The refusal above is for a service the prune would destroy: a file
// requiring a name that cfkd does not declare either is applied (the
// dependent cannot start until it is declared, §2.8), and its prune runs.
func TestApplyPruneOfAFileRequiringAnUndeclaredName(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service old cmd=sleep 100")
	file := "service app cmd=sleep 100\nservice app requires=db\n"
	for _, opts := range []string{"dry-run prune", "prune"} {
		if rep := r.answerOf("apply "+opts, r.sendNow(applyReq(opts, file))); rep.Err != nil {
			t.Fatalf("apply %s: %v", opts, rep.Err)
		}
	}
	if got := r.ok("command list"); len(got) != 1 || got[0] != "app" {
		t.Fatalf("list after the prune: %q", got)
	}
}

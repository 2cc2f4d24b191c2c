package actors

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
)

// epochIn checks that a status time field lies in [from, to] (Unix
// seconds).
func epochIn(t *testing.T, what, field string, from, to time.Time) {
	t.Helper()
	n, err := strconv.ParseInt(field, 10, 64)
	if err != nil || n < from.Unix() || n > to.Unix() {
		t.Fatalf("%s %q, want Unix seconds in [%d, %d]", what, field, from.Unix(), to.Unix())
	}
}

// The status line in each state. The states that a timer ends (starting
// by its startwait, backoff by its delay) are held by a trap that keeps
// back the timers' messages: a busy machine could look at the service
// after the timer fired; the test hands the startwait's message on when it
// wants the service running.
func TestStatusLineInEachState(t *testing.T) {
	t.Parallel()
	trap := newTrap(func(m any) bool {
		te, ok := m.(timerElapsed)
		return ok && (te.Kind == lifecycle.TimerStartWait || te.Kind == lifecycle.TimerBackoff)
	})
	r := newRig(t, withTrap(trap.middleware))
	r.ok("service s cmd=sleep 100", "service s startwait_secs=0.02", "service s stopwait_secs=30",
		"service s respawn_on_fail=0")
	if got := r.ok("command status service s"); len(got) != 1 || got[0] != "s\tstopped\t\t\t\t\t\t" {
		t.Fatalf("new service status %q", got)
	}
	self := r.servicePID("s")
	// startwaitOver hands on the n-th message caught, a startwait's: the
	// service runs
	startwaitOver := func(n int) {
		t.Helper()
		if te, _ := trap.wait(t, n).(timerElapsed); te.Kind != lifecycle.TimerStartWait {
			t.Fatalf("caught %+v, want a startwait", te)
		}
		trap.release(t, r.tree.System.Root, self, n)
		r.expectSeq("s", running)
	}

	t0 := time.Now()
	r.okDone("command start service s", 1)
	pid := strconv.Itoa(r.expectSeq("s", starting)[0].Pid)
	st := r.status("s")
	if st[0] != "s" || st[1] != "starting" || st[2] != pid || st[4] != "" || st[5] != "" || st[6] != "" || st[7] != "sleep 100" {
		t.Fatalf("starting %q", st)
	}
	epochIn(t, "starting start_time", st[3], t0, time.Now())

	startwaitOver(1)
	if st2 := r.status("s"); st2[1] != "running" || st2[2] != pid || st2[3] != st[3] || st2[4] != "" || st2[6] != "" || st2[7] != "sleep 100" {
		t.Fatalf("running %q", st2)
	}

	t1 := time.Now()
	r.okDone("command stop service s", 1)
	r.expectSeq("s", stopping)
	st = r.status("s")
	if st[1] != "stopping" || st[2] != pid || st[3] != "" || st[6] != "" || st[7] != "sleep 100" {
		t.Fatalf("stopping %q", st)
	}
	epochIn(t, "stopping stop_time", st[4], t1, time.Now())

	p, _ := strconv.Atoi(pid)
	r.fake.exit(t, p, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopped)
	st = r.status("s")
	if st[1] != "stopped" || st[2] != "" || st[3] != "" || st[6] != "" || st[7] != "" {
		t.Fatalf("stopped %q", st)
	}
	epochIn(t, "stopped stop_time", st[4], t1, time.Now())

	// fail: start_time kept, stop_time set, the reason only here
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	startwaitOver(2)
	t2 := time.Now()
	r.fake.exit(t, r.fake.waitLaunch(t, 2).Pid, exitCode(255))
	r.expectSeq("s", fail)
	st = r.status("s")
	if st[1] != "fail" || st[2] != "" || st[3] == "" || st[6] != "Exited with error 255" || st[7] != "" {
		t.Fatalf("fail %q", st)
	}
	epochIn(t, "fail stop_time", st[4], t2, time.Now())

	// a new start clears the reason and stop_time (its startwait held:
	// still starting at its exit below)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	if st = r.status("s"); st[1] != "starting" || st[4] != "" || st[6] != "" {
		t.Fatalf("restarted %q", st)
	}

	// backoff and fatal carry no reason (the backoff's message held)
	r.ok("service s respawn_on_fail=1", "service s respawn_max_retries=2")
	r.fake.exit(t, r.fake.waitLaunch(t, 3).Pid, exitCode(1))
	r.expectSeq("s", backoff)
	if st = r.status("s"); st[1] != "backoff" || st[2] != "" || st[6] != "" || st[7] != "" {
		t.Fatalf("backoff %q", st)
	}
	// respawn_max_retries=1: the first failure of a fresh count is fatal
	r.ok("service s respawn_max_retries=1")
	r.okDone("command restart service s", 1)
	r.expectSeq("s", starting)
	r.fake.exit(t, r.fake.waitLaunch(t, 4).Pid, exitCode(1))
	r.expectSeq("s", fatal)
	if st = r.status("s"); st[1] != "fatal" || st[2] != "" || st[6] != "" || st[7] != "" {
		t.Fatalf("fatal %q", st)
	}
}

func TestStatusRunningCmd(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok(`service j cmd=["/bin/echo", "a b"]`, "service sh cmd=sleep 1 && echo x", "command start all")
	r.expectSeq("j", starting)
	r.expectSeq("sh", starting)
	if st := r.status("j"); st[7] != "/bin/echo a b" {
		t.Fatalf("json running_cmd %q", st[7])
	}
	if st := r.status("sh"); st[7] != "/bin/sh -c sleep 1 && echo x" {
		t.Fatalf("shell running_cmd %q", st[7])
	}
}

func TestDescLine(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok(`service w cmd=["/bin/echo", "a b"]`, "service w tags=web, db ,web", "service w desc=the web server",
		"service p cmd=sleep 1", "service n desc=nothing")
	got := r.ok("command desc")
	want := []string{
		"n\t\tnothing\t\t",
		"p\t\t\t\tsleep 1",
		`w` + "\tweb, db\tthe web server\t\t" + `["/bin/echo","a b"]`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("desc\n got %q\nwant %q", got, want)
	}
	if got := r.ok("command desc tag db"); len(got) != 1 || !strings.HasPrefix(got[0], "w\t") {
		t.Fatalf("desc tag db %q", got)
	}
	if got := r.ok("command desc tag nope"); len(got) != 0 {
		t.Fatalf("desc tag nope %q", got)
	}
}

// A tag is a set that may be empty: status, desc and pids of a tag that
// matches nothing (never used, emptied by a retag, or by a destroy)
// answer an empty OK. A service name must exist; the multi-service verbs
// still refuse an empty selection.
func TestQueriesOnAnEmptyTag(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.ok("service a cmd=sleep 1", "service a tags=prod", "service b cmd=sleep 1", "service b tags=web")
	queries := func(tag string) []string {
		return []string{"command status tag " + tag, "command desc tag " + tag, "command pids tag " + tag}
	}
	emptyOK := func(why string, lines ...string) {
		t.Helper()
		for _, l := range lines {
			rep := r.exec(l)
			if rep.Err != nil || len(rep.Lines) != 0 {
				t.Fatalf("%s: %q: got error %v / lines %q, want an empty OK", why, l, rep.Err, rep.Lines)
			}
		}
	}
	for _, l := range queries("prod") {
		if got := r.ok(l); len(got) != 1 || !strings.HasPrefix(got[0], "a") {
			t.Fatalf("%q: %q", l, got)
		}
	}
	emptyOK("never used", queries("nosuch")...)
	r.ok("service a tags=web") // retag: prod is now empty
	emptyOK("emptied by a retag", queries("prod")...)
	r.okDone("command destroy tag web", 2)
	emptyOK("emptied by a destroy", queries("web")...)
	emptyOK("no service at all", "command status all", "command desc all", "command pids all")
	// a name must exist
	for _, l := range []string{"command status service a", "command desc service nosuch", "command pids service nosuch"} {
		r.fails(l, messages.ErrNoService.Error())
	}
	// the multi-service verbs keep refusing an empty tag
	for _, verb := range []string{"start", "stop", "up", "down", "restart", "destroy", "rollingrestart"} {
		r.fails("command "+verb+" tag prod", messages.ErrNoService.Error())
	}
}

func TestQueriesOnAnEmptyTree(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, l := range []string{"command status", "command desc", "command pids", "command list"} {
		if got := r.ok(l); len(got) != 0 {
			t.Errorf("%s: %q", l, got)
		}
	}
	r.fails("command status service x", messages.ErrNoService.Error())
	r.fails("command start all", messages.ErrNoService.Error())
	if got := r.ok("command version"); !slices.Equal(got, []string{"cfk-unit"}) {
		t.Errorf("version %q", got)
	}
}

func TestPidsAndList(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := r.startRunning("b")
	r.ok("service a cmd=sleep 1")
	if got := r.ok("command list"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("list %q", got)
	}
	if got := r.ok("command pids"); !slices.Equal(got, []string{"a: ", "b: " + strconv.Itoa(p)}) {
		t.Fatalf("pids %q", got)
	}
}

func TestDoneNRule(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.startRunning("a", "tags=odd")
	r.ok("service b cmd=sleep 1", "service b tags=even")
	r.startRunning("c", "tags=odd")
	// some fail: done K, then one line per failure in name order
	got := r.ok("command start all")
	want := []string{"done 1", "a: Service 'a' is already up", "c: Service 'c' is already up"}
	if !slices.Equal(got, want) {
		t.Fatalf("start all: %q, want %q", got, want)
	}
	r.expectSeq("b", starting)
	// none succeeds: ERROR with the first failure in name order
	r.fails("command start all", "Service 'a' is already up")
	r.fails("command start tag odd", "Service 'a' is already up")
	// all are up: an up does nothing, and counts none (as the original's)
	r.okDone("command up all", 0)
	r.setAutoTerm()
	r.okDone("command stop tag odd", 2)
	r.expectSeq("a", stopping, stopped)
	r.expectSeq("c", stopping, stopped)
	r.okDone("command down all", 1) // b; a and c were down already
	r.expectSeq("b", stopping, stopped)
	r.fails("command stop all", "Service 'a' is already down")
	// a selector that matches nothing
	for _, l := range []string{"command start tag nope", "command stop service zz", "command up tag nope",
		"command down service zz", "command restart tag nope", "command destroy service zz"} {
		r.fails(l, "Couldn't find a valid service. bailing.")
	}
}

// The failure lines follow the name order, not the order the services
// answered in: b fails at once, a fails later (its restart waits for the
// exit, then its launch fails).
func TestDoneNFailuresInNameOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pa := r.startRunning("a")
	r.ok("service b desc=no command")
	pc := r.startRunning("c")
	rep := r.async("command restart all")
	r.fake.waitSignal(t, pa, syscall.SIGTERM)
	r.fake.waitSignal(t, pc, syscall.SIGTERM)
	r.fake.failNextLaunch(errors.New("exec: gone"))
	r.fake.exit(t, pa, killedBy(syscall.SIGTERM))
	r.expectSeq("a", stopping, stopped, backoff)
	r.noReply("restart all", rep, 50*time.Millisecond)
	r.fake.exit(t, pc, killedBy(syscall.SIGTERM))
	got := r.reply("restart all", rep)
	want := []string{"done 1", "a: Service 'a' failed to start: exec: gone", "b: Service 'b' has no known command"}
	if got.Err != nil || !slices.Equal(got.Lines, want) {
		t.Fatalf("restart all: %v %q, want %q", got.Err, got.Lines, want)
	}
}

func TestDestroyRunning(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s")
	r.ok("service other cmd=sleep 1")
	rep := r.async("command destroy service s")
	r.fake.waitSignal(t, pid, syscall.SIGTERM)
	r.expectSeq("s", stopping)
	r.noReply("destroy", rep, 50*time.Millisecond)
	// while it is being destroyed
	r.fails("command start service s", "Service 's' is being destroyed")
	r.fails("command up service s", "Service 's' is being destroyed")
	r.fails("command restart service s", "Service 's' is being destroyed")
	r.fails("service s desc=x", "Service 's' is being destroyed")
	r.okDone("command stop service s", 1) // already stopping: nothing to do
	if got := r.ok("command list"); !slices.Equal(got, []string{"other", "s"}) {
		t.Fatalf("list while destroying %q", got)
	}
	r.fake.exit(t, pid, killedBy(syscall.SIGTERM))
	got := r.reply("destroy", rep)
	if got.Err != nil || !slices.Equal(got.Lines, []string{"done 1"}) {
		t.Fatalf("destroy reply %v %q", got.Err, got.Lines)
	}
	r.expectSeq("s", stopped)
	if got := r.ok("command list"); !slices.Equal(got, []string{"other"}) {
		t.Fatalf("list after destroy %q", got)
	}
	r.fails("command start service s", messages.ErrNoService.Error())
	r.expectQuiet("s", window)
	// the name can be declared again, as a new stopped service
	r.ok("service s cmd=sleep 1")
	if st := r.status("s"); st[1] != "stopped" || st[2] != "" {
		t.Fatalf("redeclared %q", st)
	}
}

func TestDestroyStoppedAndSeveral(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.ok("service a cmd=sleep 1", "service a tags=x", "service b cmd=sleep 1", "service b tags=x",
		"service c cmd=sleep 1")
	r.startRunning("b")
	r.okDone("command destroy tag x", 2)
	if got := r.ok("command list"); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("list %q", got)
	}
	r.expectSeq("b", stopping, stopped)
}

func TestDestroyInBackoff(t *testing.T) {
	t.Parallel()
	const unit = 150 * time.Millisecond
	r := newRig(t, backoffUnit(unit))
	code := 1
	r.fake.setExitOnLaunch(&code)
	r.ok("service s cmd=false", "service s startwait_secs=10", "command start service s")
	r.expectSeq("s", starting, backoff)
	r.okDone("command destroy service s", 1)
	r.expectSeq("s", stopped)
	if got := r.ok("command list"); len(got) != 0 {
		t.Fatalf("list %q", got)
	}
	r.expectQuiet("s", unit+window)
	r.fake.expectNoLaunch(t, 1, 0)
}

// A destroy cancels a pending restart (which is answered with an error).
func TestDestroyCancelsPendingRestart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s")
	restart := r.async("command restart service s")
	r.fake.waitSignal(t, pid, syscall.SIGTERM)
	r.expectSeq("s", stopping)
	destroy := r.async("command destroy service s")
	got := r.reply("restart", restart)
	if got.Err == nil || got.Err.Error() != "Service 's' is being destroyed" {
		t.Fatalf("restart reply %v %q", got.Err, got.Lines)
	}
	r.fake.exit(t, pid, killedBy(syscall.SIGTERM))
	if got := r.reply("destroy", destroy); got.Err != nil {
		t.Fatalf("destroy: %v", got.Err)
	}
	r.expectSeq("s", stopped)
	r.expectQuiet("s", window)
	r.fake.expectNoLaunch(t, 1, 0)
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	r := newRig(t, backoffUnit(2*time.Second))
	pa := r.startRunning("a")
	pb := r.startRunning("b")
	r.ok("service c cmd=sleep 1")
	r.fake.failNextLaunch(errors.New("exec: gone"))
	r.ok("service d cmd=x")
	r.fails("command start service d", "Service 'd' failed to start: exec: gone")
	r.expectSeq("d", backoff)

	rep := r.async("command shutdown")
	r.fake.waitSignal(t, pa, syscall.SIGTERM)
	r.fake.waitSignal(t, pb, syscall.SIGTERM)
	r.expectSeq("a", stopping)
	r.expectSeq("b", stopping)
	r.expectSeq("d", stopped) // the pending retry is cancelled
	r.noReply("shutdown", rep, 50*time.Millisecond)
	r.fails("command start service c", "cfkd is shutting down")
	r.fails("command shutdown", "cfkd is already shutting down")
	r.fake.exit(t, pa, killedBy(syscall.SIGTERM))
	r.expectSeq("a", stopped)
	r.noReply("shutdown", rep, 50*time.Millisecond)
	r.mu.Lock()
	early := r.shutdowns
	r.mu.Unlock()
	if early != 0 {
		t.Fatal("ShutdownCompleted before every service was down")
	}
	r.fake.exit(t, pb, exitCode(0))
	got := r.reply("shutdown", rep)
	if got.Err != nil || !slices.Equal(got.Lines, []string{"done 4"}) {
		t.Fatalf("shutdown reply %v %q", got.Err, got.Lines)
	}
	r.wait("ShutdownCompleted", func() bool { return r.shutdowns == 1 })
	r.expectSeq("b", stopped)

	for _, l := range []string{"command start all", "command up service a", "command restart service b",
		"command destroy service c", "service a desc=x", "service new cmd=sleep 1"} {
		r.fails(l, "cfkd is shutting down")
	}
	r.fails("command stop service a", "Service 'a' is already down")
	r.okDone("command down all", 0) // all down: nothing done
	r.expectIdle(window)
	r.fake.expectNoLaunch(t, 2, 0)
	// every service stays known (status still answers)
	if got := r.ok("command list"); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("list %q", got)
	}
}

func TestShutdownOfAnIdleTree(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	if got := r.ok("command shutdown"); !slices.Equal(got, []string{"done 0"}) {
		t.Fatalf("shutdown %q", got)
	}
	r.wait("ShutdownCompleted", func() bool { return r.shutdowns == 1 })
	r.fails("service s cmd=sleep 1", "cfkd is shutting down")
}

// A shutdown waits through stopwait and SIGKILL for a child ignoring
// SIGTERM.
func TestShutdownKillsAfterStopwait(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s", "stopwait_secs=0.05")
	rep := r.async("command shutdown")
	r.fake.waitSignal(t, pid, syscall.SIGKILL)
	r.noReply("shutdown", rep, 50*time.Millisecond)
	r.fake.exit(t, pid, killedBy(syscall.SIGKILL))
	if got := r.reply("shutdown", rep); got.Err != nil || !slices.Equal(got.Lines, []string{"done 1"}) {
		t.Fatalf("shutdown %v %q", got.Err, got.Lines)
	}
	if ev := r.expectSeq("s", stopping, fail); ev[1].Reason != "Received signal 9" {
		t.Fatalf("reason %q", ev[1].Reason)
	}
	r.expectQuiet("s", window)
}

// Regression: a halt (destroy, shutdown) cancels pending restarts only; a
// pending destroy stays pending and is answered OK once the service is
// down, and the service is then forgotten.
func TestSecondHaltKeepsPendingDestroy(t *testing.T) {
	r := newRig(t)
	pid := r.startRunning("s")
	first := r.async("command destroy service s")
	r.fake.waitSignal(t, pid, syscall.SIGTERM)
	r.expectSeq("s", stopping)
	second := r.async("command destroy service s")
	r.noReply("first destroy", first, 50*time.Millisecond)
	r.fake.exit(t, pid, killedBy(syscall.SIGTERM))
	for _, rep := range []<-chan messages.Reply{first, second} {
		if got := r.reply("destroy", rep); got.Err != nil || !slices.Equal(got.Lines, []string{"done 1"}) {
			t.Errorf("destroy reply %v %q", got.Err, got.Lines)
		}
	}
	if got := r.ok("command list"); len(got) != 0 {
		t.Fatalf("list %q", got)
	}
}

// AfterBurst runs once a verb sent to BurstSize services or more was
// answered, and not for a smaller one.
func TestAfterBurst(t *testing.T) {
	bursts := make(chan struct{}, 10)
	r := newRig(t, func(o *Options) {
		o.BurstSize = 5
		o.AfterBurst = func() { bursts <- struct{}{} }
	})
	for i := 0; i < 5; i++ {
		r.ok("service b" + strconv.Itoa(i) + " cmd=sleep 10")
	}
	r.okDone("command start service b0", 1)
	r.exec("command start tag nosuch") // an error reply: no burst either
	select {
	case <-bursts:
		t.Fatal("AfterBurst ran for a verb on 1 service")
	case <-time.After(50 * time.Millisecond):
	}
	r.ok("command down all") // 5 services asked
	select {
	case <-bursts:
	case <-time.After(deadline):
		t.Fatal("AfterBurst did not run after a verb on 5 services")
	}
}

// TestEachServiceItsOwnActor: every service actor is spawned from the
// controller's one Props (servicePID): each is its own Service, with
// its own command, and one declared again after a destroy is a new
// actor.
func TestEachServiceItsOwnActor(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.ok("service a cmd=/bin/a", "service b cmd=/bin/b")
	a, b := r.servicePID("a"), r.servicePID("b")
	if a.Equal(b) {
		t.Fatalf("a and b have the same actor %v", a)
	}
	r.okDone("command start service b", 1)
	if got := r.fake.waitLaunch(t, 1).Spec.Argv; len(got) != 1 || got[0] != "/bin/b" {
		t.Fatalf("b launched %q", got)
	}
	r.okDone("command destroy service a", 1)
	r.ok("service a cmd=/bin/a2")
	if a2 := r.servicePID("a"); a2.Equal(a) {
		t.Fatalf("a declared again has its former actor %v", a2)
	}
	r.okDone("command start service a", 1)
	if got := r.fake.waitLaunch(t, 2).Spec.Argv; len(got) != 1 || got[0] != "/bin/a2" {
		t.Fatalf("a launched %q", got)
	}
}

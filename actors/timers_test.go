package actors

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
)

// Stale timers, by timing: the startwait of a process that died must not
// declare its successor running early. startwait 200 ms; the first process
// dies at once, the second starts one backoff unit (20 ms) later: a
// startwait timer of the first that survived would fire ~180 ms into the
// second's startwait.
func TestStaleStartwaitDoesNotRunNextProcessEarly(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service s cmd=x", "service s startwait_secs=0.2", "command start service s")
	p1 := r.fake.waitLaunch(t, 1).Pid
	first := r.expectSeq("s", starting)[0]
	r.fake.exit(t, p1, exitCode(1))
	ev := r.expectSeq("s", backoff, starting, running)
	if d := ev[2].At.Sub(ev[1].At); d < 200*time.Millisecond {
		t.Fatalf("second process running %v after its start (%v after the first's): a stale startwait",
			d, ev[2].At.Sub(first.At))
	}
}

// timerTrap is a service middleware that holds back every timer message
// of one kind while armed, so that a test can deliver them late, in the
// order it likes (cancelling a timer cannot take back a message already
// queued: only the generation check protects against a late one).
type timerTrap struct {
	catch   func(any) bool
	mu      sync.Mutex
	armed   bool
	caught  []any
	changed chan struct{}
}

func newTimerTrap(kind lifecycle.TimerKind) *timerTrap {
	return newTrap(func(m any) bool { t, ok := m.(timerElapsed); return ok && t.Kind == kind })
}

// newTrap holds back the messages catch says yes to.
func newTrap(catch func(any) bool) *timerTrap {
	return &timerTrap{catch: catch, armed: true, changed: make(chan struct{})}
}

// released is a message a trap held back, sent again by release: it goes
// through.
type released struct{ m any }

func (tr *timerTrap) middleware(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		if rel, ok := env.Message.(released); ok {
			e := *env
			e.Message = rel.m
			next(c, &e)
			return
		}
		if tr.catch(env.Message) {
			tr.mu.Lock()
			armed := tr.armed
			if armed {
				tr.caught = append(tr.caught, env.Message)
				close(tr.changed)
				tr.changed = make(chan struct{})
			}
			tr.mu.Unlock()
			if armed {
				return
			}
		}
		next(c, env)
	}
}

// wait waits for the n-th caught message (1-based) and returns it.
func (tr *timerTrap) wait(t *testing.T, n int) any {
	t.Helper()
	timeout := time.After(deadline)
	for {
		tr.mu.Lock()
		if len(tr.caught) >= n {
			defer tr.mu.Unlock()
			return tr.caught[n-1]
		}
		ch := tr.changed
		tr.mu.Unlock()
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("timer message #%d never fired", n)
		}
	}
}

// release waits for the n-th caught message (1-based) and delivers it to
// pid, past the trap, which stays armed.
func (tr *timerTrap) release(t *testing.T, root *actor.RootContext, pid *actor.PID, n int) {
	t.Helper()
	root.Send(pid, released{tr.wait(t, n)})
}

// disarm lets every message through from now on.
func (tr *timerTrap) disarm() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.armed = false
}

func withTrap(mw actor.ReceiverMiddleware) func(*Options) {
	return func(o *Options) { o.ServiceMiddleware = []actor.ReceiverMiddleware{mw} }
}

// Stale timers, by generation: the startwait message of the first process,
// delivered while the second is starting, is dropped; the second's own
// makes it running.
func TestStaleStartwaitMessageDropped(t *testing.T) {
	t.Parallel()
	trap := newTimerTrap(lifecycle.TimerStartWait)
	r := newRig(t, withTrap(trap.middleware))
	r.ok("service s cmd=x", "service s startwait_secs=0.02", "command start service s")
	p1 := r.fake.waitLaunch(t, 1).Pid
	stale := trap.wait(t, 1)
	r.expectSeq("s", starting) // held back: still starting
	r.fake.exit(t, p1, exitCode(1))
	r.expectSeq("s", backoff, starting)
	own := trap.wait(t, 2)
	trap.disarm()
	self := r.servicePID("s")
	r.tree.System.Root.Send(self, stale)
	r.expectNone("s", running, window)
	if st := r.status("s"); st[1] != "starting" {
		t.Fatalf("status %q", st)
	}
	r.tree.System.Root.Send(self, own)
	if ev := r.expectSeq("s", running); ev[0].Pid != r.fake.waitLaunch(t, 2).Pid {
		t.Fatalf("running pid %d", ev[0].Pid)
	}
}

// Same for stopwait: the stopwait message of the first process must not
// SIGKILL the second.
func TestStaleStopwaitMessageDropped(t *testing.T) {
	t.Parallel()
	trap := newTimerTrap(lifecycle.TimerStopWait)
	r := newRig(t, withTrap(trap.middleware))
	p1 := r.startRunning("s", "stopwait_secs=0.02")
	r.okDone("command stop service s", 1)
	stale := trap.wait(t, 1)
	r.fake.exit(t, p1, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopping, stopped)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, running)
	p2 := r.fake.waitLaunch(t, 2).Pid
	r.okDone("command stop service s", 1)
	r.fake.waitSignal(t, p2, syscall.SIGTERM)
	r.expectSeq("s", stopping)
	own := trap.wait(t, 2)
	trap.disarm()
	self := r.servicePID("s")
	r.tree.System.Root.Send(self, stale)
	r.fake.expectNoSignal(t, p2, syscall.SIGKILL, window)
	r.tree.System.Root.Send(self, own)
	r.fake.waitSignal(t, p2, syscall.SIGKILL)
	if sigs := r.fake.signalsTo(p1); len(sigs) != 1 || sigs[0] != syscall.SIGTERM {
		t.Fatalf("signals to the first: %v", sigs)
	}
}

// And for backoff: the retry timer of a backoff that a restart ended must
// not start the service while it backs off from a later failure.
func TestStaleBackoffMessageDropped(t *testing.T) {
	t.Parallel()
	trap := newTimerTrap(lifecycle.TimerBackoff)
	r := newRig(t, withTrap(trap.middleware))
	code := 1
	r.fake.setExitOnLaunch(&code)
	r.ok("service s cmd=false", "service s startwait_secs=30", "command start service s")
	stale := trap.wait(t, 1)
	r.expectSeq("s", starting, backoff) // held back: stuck in backoff
	r.okDone("command restart service s", 1)
	r.expectSeq("s", starting, backoff)
	own := trap.wait(t, 2)
	trap.disarm()
	self := r.servicePID("s")
	r.tree.System.Root.Send(self, stale)
	r.expectQuiet("s", window)
	r.fake.expectNoLaunch(t, 2, 0)
	r.tree.System.Root.Send(self, own)
	r.expectSeq("s", starting)
	r.fake.waitLaunch(t, 3)
}

// An idle tree arms nothing: once every service settled (running, stopped,
// fail, fatal), no state changes.
func TestIdleTreeStaysIdle(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.startRunning("run")
	r.setAutoTerm()
	r.startRunning("stop")
	r.okDone("command stop service stop", 1)
	r.expectSeq("stop", stopping, stopped)
	r.startRunning("crash", "respawn_on_fail=0")
	r.fake.exit(t, r.fake.waitLaunch(t, 3).Pid, exitCode(2))
	r.expectSeq("crash", fail)
	code := 1
	r.fake.setExitOnLaunch(&code)
	r.ok("service dead cmd=false", "service dead respawn_max_retries=1", "command start service dead")
	r.expectSeq("dead", starting, fatal)
	r.expectIdle(2 * window)
}

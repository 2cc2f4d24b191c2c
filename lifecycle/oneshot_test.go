package lifecycle

import (
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

func oneShotPolicy() Policy {
	p := testPolicy()
	p.OneShot = true
	return p
}

// REFERENCE §2.10: a oneshot stays starting while its process runs, past
// startwait (no bound); its clean exit makes it done: stopped, its failed
// starts forgotten, and a dependent's wait for it to run answered OK,
// also one that comes after. Its next launch is not done.
func TestOneShotDoneByItsCleanExit(t *testing.T) {
	s := newSim(t, oneShotPolicy(), 1)
	s.request(Event{Kind: EvStart})
	early := s.request(Event{Kind: EvAwait})
	s.fire() // startwait: no running, no timer
	if s.l.State != messages.Starting || s.l.Timer != TimerNone || !s.l.OneShot {
		t.Fatalf("after startwait: %+v, want starting with no timer", s.l)
	}
	if s.replies[early] != 0 {
		t.Fatal("the wait answered before the oneshot is done")
	}
	s.exit(exitStatus(0))
	if s.l.State != messages.Stopped || !s.l.Done || s.replies[early] != 1 || s.errs[early] != nil {
		t.Fatalf("%+v, wait answered %d times (%v), want done and answered OK", s.l, s.replies[early], s.errs[early])
	}
	if rt := s.l.Runtime("svc", ""); !rt.Done || rt.State != messages.Stopped {
		t.Fatalf("runtime %+v, want done", rt)
	}
	if late := s.request(Event{Kind: EvAwait}); s.replies[late] != 1 || s.errs[late] != nil {
		t.Fatalf("a wait after it was done: %v", s.errs[late])
	}
	if !strings.Contains(strings.Join(s.logs, "\n"), "svc is done (oneshot)") {
		t.Fatalf("log %q", s.logs)
	}
	n := len(s.launched)
	if up := s.request(Event{Kind: EvUp, Rolling: true}); s.errs[up] != nil || s.replies[up] != 1 || len(s.launched) != n {
		t.Fatalf("up of a oneshot done: %v, %d launches, want OK and none", s.errs[up], len(s.launched)-n)
	}
	s.request(Event{Kind: EvStart})
	if s.l.State != messages.Starting || s.l.Done || len(s.launched) != n+1 {
		t.Fatalf("run again: %+v", s.l)
	}
}

// A oneshot's failure is a failed start: backoff, counted, retried; a
// dependent waits through it; the retry's clean exit is done.
func TestOneShotFailureIsAFailedStart(t *testing.T) {
	s := newSim(t, oneShotPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire()
	wait := s.request(Event{Kind: EvAwait})
	s.exit(exitStatus(3))
	if s.l.State != messages.Backoff || s.l.Retries != 1 || s.l.Done || s.replies[wait] != 0 {
		t.Fatalf("%+v, want backoff, the wait pending", s.l)
	}
	s.fire() // the retry
	s.exit(exitStatus(0))
	if s.l.State != messages.Stopped || !s.l.Done || s.l.Retries != 0 || s.replies[wait] != 1 || s.errs[wait] != nil {
		t.Fatalf("%+v, want done and the wait answered OK (%v)", s.l, s.errs[wait])
	}
}

// A oneshot stopped while it runs is not done: a wait for it fails.
func TestOneShotStoppedIsNotDone(t *testing.T) {
	s := newSim(t, oneShotPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire()
	wait := s.request(Event{Kind: EvAwait})
	s.request(Event{Kind: EvStop})
	s.exit(signalled(15))
	if s.l.State != messages.Stopped || s.l.Done || s.replies[wait] != 1 || s.errs[wait] == nil {
		t.Fatalf("%+v, wait: %v, want stopped, not done, the wait failed", s.l, s.errs[wait])
	}
	if late := s.request(Event{Kind: EvAwait}); s.errs[late] == nil {
		t.Fatal("a wait on a oneshot stopped midway answered OK")
	}
}

// Under a proxy, the wait for the pid keeps its bound (startwait, then
// the proxy is asked); once the pid is known the oneshot runs unbounded.
func TestOneShotProxiedKeepsThePidBound(t *testing.T) {
	s := newSim(t, oneShotPolicy(), 1)
	s.proxied = true
	s.request(Event{Kind: EvStart})
	if s.l.Pid != 0 || s.l.Timer != TimerStartWait {
		t.Fatalf("%+v, want startwait armed while the pid is awaited", s.l)
	}
	s.report()
	s.fire()
	if s.l.State != messages.Starting || s.l.Timer != TimerNone || s.l.Pid == 0 {
		t.Fatalf("%+v, want starting with its pid and no timer", s.l)
	}
}

// A oneshot done, then declared oneshot=0 (REFERENCE §2.10: the next
// launch takes the new value), is a service that is down: `up` of it,
// and so the start of what requires it, launches it and waits for it to
// run, rather than answering OK with nothing running.
func TestOneShotUnsetWhileDoneIsBroughtUp(t *testing.T) {
	s := newSim(t, oneShotPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire()
	s.exit(exitStatus(0))
	if s.l.State != messages.Stopped || !s.l.Done {
		t.Fatalf("%+v, want done", s.l)
	}
	s.p.OneShot = false // declared oneshot=0 meanwhile
	n := len(s.launched)
	up := s.request(Event{Kind: EvUp, Rolling: true})
	if len(s.launched) != n+1 || s.l.State != messages.Starting {
		t.Fatalf("up of a done oneshot declared oneshot=0: %+v, %d launches, want one", s.l, len(s.launched)-n)
	}
	if s.replies[up] != 0 {
		t.Fatalf("up answered (%v) before the service runs", s.errs[up])
	}
	s.fire() // startwait: running
	if s.l.State != messages.Running || s.replies[up] != 1 || s.errs[up] != nil {
		t.Fatalf("%+v, up answered %d times (%v), want running and OK", s.l, s.replies[up], s.errs[up])
	}
}

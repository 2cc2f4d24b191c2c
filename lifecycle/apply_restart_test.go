package lifecycle

import (
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// An apply's restart (REFERENCE §1.4) restarts a run as restart does,
// and only a run: a service down is left down, and one that an
// operator's stop is taking down stays down, where restart's row in
// stopping (launch once down) brought it back up once down: an apply
// that came while a `stop db` waited for db's end started db again.
// One stopping for a restart is launched again once down, as by it.
func TestApplyRestartLeavesAStopToItsEnd(t *testing.T) {
	// running: checked, stopped, launched again, answered then
	s := reach(t, messages.Running, false)
	pid := s.l.Pid
	req := s.request(Event{Kind: EvApplyRestart})
	if s.l.State != messages.Stopping || !s.killed[pid] || s.l.Want != WantRestart || s.replies[req] != 0 {
		t.Fatalf("apply restart of a run, checked: %+v, replies %d", s.l, s.replies[req])
	}
	s.exit(syscall.WaitStatus(syscall.SIGTERM))
	s.settle()
	if s.l.State != messages.Starting || !s.killed[pid] || s.replies[req] != 1 || s.errs[req] != nil || len(s.launched) != 2 {
		t.Fatalf("apply restart of a run: %+v, replies %d %v, launches %d", s.l, s.replies[req], s.errs[req], len(s.launched))
	}

	// stopping for an operator's stop: answered at once, nothing launched
	s = reach(t, messages.Running, false)
	stop := s.request(Event{Kind: EvStop})
	if s.l.State != messages.Stopping || s.replies[stop] != 1 {
		t.Fatalf("stop: %+v", s.l)
	}
	req = s.request(Event{Kind: EvApplyRestart, Rolling: true})
	if s.replies[req] != 1 || s.errs[req] != nil || s.l.Want != WantDown {
		t.Fatalf("apply restart while stopping: %+v, replies %d %v; want answered OK, still wanted down", s.l, s.replies[req], s.errs[req])
	}
	s.exit(syscall.WaitStatus(syscall.SIGTERM))
	s.settle()
	if s.l.State != messages.Stopped || len(s.launched) != 1 {
		t.Fatalf("after the stop: %+v, launches %d; want stopped, launched once", s.l, len(s.launched))
	}

	// down: answered at once, nothing launched
	req = s.request(Event{Kind: EvApplyRestart})
	if s.replies[req] != 1 || s.errs[req] != nil || s.l.State != messages.Stopped || len(s.launched) != 1 {
		t.Fatalf("apply restart when stopped: %+v, replies %d %v, launches %d", s.l, s.replies[req], s.errs[req], len(s.launched))
	}

	// stopping for cfkd's own reason while wanted up (a watchdog), with
	// no respawn_on_fail: launched again once down, as restart; left to
	// that stop, it ended in fail and the new declaration never ran
	p := testPolicy()
	p.Watchdog, p.RespawnOnFail = 2*time.Second, false
	s = newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	s.fire() // startwait: running, its watchdog armed
	if s.l.State != messages.Running || s.l.Timer != TimerWatchdog {
		t.Fatalf("not running with its watchdog: %+v", s.l)
	}
	s.fire() // no ping: stopping, a crash to be
	if s.l.State != messages.Stopping || s.l.Want != WantUp {
		t.Fatalf("watchdog: %+v", s.l)
	}
	req = s.request(Event{Kind: EvApplyRestart})
	s.exit(syscall.WaitStatus(syscall.SIGABRT))
	s.settle()
	if s.l.State != messages.Starting || s.replies[req] != 1 || s.errs[req] != nil || len(s.launched) != 2 {
		t.Fatalf("apply restart during a watchdog's stop: %+v, replies %d %v, launches %d; want launched again", s.l, s.replies[req], s.errs[req], len(s.launched))
	}

	// stopping for a restart: launched again once down, answered then
	s = reach(t, messages.Running, false)
	s.async = true
	restart := s.request(Event{Kind: EvRestart})
	s.settle() // the check
	if s.l.State != messages.Stopping || s.l.Want != WantRestart {
		t.Fatalf("restart: %+v", s.l)
	}
	req = s.request(Event{Kind: EvApplyRestart})
	if s.replies[req] != 0 {
		t.Fatal("apply restart during a restart's stop answered before the launch")
	}
	s.exit(syscall.WaitStatus(syscall.SIGTERM))
	s.settle()
	if s.l.State != messages.Starting || s.replies[req] != 1 || s.errs[req] != nil || s.replies[restart] != 1 || len(s.launched) != 2 {
		t.Fatalf("after the restart's stop: %+v, replies %d %v, launches %d", s.l, s.replies[req], s.errs[req], len(s.launched))
	}
}

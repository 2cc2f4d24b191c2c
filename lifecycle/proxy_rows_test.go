package lifecycle

import (
	"errors"
	"slices"
	"testing"

	"github.com/cfk/cfk/messages"
)

// REFERENCE §2.7, row `→ stopped` of (stopping, proxy refused): a start
// stopped before its proxy ran it, then refused (the proxy ended, a noauto
// proxy down), ran nothing: the stop is done, stopped with no fail reason,
// and a restart asked meanwhile launches it again. A refusal that comes
// after the pid was reported is not the start's answer any more: ignored.
func TestProxyRefusedWhileStopping(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.proxied = true
	s.request(Event{Kind: EvStart})
	s.request(Event{Kind: EvStop})
	s.pending = 0 // the proxy made no process
	refused := errors.New("Proxy is not running, not starting service 'svc'")
	s.feed(Event{Kind: EvProxyRefused, Attempt: s.l.Attempt, Err: refused})
	if s.l.State != messages.Stopped || s.l.FailReason != "" || s.l.Timer != TimerNone {
		t.Fatalf("refused while stopping: %v %q, timer %v", s.l.State, s.l.FailReason, s.l.Timer)
	}
	if !slices.Contains(s.logs, "svc: stopped before its proxy ran it: "+refused.Error()) {
		t.Fatalf("logs %q", s.logs)
	}

	// a restart waiting for the stop launches it once refused
	s.request(Event{Kind: EvStart})
	s.request(Event{Kind: EvRestart})
	if s.l.State != messages.Stopping {
		t.Fatalf("restart: %v", s.l.State)
	}
	s.pending = 0
	s.feed(Event{Kind: EvProxyRefused, Attempt: s.l.Attempt, Err: refused})
	if s.l.State != messages.Starting || s.l.Attempt != 3 {
		t.Fatalf("restart refused while stopping: %v attempt %d", s.l.State, s.l.Attempt)
	}

	// the pid reported, then a stop: a late refusal changes nothing
	s.report()
	s.request(Event{Kind: EvStop})
	pid := s.l.Pid
	s.feed(Event{Kind: EvProxyRefused, Attempt: s.l.Attempt, Err: refused})
	if s.l.State != messages.Stopping || s.l.Pid != pid {
		t.Fatalf("refused after the pid: %v pid %d", s.l.State, s.l.Pid)
	}
}

// REFERENCE §2.7, row `→ fail` of (starting and running, proxy gone): the
// service fails `proxy stopped`; its process, if the proxy reported it, is
// killed (nothing would supervise it), and the crash is not respawned
// from there (the proxy is gone).
func TestProxyGoneWhileUp(t *testing.T) {
	for _, st := range []messages.State{messages.Starting, messages.Running} {
		for _, reported := range []bool{true, false} {
			if st == messages.Running && !reported {
				continue // running needs a pid
			}
			s := newSim(t, testPolicy(), 1)
			s.proxied = true
			s.request(Event{Kind: EvStart})
			if reported {
				s.report()
			}
			if st == messages.Running {
				s.fire()
			}
			if s.l.State != st {
				t.Fatalf("reach %v: %v", st, s.l.State)
			}
			pid := s.l.Pid
			s.feed(Event{Kind: EvProxyGone, Attempt: s.l.Attempt})
			if s.l.State != messages.Fail || s.l.FailReason != "proxy stopped" || s.l.Pid != 0 || s.l.Launching != 0 {
				t.Fatalf("%v, pid reported %v: proxy gone: %v %q pid %d launching %d", st, reported, s.l.State, s.l.FailReason, s.l.Pid, s.l.Launching)
			}
			if reported != slices.Contains(s.kills, pid) || !reported && len(s.kills) != 0 {
				t.Fatalf("%v, pid reported %v: kills %v, pid %d", st, reported, s.kills, pid)
			}
			if !slices.Contains(s.logs, "'svc' has stopped: proxy stopped") {
				t.Fatalf("logs %q", s.logs)
			}
		}
	}
}

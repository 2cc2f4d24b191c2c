package lifecycle

import (
	"slices"
	"testing"

	"github.com/cfk/cfk/messages"
)

// REFERENCE §4.5: a stop of a proxied service whose proxy has not
// reported its pid yet ends stopped, not fail: at once when the pid comes
// (the process killed), or stopwait after the stop, with a warning. It
// went fail (`proxy did not report the exit`) one stopwait after the stop.
func TestStopBeforeThePid(t *testing.T) {
	p := testPolicy()
	s := newSim(t, p, 1)
	s.proxied = true

	// the pid comes after the stop: killed at once, stopped
	s.request(Event{Kind: EvStart})
	s.request(Event{Kind: EvStop})
	if s.l.State != messages.Stopping {
		t.Fatalf("stop: %v", s.l.State)
	}
	pid := s.pending
	s.report()
	if s.l.State != messages.Stopped || s.l.Pid != 0 || !s.killed[pid] {
		t.Fatalf("pid after the stop: %v pid %d, killed %v", s.l.State, s.l.Pid, s.killed[pid])
	}
	if !slices.Contains(s.logs, "svc: its proxy reported its pid after the stop: killing it") {
		t.Fatalf("logs %q", s.logs)
	}

	// no pid by stopwait: stopped, with a warning
	s.request(Event{Kind: EvStart})
	s.request(Event{Kind: EvStop})
	s.fire()
	if s.l.State != messages.Stopped || s.l.FailReason != "" {
		t.Fatalf("no pid by stopwait: %v %q", s.l.State, s.l.FailReason)
	}
	if !slices.Contains(s.logs, "svc: its proxy had not reported its pid 2s after the stop: considered stopped") {
		t.Fatalf("logs %q", s.logs)
	}

	// the proxy ends meanwhile: stopped too
	s.request(Event{Kind: EvStart})
	s.request(Event{Kind: EvStop})
	s.pending = 0 // the start it never answered
	s.feed(Event{Kind: EvProxyGone, Attempt: s.l.Attempt})
	if s.l.State != messages.Stopped || s.l.FailReason != "" {
		t.Fatalf("proxy gone before the pid: %v %q", s.l.State, s.l.FailReason)
	}
	if !slices.Contains(s.logs, "svc: its proxy ended before it reported its pid: considered stopped") {
		t.Fatalf("logs %q", s.logs)
	}

	// a restart meanwhile starts it again once stopped
	s.request(Event{Kind: EvStart})
	s.request(Event{Kind: EvRestart})
	s.fire()
	if s.l.State != messages.Starting || s.l.Attempt != 5 {
		t.Fatalf("restart with no pid: %v attempt %d", s.l.State, s.l.Attempt)
	}
}

// REFERENCE §4.5: the pid of a start stopped before the proxy reported
// it, of a process that had ended before cfkd could take its handle (the
// proxy read the stop line and reaped it first), is not killed: an info
// line says so. It was warned `killing it`, and the kill, with no handle,
// warned again that it would not kill a pid that may have been reused.
func TestStopBeforeThePidOfAnEndedProcess(t *testing.T) {
	p := testPolicy()
	s := newSim(t, p, 1)
	s.proxied = true
	s.request(Event{Kind: EvStart})
	s.request(Event{Kind: EvStop})
	pid := s.pending
	s.pending = 0
	s.feed(Event{Kind: EvPidReported, Attempt: s.l.Attempt, Pid: pid, Ended: true})
	if s.l.State != messages.Stopped || s.l.FailReason != "" || len(s.kills) != 0 {
		t.Fatalf("ended pid after the stop: %v %q, SIGKILLed %v", s.l.State, s.l.FailReason, s.kills)
	}
	if !slices.Contains(s.logs, "svc: its proxy reported its pid after the stop: it had already ended") ||
		slices.Contains(s.logs, "svc: its proxy reported its pid after the stop: killing it") {
		t.Fatalf("logs %q", s.logs)
	}
	if len(s.warns) != 0 {
		t.Fatalf("warnings %q", s.warns)
	}
}

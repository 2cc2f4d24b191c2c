package lifecycle

import (
	"slices"
	"testing"

	"github.com/cfk/cfk/messages"
)

// REFERENCE §4.3: a proxy's stopped whose exit_status is no process's end
// (Event.Reported) is an abnormal end said as what it is, whatever Status
// would read as: in starting a failed start, in running a crash, in
// stopping a fail. Its bits were decoded: a -5 was 'Received signal 123',
// a 65536 a clean exit.
func TestExitReportedNoEnd(t *testing.T) {
	const why = "proxy reported exit_status 65536, which is no process's end"
	p := testPolicy()
	s := newSim(t, p, 1)
	s.proxied = true
	end := func() {
		t.Helper()
		pid := s.l.Pid
		delete(s.alive, pid)
		s.feed(Event{Kind: EvExited, Pid: pid, Reported: "65536"}) // Status 0: a clean exit, read as bits
		if s.l.LastExit != "exit_status 65536" {
			t.Errorf("last exit %q", s.l.LastExit)
		}
		if !slices.Contains(s.logs, "child terminated abnormally 65536: "+why) {
			t.Errorf("logs %q", s.logs)
		}
	}

	// starting: a failed start, in backoff
	s.request(Event{Kind: EvStart})
	s.report()
	end()
	if s.l.State != messages.Backoff || s.l.LastError != why {
		t.Fatalf("in starting: %v, last error %q", s.l.State, s.l.LastError)
	}

	// running: a crash, launched again at once through fail
	s.fire() // the retry
	s.report()
	s.fire() // startwait: running
	if s.l.State != messages.Running {
		t.Fatalf("not running: %v", s.l.State)
	}
	s.fails = nil
	end()
	if s.l.State != messages.Starting || !slices.Equal(s.fails, []string{why}) {
		t.Fatalf("in running: %v, fails %q", s.l.State, s.fails)
	}

	// stopping: fail, not stopped
	s.report()
	s.fire()
	s.request(Event{Kind: EvStop})
	s.fails = nil
	end()
	if s.l.State != messages.Fail || s.l.FailReason != why {
		t.Fatalf("in stopping: %v %q", s.l.State, s.l.FailReason)
	}
}

// REFERENCE §4.3: a proxy's stopped with no exit_status (absent or null,
// Reported NoExitStatus) is an abnormal end said as such: in running a
// crash, its reason 'proxy reported no exit_status'.
func TestExitReportedNoExitStatus(t *testing.T) {
	const why = "proxy reported no exit_status"
	s := newSim(t, testPolicy(), 1)
	s.proxied = true
	s.request(Event{Kind: EvStart})
	s.report()
	s.fire() // startwait: running
	if s.l.State != messages.Running {
		t.Fatalf("not running: %v", s.l.State)
	}
	pid := s.l.Pid
	delete(s.alive, pid)
	s.feed(Event{Kind: EvExited, Pid: pid, Reported: NoExitStatus}) // Status 0: a clean exit, read as bits
	if s.l.State != messages.Starting || !slices.Equal(s.fails, []string{why}) {
		t.Fatalf("%v, fails %q", s.l.State, s.fails)
	}
	if s.l.LastExit != "no exit_status" {
		t.Errorf("last exit %q", s.l.LastExit)
	}
	if !slices.Contains(s.logs, "child terminated abnormally: "+why) {
		t.Errorf("logs %q", s.logs)
	}
}

package lifecycle

import (
	"github.com/cfk/cfk/messages"
	"strings"
	"syscall"
	"testing"
)

// TestKillLogNamesTheSignalSent: REFERENCE §2.2 logs `NAME still
// alive 2s after SIGTERM: sending SIGKILL` when stopwait_secs pass after
// the stop's signal. With stop_signal=INT the stop sent SIGINT (and a
// watchdog stop SIGABRT, §2.9), yet the line still says "after SIGTERM":
// whoever reads the log is told a signal was sent that never was.
func TestKillLogNamesTheSignalSent(t *testing.T) {
	p := testPolicy()
	p.StopSignal = syscall.SIGINT
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	s.fire() // running
	s.request(Event{Kind: EvStop})
	s.fire() // stopwait: SIGKILL
	all := strings.Join(s.logs, "\n")
	if !strings.Contains(all, "sending SIGKILL") {
		t.Fatalf("no SIGKILL line: %q", s.logs)
	}
	if !strings.Contains(all, "still alive 2s after SIGINT: sending SIGKILL") {
		t.Fatalf("the stop sent SIGINT, the log says otherwise: %q", s.logs)
	}
}

// A direct run that outlives its SIGKILL by stopwait (uninterruptible
// sleep: a hard NFS mount, a stuck FUSE read) is given up as systemd
// does, `fail` with `still alive after SIGKILL`: it stayed `stopping` for
// good, and a shutdown with it. Its exit, if it ever comes, is stale.
func TestProcessOutlivingSIGKILLIsGivenUp(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire() // running
	pid := s.l.Pid
	s.request(Event{Kind: EvStop})
	s.fire() // stopwait: SIGKILL
	if s.l.State != messages.Stopping || s.l.Timer != TimerKillWait {
		t.Fatalf("after SIGKILL: %v, timer %v", s.l.State, s.l.Timer)
	}
	s.fire() // killwait: given up
	if s.l.State != messages.Fail || s.l.FailReason != "still alive after SIGKILL" || s.l.Pid != 0 {
		t.Fatalf("after killwait: %v %q pid %d", s.l.State, s.l.FailReason, s.l.Pid)
	}
	if all := strings.Join(s.logs, "\n"); !strings.Contains(all, "svc still alive 5s after SIGKILL") {
		t.Fatalf("logs %q", s.logs)
	}
	s.feed(Event{Kind: EvExited, Pid: pid, Status: syscall.WaitStatus(9)}) // it dies at last: stale
	if s.l.State != messages.Fail {
		t.Fatalf("the late exit changed the state: %v", s.l.State)
	}
}

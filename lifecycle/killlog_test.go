package lifecycle

import (
	"github.com/cfk/cfk/messages"
	"strings"
	"syscall"
	"testing"
	"time"
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

// A proxy that reports the pid of a start after startwait has stopwait,
// 5 s at least, to do so: with startwait_secs=0.2 and stopwait_secs=0.3
// a proxy slowed by a loaded host (0.6 s to fork) failed the service,
// `proxy did not report the pid`, for good.
func TestSlowProxyHasFiveSecondsToReportThePid(t *testing.T) {
	p := testPolicy()
	p.StartWait, p.StopWait = 200*time.Millisecond, 300*time.Millisecond
	s := newSim(t, p, 1)
	s.proxied = true
	s.request(Event{Kind: EvStart})
	s.fire() // startwait: no pid yet
	if s.l.State != messages.Starting || s.l.Timer != TimerKillWait || s.l.Deadline.Sub(s.now) != killWaitMin {
		t.Fatalf("after startwait without a pid: %v, timer %v in %v", s.l.State, s.l.Timer, s.l.Deadline.Sub(s.now))
	}
	s.now = s.now.Add(time.Second)
	s.report()
	s.fire() // startwait again, from the report
	if s.l.State != messages.Running {
		t.Fatalf("a pid reported 1 s after startwait: %v %q", s.l.State, s.l.FailReason)
	}
	// a proxy that never reports: given up after those 5 s
	s.request(Event{Kind: EvStop})
	for s.l.State.IsUp() && s.fire() {
	}
	s.request(Event{Kind: EvStart})
	s.fire() // startwait
	s.fire() // 5 s more: the proxy is asked, and answers that it is stuck
	if s.l.State != messages.Fail || s.l.FailReason != "proxy did not report the pid" {
		t.Fatalf("a pid never reported: %v %q", s.l.State, s.l.FailReason)
	}
	if all := strings.Join(s.logs, "\n"); !strings.Contains(all, "svc: its proxy did not report the pid (proxy 'p' answered no start for 5s): considered down") {
		t.Fatalf("logs %q", s.logs)
	}
}

// A proxy that preloads an application (10 to 30 s) reads its first
// start line only once loaded, and one forking hundreds of services one
// after another reaches the last ones late: the service, with no pid
// after startwait and killwait, went fail (`proxy did not report the
// pid`) although the proxy was about to run it. Now the proxy is asked:
// while it says it gets on toward the start, the service waits again
// (killwait each time); once it says it does not, or does not answer
// within killwait, the service fails.
func TestProxyGettingOnIsWaitedFor(t *testing.T) {
	p := testPolicy()
	s := newSim(t, p, 1)
	s.proxied = true
	s.proxyMoving = 4
	s.request(Event{Kind: EvStart})
	t0 := s.now
	s.fire() // startwait: no pid
	for i := range 4 {
		s.fire() // killwait: asked, moving
		if s.l.State != messages.Starting || s.l.Timer != TimerKillWait {
			t.Fatalf("ask %d answered moving: %v, timer %v", i+1, s.l.State, s.l.Timer)
		}
	}
	if s.asked != 4 || s.now.Sub(t0) != p.StartWait+4*killWaitMin {
		t.Fatalf("asked %d times in %v", s.asked, s.now.Sub(t0))
	}
	s.report() // loaded at last: startwait from the report
	s.fire()
	if s.l.State != messages.Running {
		t.Fatalf("a pid reported while the proxy got on: %v %q", s.l.State, s.l.FailReason)
	}

	// moving twice, then stuck: fail, the proxy's reason logged
	s.request(Event{Kind: EvStop})
	for s.l.State.IsUp() && s.fire() {
	}
	s.proxyMoving = 2
	s.request(Event{Kind: EvStart})
	for s.l.State == messages.Starting && s.fire() {
	}
	if s.l.State != messages.Fail || s.l.FailReason != "proxy did not report the pid" || s.asked != 7 {
		t.Fatalf("stuck after moving twice: %v %q, asked %d times", s.l.State, s.l.FailReason, s.asked)
	}

	// its actor does not answer (it cannot be, but for an upgrade in
	// place that dropped the ask): fail killwait later
	s.proxySilent = true
	s.request(Event{Kind: EvStart})
	s.fire() // startwait
	s.fire() // killwait: asked
	if s.l.Timer != TimerProxyAnswer {
		t.Fatalf("asked: timer %v", s.l.Timer)
	}
	s.fire()
	if s.l.State != messages.Fail || s.l.FailReason != "proxy did not report the pid" {
		t.Fatalf("no answer: %v %q", s.l.State, s.l.FailReason)
	}
	if all := strings.Join(s.logs, "\n"); !strings.Contains(all, "svc: its proxy did not report the pid (no answer from its proxy in 5s): considered down") {
		t.Fatalf("logs %q", s.logs)
	}
}

// A watchdog stop sends SIGABRT (§2.9); a service that outlives it by
// stopwait_secs gets SIGKILL, and the line named the signal by its
// number: `svc still alive 2s after SIG6: sending SIGKILL`.
func TestKillLogAfterWatchdogNamesSIGABRT(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire() // running
	s.feed(Event{Kind: EvWatchdogTrigger})
	if s.l.State != messages.Stopping || s.l.StopSig != syscall.SIGABRT {
		t.Fatalf("after WATCHDOG=trigger: %+v", s.l)
	}
	s.fire() // stopwait: SIGKILL
	if all := strings.Join(s.logs, "\n"); !strings.Contains(all, "svc still alive 2s after SIGABRT: sending SIGKILL") {
		t.Fatalf("the watchdog sent SIGABRT, the log says otherwise: %q", s.logs)
	}
}

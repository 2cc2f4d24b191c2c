package lifecycle

import (
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// starts counts the launches within d of the first, for a process that
// lives `lives` then exits with status ws each time.
func crashLoop(t *testing.T, p Policy, lives time.Duration, code int, d time.Duration) *sim {
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	end := s.now.Add(d)
	for s.now.Before(end) {
		if s.l.Pid != 0 {
			// the process dies `lives` after its launch, unless a timer
			// (startwait) comes first
			dies := s.launched[len(s.launched)-1].Add(lives)
			if s.l.Timer != TimerNone && s.l.Deadline.Before(dies) {
				s.fire()
				continue
			}
			s.now = dies
			s.exit(exitStatus(code))
			continue
		}
		if !s.fire() {
			break
		}
	}
	n := 0
	for _, at := range s.launched {
		if at.Before(end) {
			n++
		}
	}
	t.Logf("%d starts in %v; state %s, crashes %d", n, d, s.l.State, s.l.Crashes)
	return s
}

func countBefore(s *sim, end time.Time) int {
	n := 0
	for _, at := range s.launched {
		if at.Before(end) {
			n++
		}
	}
	return n
}

// `sh -c "exit 3"`, startwait 0, for 20 s: at most 12 starts (issue 10).
func TestCrashLoopInstantExitStartwait0(t *testing.T) {
	p := testPolicy()
	p.StartWait = 0
	start := time.Unix(1_700_000_000, 0)
	s := crashLoop(t, p, 0, 3, 20*time.Second)
	if n := countBefore(s, start.Add(20*time.Second)); n > 12 || n < 3 {
		t.Fatalf("%d starts in 20 s, want 3..12", n)
	}
}

// `sh -c "sleep 1.2; exit 3"`, startwait 1, for 30 s: at most 8 starts.
func TestCrashLoopAfterStartwait(t *testing.T) {
	p := testPolicy()
	start := time.Unix(1_700_000_000, 0)
	s := crashLoop(t, p, 1200*time.Millisecond, 3, 30*time.Second)
	if n := countBefore(s, start.Add(30*time.Second)); n > 8 || n < 3 {
		t.Fatalf("%d starts in 30 s, want 3..8", n)
	}
}

// The delays double from RestartDelay and stop at RestartMaxDelay.
func TestCrashDelays(t *testing.T) {
	p := testPolicy()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 60 * time.Second, 60 * time.Second}
	for i, w := range want {
		if got := crashDelay(p, i+2); got != w {
			t.Fatalf("crash %d: delay %v, want %v", i+2, got, w)
		}
	}
	if got := crashDelay(p, 1000); got != p.RestartMaxDelay {
		t.Fatalf("crash 1000: %v", got)
	}
}

// A service killed once after running a minute is launched again at once,
// even after a crash loop before (the count was reset).
func TestCrashAfterALongRunIsRestartedAtOnce(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire()      // running
	for range 3 { // three crashes in a row: backoff
		s.exit(signalled(9))
		if s.l.State == messages.Backoff {
			s.fire()
		}
		s.fire() // running again
	}
	if s.l.Crashes != 3 || s.l.Timer != TimerReset {
		t.Fatalf("after 3 crashes: %+v", s.l)
	}
	s.fire() // a minute of running resets the count
	if s.l.Crashes != 0 {
		t.Fatalf("crash count not reset: %+v", s.l)
	}
	n := len(s.launched)
	s.exit(signalled(9))
	if len(s.launched) != n+1 || s.l.State != messages.Starting || !s.launched[n].Equal(s.now) {
		t.Fatalf("not launched again at once: %+v", s.l)
	}
}

// stop during a crash delay: stopped, answered OK, no launch afterwards.
func TestStopDuringCrashDelay(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire()
	s.exit(exitStatus(1)) // first crash: at once
	s.fire()
	s.exit(exitStatus(1)) // second: backoff
	if s.l.State != messages.Backoff {
		t.Fatalf("second crash: %s", s.l.State)
	}
	gen, n := s.l.Gen, len(s.launched)
	req := s.request(Event{Kind: EvStop})
	if s.replies[req] != 1 || s.l.State != messages.Stopped {
		t.Fatalf("stop in backoff: %+v", s.l)
	}
	s.feed(Event{Kind: EvBackoffElapsed, Gen: gen})
	if len(s.launched) != n || s.l.State != messages.Stopped {
		t.Fatalf("launched after the stop: %+v", s.l)
	}
}

// A stop in backoff is a stop (REFERENCE §1.6: it sets stop_time and
// clears start_time), as a stop of a running service is: the status line,
// inspect and cfk_service_start_time_seconds no longer show the start of
// the process that crashed. So does a halt (destroy, shutdown) in backoff.
func TestStopInBackoffClearsStartTime(t *testing.T) {
	for _, ev := range []Event{{Kind: EvStop}, {Kind: EvHalt}} {
		s := newSim(t, testPolicy(), 1)
		s.request(Event{Kind: EvStart})
		s.fire()
		s.exit(exitStatus(1)) // first crash: at once
		s.fire()
		s.exit(exitStatus(1)) // second: backoff
		if s.l.State != messages.Backoff || s.l.StartTime.IsZero() {
			t.Fatalf("second crash: %+v", s.l)
		}
		s.now = s.now.Add(100 * time.Millisecond)
		s.request(ev)
		if s.l.State != messages.Stopped || !s.l.StartTime.IsZero() || !s.l.StopTime.Equal(s.now) {
			t.Fatalf("event %v in backoff: state %s, start_time %v, stop_time %v (now %v)", ev.Kind, s.l.State, s.l.StartTime, s.l.StopTime, s.now)
		}
	}
}

// A failed fork publishes no `starting`: stopped → backoff.
func TestLaunchFailurePublishesNoStarting(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.launchErr = func() (Cause, error) { return CauseExec, errBoom }
	req := s.request(Event{Kind: EvStart})
	if s.l.State != messages.Backoff || s.replies[req] != 1 {
		t.Fatalf("%+v", s.l)
	}
	// leaving backoff publishes backoff → starting, not via stopped
	s.launchErr = nil
	s.fire()
	if s.l.State != messages.Starting {
		t.Fatalf("%+v", s.l)
	}
}

// cfkd's own shortage never spends a retry nor ends fatal.
func TestShortageIsNotTheServicesFailure(t *testing.T) {
	p := testPolicy()
	p.MaxRetries = 2
	s := newSim(t, p, 1)
	s.launchErr = func() (Cause, error) { return CauseShortage, errBoom }
	s.request(Event{Kind: EvStart})
	for range 10 {
		s.fire()
	}
	if s.l.State != messages.Backoff || s.l.Retries != 0 {
		t.Fatalf("%+v", s.l)
	}
	s.launchErr = nil
	s.fire()
	s.fire()
	if s.l.State != messages.Running {
		t.Fatalf("%+v", s.l)
	}
}

// ready_timeout_secs=0 is no bound (as watchdog_secs=0, and systemd's
// TimeoutStartSec=0): it made every start fail at once, `Not ready after
// 0s`. The run stays starting, past startwait, until it is ready.
func TestReadyTimeoutZeroIsNoBound(t *testing.T) {
	p := testPolicy()
	p.Ready, p.ReadyTimeout = true, 0
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	s.fire() // the launch
	for i := 0; i < 3 && s.l.Timer != TimerNone; i++ {
		s.fire() // startwait, and any timer after it: none may fail the run
	}
	if s.l.State != messages.Starting || s.l.Timer != TimerNone {
		t.Fatalf("not ready, ready_timeout_secs=0: state %s, timer %v, last error %q; want starting with no timer", s.l.State, s.l.Timer, s.l.LastError)
	}
	s.feed(Event{Kind: EvReady, Attempt: s.l.Attempt})
	if s.l.State != messages.Running {
		t.Fatalf("ready: state %s, want running", s.l.State)
	}
}

// A start the declaration refuses (a socket not bound, an env_file that
// cannot be read, an unknown user) runs nothing: the service stays
// stopped with no start_time, and inspect's last_error says why. It had
// the refused start's start_time with a stop_time, as if a process had
// run, and no word of why.
func TestStartRefusedByTheDeclaration(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.launchErr = func() (Cause, error) { return CauseConfig, errBoom }
	s.request(Event{Kind: EvStart})
	if s.l.State != messages.Stopped || !s.l.StartTime.IsZero() || s.l.LastError != errBoom.Error() {
		t.Fatalf("start refused: state %s, start_time %v, last_error %q; want stopped, none, %q", s.l.State, s.l.StartTime, s.l.LastError, errBoom)
	}
	if s.l.Launches != 0 {
		t.Fatalf("%d launches", s.l.Launches)
	}
}

// The exit that ends a stop sets stop_time again (REFERENCE §1.6): a
// process that ignores SIGTERM shows the time of its end by SIGKILL,
// stopwait_secs after the stop, not the stop's.
func TestExitAfterStopSetsStopTime(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire()
	s.request(Event{Kind: EvStop})
	stopped := s.now
	if !s.l.StopTime.Equal(stopped) || !s.l.StartTime.IsZero() {
		t.Fatalf("the stop: %+v", s.l)
	}
	s.fire() // stopwait: SIGKILL
	s.exit(syscall.WaitStatus(syscall.SIGKILL))
	if s.l.State != messages.Fail || !s.l.StopTime.Equal(stopped.Add(s.p.StopWait)) || !s.l.StartTime.IsZero() {
		t.Fatalf("the exit %v after the stop: state %s, stop_time %v (the stop at %v)", s.now.Sub(stopped), s.l.State, s.l.StopTime, stopped)
	}
}

// A start the declaration refuses changes neither start_time nor
// stop_time (REFERENCE §2.1): a service never started keeps none, a failed
// one the times of its failure. The refusal set stop_time to now: `status`
// then said the service had stopped, or failed, a second ago.
func TestStartRefusedKeepsTheTimes(t *testing.T) {
	p := testPolicy()
	p.RespawnOnFail = false
	s := newSim(t, p, 1)
	s.launchErr = func() (Cause, error) { return CauseConfig, errBoom }
	s.now = s.now.Add(time.Minute)
	s.request(Event{Kind: EvStart})
	if !s.l.StartTime.IsZero() || !s.l.StopTime.IsZero() {
		t.Fatalf("never started, start refused: start_time %v, stop_time %v; want none", s.l.StartTime, s.l.StopTime)
	}

	s.launchErr = nil
	s.request(Event{Kind: EvStart})
	s.fire() // running
	s.now = s.now.Add(time.Minute)
	s.exit(syscall.WaitStatus(1 << 8))
	started, failed := s.l.StartTime, s.l.StopTime
	if s.l.State != messages.Fail || started.IsZero() || failed.IsZero() {
		t.Fatalf("a run that exited 1: state %s, start_time %v, stop_time %v; want fail with both", s.l.State, started, failed)
	}
	s.now = s.now.Add(time.Minute)
	s.launchErr = func() (Cause, error) { return CauseConfig, errBoom }
	s.request(Event{Kind: EvStart})
	if s.l.State != messages.Fail || !s.l.StartTime.Equal(started) || !s.l.StopTime.Equal(failed) || s.l.LastError != errBoom.Error() {
		t.Fatalf("start refused after a failure: state %s, start_time %v, stop_time %v, last_error %q; want fail, %v, %v, %q",
			s.l.State, s.l.StartTime, s.l.StopTime, s.l.LastError, started, failed, errBoom)
	}
	if !s.l.StartBefore.IsZero() || !s.l.StopBefore.IsZero() {
		t.Fatalf("the times before a launch kept once it is refused: %v, %v", s.l.StartBefore, s.l.StopBefore)
	}
}

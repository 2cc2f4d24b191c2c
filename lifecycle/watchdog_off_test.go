package lifecycle

import (
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// TestWatchdogDisabledWhileRunning: `service NAME watchdog_secs=0` while
// it runs leaves the process alone: the watchdog armed for it, which
// fires later, no longer sends it SIGABRT.
func TestWatchdogDisabledWhileRunning(t *testing.T) {
	p := testPolicy()
	p.Watchdog = 2 * time.Second
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	s.fire()
	if s.l.State != messages.Running || s.l.Timer != TimerWatchdog {
		t.Fatalf("not running with its watchdog: %+v", s.l)
	}
	p.Watchdog = 0 // `service svc watchdog_secs=0`: the running process is left alone
	l, now := s.l, s.now.Add(time.Second)
	l, _ = Next(l, p, Input{Event: Event{Kind: EvWatchdogPing}, Now: now}) // it still pings
	now = l.Deadline
	l, fx := Next(l, p, Input{Event: Event{Kind: l.Timer.Elapsed(), Gen: l.Gen}, Now: now})
	if l.State != messages.Running {
		t.Fatalf("a running service whose watchdog was disabled was stopped: %s, effects %+v", l.State, fx)
	}
}

// TestNextOutOfRangeState: a lifecycle whose state is not one of the
// table's (a state file can say anything; upgrade refuses it, this is the
// second line) is left as it is: no row applies, no panic.
func TestNextOutOfRangeState(t *testing.T) {
	for _, st := range []messages.State{-1, messages.State(len(table))} {
		l := Lifecycle{State: st}
		got, _ := Next(l, Policy{}, Input{Event: Event{Kind: EvStart}})
		if got.State != st {
			t.Fatalf("state %d became %v", st, got.State)
		}
	}
}

// TestProbeStoppedWhenReadySwitchedOff: `service NAME ready=` while it
// starts (a probe running) and it then runs: the probe is stopped. It
// was stopped only if the policy still asked for readiness, so a probe
// that never passed tried on for good.
func TestProbeStoppedWhenReadySwitchedOff(t *testing.T) {
	p := testPolicy()
	p.Ready, p.ReadyTimeout = true, time.Minute
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	if s.l.State != messages.Starting || s.probing == 0 {
		t.Fatalf("not starting with a probe: %+v", s.l)
	}
	s.p.Ready = false
	s.fire() // startwait: running, no readiness asked any more
	if s.l.State != messages.Running || s.probing != 0 {
		t.Fatalf("state %s, probe of attempt %d still running", s.l.State, s.probing)
	}
}

// TestReadySwitchedOnWhileStarting: `service NAME ready=...` while a run
// launched without it starts: that run has no probe (nor NOTIFY_SOCKET),
// so it becomes running at startwait, as it was launched; the next launch
// waits for readiness. It was made to wait for a readiness nobody
// watched, then stopped as `Not ready after 1m0s`.
func TestReadySwitchedOnWhileStarting(t *testing.T) {
	p := testPolicy()
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	if s.l.State != messages.Starting || s.probing != 0 {
		t.Fatalf("not starting without a probe: %+v", s.l)
	}
	s.p.Ready, s.p.ReadyTimeout = true, time.Minute
	s.fire() // startwait
	if s.l.State != messages.Running || s.l.Timer == TimerReady {
		t.Fatalf("a run launched without ready= waits for readiness: %s, timer %v", s.l.State, s.l.Timer)
	}
	s.feed(Event{Kind: EvExited, Pid: s.l.Pid, Status: 0}) // stopped
	s.request(Event{Kind: EvStart})
	if s.l.State != messages.Starting || s.probing == 0 {
		t.Fatalf("the next launch does not watch its readiness: %+v, probe of attempt %d", s.l, s.probing)
	}
}

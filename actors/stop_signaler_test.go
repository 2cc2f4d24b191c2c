package actors

import (
	"sync"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
)

// stopSignaler is the fake launcher, told apart which signals stop a
// process (SignalStop) as cfkd's orphan killer is.
type stopSignaler struct {
	*fakeLauncher
	mu    sync.Mutex
	stops []syscall.Signal
}

func (s *stopSignaler) SignalStop(p *osproc.Process, sig syscall.Signal) error {
	s.mu.Lock()
	s.stops = append(s.stops, sig)
	s.mu.Unlock()
	return s.fakeLauncher.Signal(p, sig)
}

// newStopSignalerRig is a rig whose launcher records what is sent as a
// stop's signal.
func newStopSignalerRig(t *testing.T) (*rig, *stopSignaler) {
	var st *stopSignaler
	r := newRig(t, func(o *Options) {
		st = &stopSignaler{fakeLauncher: o.Launcher.(*fakeLauncher)}
		o.Launcher = st
	})
	return r, st
}

// A stop sends the service's stop_signal through SignalStop, and only it:
// `command signal` is not a stop (REFERENCE §7.5: what a service that cfkd
// stopped left behind is ended, whatever its stop_signal).
func TestStopSignalGoesThroughSignalStop(t *testing.T) {
	t.Parallel()
	r, st := newStopSignalerRig(t)
	pid := r.startRunning("s", "stop_signal=INT")
	r.ok("command signal HUP service s")
	r.fake.waitSignal(t, pid, syscall.SIGHUP)
	r.async("command stop service s")
	r.fake.waitSignal(t, pid, syscall.SIGINT)
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.stops) != 1 || st.stops[0] != syscall.SIGINT {
		t.Fatalf("signals sent as a stop: %v, want [interrupt]", st.stops)
	}
}

// `command signal` of the service's stop_signal goes through SignalStop:
// the run's end by it is a stop (stopped, not started again), so what it
// left is ended as after a stop or a `command signal TERM` (REFERENCE
// §7.5). It went as any signal: with stop_signal=INT, `signal INT` left
// the daemons of a service that ended stopped, and its next start ran a
// second set beside them.
func TestSignalOfTheStopSignalIsAStop(t *testing.T) {
	t.Parallel()
	r, st := newStopSignalerRig(t)
	pid := r.startRunning("s", "stop_signal=INT")
	r.ok("command signal USR1 service s")
	r.fake.waitSignal(t, pid, syscall.SIGUSR1)
	r.ok("command signal INT service s")
	r.fake.waitSignal(t, pid, syscall.SIGINT)
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.stops) != 1 || st.stops[0] != syscall.SIGINT {
		t.Fatalf("signals sent as a stop: %v, want [interrupt] (the stop_signal alone)", st.stops)
	}
}

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

// A stop sends the service's stop_signal through SignalStop, and only it:
// `command signal` is not a stop (REFERENCE §7.5: what a service that cfkd
// stopped left behind is ended, whatever its stop_signal).
func TestStopSignalGoesThroughSignalStop(t *testing.T) {
	t.Parallel()
	var st *stopSignaler
	r := newRig(t, func(o *Options) {
		st = &stopSignaler{fakeLauncher: o.Launcher.(*fakeLauncher)}
		o.Launcher = st
	})
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

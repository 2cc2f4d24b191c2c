package lifecycle

import (
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// restart_reset_secs raised on a run after crashes (an apply takes it in
// place, REFERENCE §1.4, §2.9) holds for that run: the reset timer armed
// at its running with the former value does not set the crash count to 0
// before the run has lasted the new one, so that its next crash is not a
// first one launched again at once. A value lowered holds at its end.
func TestRestartResetRaisedInPlace(t *testing.T) {
	p := testPolicy()
	p.RestartReset = 10 * time.Second
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	s.fire() // startwait: running
	s.exit(exitStatus(3))
	s.fire() // the first crash is launched again at once: running
	if s.l.State != messages.Running || s.l.Crashes != 1 || s.l.Timer != TimerReset {
		t.Fatalf("after a crash: %s, crashes %d, timer %v; want running, 1, the reset's", s.l.State, s.l.Crashes, s.l.Timer)
	}
	s.p.RestartReset = 100 * time.Second // in place
	ran := s.now
	s.fire()
	if s.l.Crashes != 1 {
		t.Fatalf("after %v of the run: crashes %d, want 1 (restart_reset_secs is 100 now)", s.now.Sub(ran), s.l.Crashes)
	}
	s.now = ran.Add(20 * time.Second)
	s.exit(exitStatus(3))
	if s.l.State != messages.Backoff || s.l.Crashes != 2 {
		t.Fatalf("a crash after 20 s: %s, crashes %d; want backoff, 2", s.l.State, s.l.Crashes)
	}
	// the reset comes once the run lasted the value of then
	s.p.RestartReset = 30 * time.Second
	s.fire() // the backoff: launched
	s.fire() // startwait: running
	ran = s.now
	for s.l.Crashes != 0 && s.fire() {
	}
	if d := s.now.Sub(ran); s.l.Crashes != 0 || d != 30*time.Second {
		t.Fatalf("crashes %d after %v of running, want 0 after 30s", s.l.Crashes, d)
	}
}

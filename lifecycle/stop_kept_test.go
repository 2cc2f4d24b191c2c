package lifecycle

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// A stop under way keeps the signal it sent and its stopwait, whatever is
// declared since (REFERENCE §2.9, when a change applies): with
// stop_signal=INT changed to QUIT while the stop waited, its end by SIGINT
// was taken for a failure (`fail`, `Received signal 2`) instead of the
// stop it was, and with stopwait_secs changed the SIGKILL line named the
// new signal and period (`still alive 10s after SIGQUIT` 2 s after a
// SIGINT).
func TestStopKeepsItsSignalAndWait(t *testing.T) {
	p := testPolicy()
	p.StopSignal = syscall.SIGINT
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	s.fire() // running
	s.request(Event{Kind: EvStop})
	s.p.StopSignal, s.p.StopWait = syscall.SIGQUIT, 10*time.Second // declared meanwhile
	s.fire()                                                       // stopwait: SIGKILL
	if all := strings.Join(s.logs, "\n"); !strings.Contains(all, "still alive 2s after SIGINT: sending SIGKILL") {
		t.Fatalf("the stop sent SIGINT 2 s before, the log says otherwise: %q", s.logs)
	}
	s.exit(syscall.WaitStatus(syscall.SIGINT)) // it ends by the SIGINT after all
	if s.l.State != messages.Stopped || s.l.FailReason != "" {
		t.Fatalf("ended by the stop's SIGINT: %v %q, want stopped", s.l.State, s.l.FailReason)
	}
	// the next stop sends what is declared then
	s.request(Event{Kind: EvStart})
	s.fire()
	s.request(Event{Kind: EvStop})
	s.exit(syscall.WaitStatus(syscall.SIGINT)) // no longer the stop's signal
	if s.l.State != messages.Fail || s.l.FailReason != "Received signal 2" {
		t.Fatalf("ended by SIGINT once stop_signal is QUIT: %v %q, want fail", s.l.State, s.l.FailReason)
	}
}

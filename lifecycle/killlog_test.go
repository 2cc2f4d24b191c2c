package lifecycle

import (
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

package lifecycle

import (
	"errors"
	"slices"
	"testing"

	"github.com/cfk/cfk/messages"
)

// REFERENCE §4.5: a start that does not reach its proxy (a noauto proxy
// that is down, a launch that failed, a start line too long, a socket
// bound after the proxy's launch) fails with that reason, and the log
// says so without blaming the proxy process, which never saw the start:
// it said `svc: the proxy refused to start it: Proxy is not running, not
// starting service 'svc'`.
func TestProxyRefusedLog(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.proxied = true
	s.request(Event{Kind: EvStart})
	s.pending = 0 // the proxy made no process
	reason := errors.New("Proxy is not running, not starting service 'svc'")
	s.feed(Event{Kind: EvProxyRefused, Attempt: s.l.Attempt, Err: reason})
	if s.l.State != messages.Fail || s.l.FailReason != reason.Error() {
		t.Fatalf("refused: %v %q", s.l.State, s.l.FailReason)
	}
	want := "svc: cannot start under its proxy: " + reason.Error()
	if !slices.Contains(s.logs, want) {
		t.Fatalf("logs %q, want %q", s.logs, want)
	}
}

package ctl

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/protocol"
)

// A stream whose line never ends (an address that is not cfkd's: a
// service that writes without line breaks) fails once the line is past
// protocol.MaxReplyLine: read whole, it grew cfkctl's memory by hundreds
// of MiB a second until it was killed, and cfkctl never returned.
func TestStreamLineWithoutEndIsBounded(t *testing.T) {
	// 4 times the bound, no "\n", and the connection held open
	f := newFakeServer(t, map[string]string{"command events all": strings.Repeat("x", 4*protocol.MaxReplyLine)})
	done := make(chan result, 1)
	go func() {
		done <- runCtl(t, f, runCfg{}, "events")
	}()
	select {
	case r := <-done:
		if r.code != 1 || !strings.Contains(r.stderr, protocol.ErrReplyLineTooLong.Error()) {
			t.Fatalf("cfkctl events: code %d, stderr %q; want 1 and %q", r.code, r.stderr, protocol.ErrReplyLineTooLong)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("cfkctl events did not return within 20s of a line that never ends")
	}
}

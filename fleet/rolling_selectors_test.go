package fleet

import (
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// TestRollingHostsSeveralSelectors: a rolling restart of two
// selectors runs `rollingrestart SEL` twice on each host, each answering
// `done 1`: every host succeeded, so every host must be restarted
// (REFERENCE §12.3: the next host once the previous one answered OK with
// nothing but `done N`). The hub stops after the first host and skips
// the others.
func TestRollingHostsSeveralSelectors(t *testing.T) {
	tf := newTestFleet(t, "web1", "web2", "web3")
	for _, l := range tf.locals {
		l.delay = 10 * time.Millisecond
	}
	lines, out := outcomes(t, tf.ask("command fleet rolling-hosts restart service svc1 service svc2"))
	for _, h := range []string{"web1", "web2", "web3"} {
		if out[h].Kind != messages.FleetOK {
			t.Errorf("%s: %+v (lines %q), want ok: every host answered `done 1` to each of its two lines", h, out[h], lines[h])
		}
	}
	if a := tf.locals[2].askedVerbs(); len(a) != 2 {
		t.Errorf("web3 was asked %q, want its two rolling restarts", a)
	}
}

package fleet

import (
	"errors"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// TestRollingHostsSeveralSelectors: a rolling restart of two selectors
// runs one `rollingrestart SEL SEL` on each host (REFERENCE §12.3), and
// on a host that takes one selector a request (an older cfkd, which
// refuses several with the original's selector error) `rollingrestart
// SEL` twice, each answering `done 1`: every host succeeded, so every
// host must be restarted (the next host once the previous one answered
// OK with nothing but `done N`). The hub stopped after the first host
// and skipped the others.
func TestRollingHostsSeveralSelectors(t *testing.T) {
	for _, old := range []bool{false, true} {
		tf := newTestFleet(t, "web1", "web2", "web3")
		for _, l := range tf.locals {
			l.delay = 10 * time.Millisecond
			l.answer = func(c messages.ControlCommand) messages.Reply {
				if old && len(c.More) > 0 {
					return messages.ErrorReply(errors.New("service selector takes exactly 1 argument: name"))
				}
				if c.Verb != messages.VerbRollingRestart {
					return messages.ErrorReply(errors.New("not a rolling restart"))
				}
				return messages.Reply{Lines: []string{"done 1"}}
			}
		}
		lines, out := outcomes(t, tf.ask("command fleet rolling-hosts restart service svc1 service svc2"))
		for _, h := range []string{"web1", "web2", "web3"} {
			if out[h].Kind != messages.FleetOK {
				t.Errorf("old %v: %s: %+v (lines %q), want ok: every host answered `done 1` to each of its lines", old, h, out[h], lines[h])
			}
		}
		want := 1
		if old {
			want = 3 // refused, then one a selector
		}
		if a := tf.locals[2].askedVerbs(); len(a) != want {
			t.Errorf("old %v: web3 was asked %q, want %d requests", old, a, want)
		}
	}
}

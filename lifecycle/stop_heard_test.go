package lifecycle

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// REFERENCE §4.5, rows `stop before pid` and `proxy stop heard`: a stop of
// a proxied start whose pid the proxy has not reported is answered once
// the proxy actor has handled it, not before: when it dropped the start
// it held (or took its line back), its refusal comes first and the stop
// is answered after `stopped` is published; when it wrote the stop line,
// the stop is answered `stopping`. A stop that came with the pid known is
// answered at once, as a direct service's.
func TestStopBeforePidAnsweredOnceHeard(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.proxied = true
	s.request(Event{Kind: EvStart})

	// the start held by the proxy: dropped, refused, then heard
	req := s.request(Event{Kind: EvStop})
	if s.l.State != messages.Stopping || s.replies[req] != 0 {
		t.Fatalf("stop before the pid: %v, answered %d times before the proxy heard it", s.l.State, s.replies[req])
	}
	s.pending = 0
	s.feed(Event{Kind: EvProxyRefused, Attempt: s.l.Attempt, Err: errors.New("stopped before proxy 'p' ran it")})
	if s.l.State != messages.Stopped || s.replies[req] != 1 || s.errs[req] != nil {
		t.Fatalf("dropped: %v, answered %d times (%v)", s.l.State, s.replies[req], s.errs[req])
	}
	pub, rep := slices.Index(s.history, "    -> lifecycle.Publish {From:stopping To:stopped Reason: Pid:0}"),
		slices.Index(s.history, fmt.Sprintf("    -> lifecycle.Reply {Req:%d Err:<nil> Idle:false}", req))
	if pub < 0 || rep < pub {
		t.Fatalf("the stop answered before stopped was published:\n%s", strings.Join(s.history, "\n"))
	}
	s.feed(Event{Kind: EvProxyStopHeard, Attempt: s.l.Attempt}) // then heard: nothing more
	if s.replies[req] != 1 {
		t.Fatalf("answered %d times", s.replies[req])
	}

	// the start line written: heard, answered stopping
	s.request(Event{Kind: EvStart})
	req = s.request(Event{Kind: EvStop})
	s.feed(Event{Kind: EvProxyStopHeard, Attempt: s.l.Attempt - 1}) // a former attempt's
	if s.replies[req] != 0 {
		t.Fatalf("answered by a former attempt's")
	}
	s.feed(Event{Kind: EvProxyStopHeard, Attempt: s.l.Attempt})
	if s.l.State != messages.Stopping || s.replies[req] != 1 {
		t.Fatalf("heard: %v, answered %d times", s.l.State, s.replies[req])
	}

	// with the pid known: at once
	s.l = Lifecycle{}
	s.published = messages.Stopped
	s.request(Event{Kind: EvStart})
	s.report()
	req = s.request(Event{Kind: EvStop})
	if s.l.State != messages.Stopping || s.replies[req] != 1 {
		t.Fatalf("with a pid: %v, answered %d times", s.l.State, s.replies[req])
	}
}

package lifecycle

import (
	"reflect"
	"slices"
	"testing"

	"github.com/cfk/cfk/messages"
)

// REFERENCE §2.7, row `killed` of (every state, pid given up), §4.5: a
// pid a proxy reports for a start the service gave up (an earlier
// attempt, or the current one once the service is down and has left its
// proxy) is killed through the handle of the report, whatever the state,
// and changes nothing else. The decision was the service actor's, before
// the table (Service.pidReported): the table had no row for it.
func TestPidReportedForAStartGivenUp(t *testing.T) {
	for _, st := range allStates {
		for _, earlier := range []bool{true, false} {
			s := reach(t, st, true)
			attempt := s.l.Attempt
			if earlier {
				attempt--
			} else if s.l.State.IsUp() {
				continue // the current attempt's: the run's pid (pid known, killed → stopped)
			}
			if attempt == 0 {
				continue // stopped, never launched: no earlier start
			}
			before := s.l
			l, fx := Next(s.l, s.p, Input{Event: Event{Kind: EvPidReported, Attempt: attempt, Pid: 4242, By: "p"}, Now: s.now})
			want := []Effect{KillGivenUp{Attempt: attempt, Pid: 4242}}
			if !reflect.DeepEqual(fx, want) {
				t.Errorf("%s, earlier attempt %v: effects %+v, want %+v", st, earlier, fx, want)
			}
			if !reflect.DeepEqual(l, before) {
				t.Errorf("%s, earlier attempt %v: the lifecycle changed:\n  %+v\n  %+v", st, earlier, before, l)
			}
		}
	}
}

// A pid given up is not deferred behind a launch's outcome (the attempt
// awaited is a new one: that pid is no run's, whatever comes next), nor
// behind a restart's check; the run's pid, reported during that check,
// waits for it, then is the table's as it comes (here after the stop).
func TestPidGivenUpIsNotDeferred(t *testing.T) {
	s := reach(t, messages.Running, true)
	s.request(Event{Kind: EvStop})
	s.exit(signalled(15))
	old := s.l.Attempt
	s.async = true
	s.request(Event{Kind: EvStart}) // its outcome comes later
	if s.l.Launching == 0 {
		t.Fatal("no launch awaited")
	}
	l, fx := Next(s.l, s.p, Input{Event: Event{Kind: EvPidReported, Attempt: old, Pid: 4242}, Now: s.now})
	if want := []Effect{KillGivenUp{Attempt: old, Pid: 4242}}; !reflect.DeepEqual(fx, want) || len(l.Deferred) != 0 {
		t.Fatalf("during a launch: effects %+v, deferred %+v", fx, l.Deferred)
	}
	s.settle()

	// a restart's check under way: the run's pid waits, and is held once
	// the check is answered
	s = newSim(t, testPolicy(), 1)
	s.proxied, s.async = true, true
	s.request(Event{Kind: EvStart})
	s.settle()
	s.request(Event{Kind: EvRestart})
	if s.l.Checking == 0 {
		t.Fatal("no check awaited")
	}
	pid := s.pending
	s.feed(Event{Kind: EvPidReported, Attempt: s.l.Attempt, Pid: pid})
	if len(s.l.Deferred) != 1 || len(s.givenUp) != 0 {
		t.Fatalf("the run's pid during a check: deferred %+v, given up %+v", s.l.Deferred, s.givenUp)
	}
	// checked: the restart stops the start, then its pid comes (pid
	// after the stop): held, killed, and the restart launches again
	s.settle()
	if s.l.State != messages.Stopped || s.l.Launching != s.l.Attempt || !slices.Contains(s.kills, pid) || len(s.givenUp) != 0 {
		t.Fatalf("after the check: %v launching %d, kills %v, given up %+v", s.l.State, s.l.Launching, s.kills, s.givenUp)
	}
}

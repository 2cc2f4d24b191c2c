package lifecycle

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// errCancelled is osproc's ErrCancelled, as the executor feeds it.
var errCancelled = errors.New("cfkd is shutting down")

// REFERENCE §7.4: a start that cfkd's shutdown cancelled before its fork
// (it waited for a fork slot) ends stopped: not backoff nor fatal, not
// counted, no `Could not start` error logged, its start answered with
// why, and the shutdown that waited behind the launch finds it down. (It
// was a failed start: backoff, and the process of the launch after it,
// forked during the shutdown, was killed at once.)
func TestLaunchCancelledEndsStopped(t *testing.T) {
	for _, from := range []messages.State{messages.Stopped, messages.Backoff, messages.Fail} {
		t.Run(from.String(), func(t *testing.T) {
			s := reach(t, from, false)
			retries, crashes := s.l.Retries, s.l.Crashes
			startTime, stopTime := s.l.StartTime, s.l.StopTime
			warns, fails := len(s.warns), len(s.fails) // reaching fail or backoff's
			// the launch waits for its fork slot, then is cancelled
			s.async = true
			s.launchErr = func() (Cause, error) { return CauseCancelled, errCancelled }
			var start messages.RequestID
			if from == messages.Backoff {
				s.fire() // its retry
			} else {
				start = s.request(Event{Kind: EvStart})
			}
			if s.l.Launching == 0 {
				t.Fatalf("no launch under way: %+v", s.l)
			}
			if rt := s.l.Runtime("svc", "cmd"); rt.State != messages.Starting {
				t.Fatalf("shown %s while the launch waits, want starting", rt.State)
			}
			halt := s.request(Event{Kind: EvHalt}) // the shutdown: deferred behind the launch
			if s.replies[halt] != 0 {
				t.Fatal("the shutdown was answered before the launch's outcome")
			}
			if !s.settle() {
				t.Fatal("no launch outcome due")
			}
			if s.l.State != messages.Stopped || s.published != messages.Stopped {
				t.Fatalf("state %s (published %s), want stopped:\n%s", s.l.State, s.published, strings.Join(s.history, "\n"))
			}
			if s.l.Retries != retries || s.l.Crashes != crashes {
				t.Errorf("retries %d, crashes %d; want %d, %d (not counted)", s.l.Retries, s.l.Crashes, retries, crashes)
			}
			if s.l.Launching != 0 || s.l.Timer != TimerNone || len(s.l.Deferred) != 0 || len(s.l.Waiters) != 0 {
				t.Errorf("left behind: %+v", s.l)
			}
			if len(s.warns) != warns || len(s.fails) != fails {
				t.Errorf("recorded as a failure: warns %q, fails %q", s.warns[warns:], s.fails[fails:])
			}
			if len(s.logs) == 0 || s.logs[len(s.logs)-1] != "svc: not started: cfkd is shutting down" {
				t.Errorf("logs %q, want the last `svc: not started: cfkd is shutting down`", s.logs)
			}
			if s.replies[halt] != 1 || s.errs[halt] != nil {
				t.Errorf("the shutdown answered %d times, %v; want once, OK", s.replies[halt], s.errs[halt])
			}
			if start != 0 {
				if err := s.errs[start]; s.replies[start] != 1 || !errors.Is(err, errCancelled) || err.Error() != "Service 'svc' was not started: cfkd is shutting down" {
					t.Errorf("the start answered %d times, %v", s.replies[start], err)
				}
			}
			if from == messages.Backoff {
				if !s.l.StartTime.IsZero() || !s.l.StopTime.Equal(s.now) {
					t.Errorf("start_time %v, stop_time %v: want none, and now (a backoff ended)", s.l.StartTime, s.l.StopTime)
				}
			} else if !s.l.StartTime.Equal(startTime) || !s.l.StopTime.Equal(stopTime) {
				t.Errorf("start_time %v, stop_time %v: want those before, %v and %v (nothing ran)", s.l.StartTime, s.l.StopTime, startTime, stopTime)
			}
		})
	}
}

// REFERENCE §7.4: the start of a proxied service that cfkd's shutdown
// cancelled before it reached the proxy's process (the auto proxy's
// launch cancelled before its fork, or the proxy halted) ends stopped,
// no error logged: it was the proxy's refusal, `fail` with an ERROR
// record. The shutdown's halt, which
// comes after, finds it down.
func TestProxyCancelledEndsStopped(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.proxied = true
	start := s.request(Event{Kind: EvStart})
	if s.l.State != messages.Starting {
		t.Fatalf("state %s, want starting", s.l.State)
	}
	fails := len(s.fails)
	why := fmt.Errorf("Proxy 'p' can't run: %w", errCancelled)
	s.feed(Event{Kind: EvProxyCancelled, Attempt: s.l.Attempt, Err: why})
	if s.l.State != messages.Stopped || s.published != messages.Stopped {
		t.Fatalf("state %s (published %s), want stopped:\n%s", s.l.State, s.published, strings.Join(s.history, "\n"))
	}
	if len(s.fails) != fails {
		t.Errorf("recorded as a failure: %q", s.fails[fails:])
	}
	if len(s.logs) == 0 || s.logs[len(s.logs)-1] != "svc: not started: Proxy 'p' can't run: cfkd is shutting down" {
		t.Errorf("logs %q", s.logs)
	}
	if s.replies[start] != 1 { // at once, as a proxied start is
		t.Errorf("the start answered %d times", s.replies[start])
	}
	halt := s.request(Event{Kind: EvHalt})
	if s.replies[halt] != 1 || s.errs[halt] != nil {
		t.Errorf("the shutdown answered %d times, %v; want once, OK", s.replies[halt], s.errs[halt])
	}
}

// REFERENCE §4.5: a launch under a proxy whose env_file read or user
// lookup a proxydown of that proxy cancelled (CauseProxyDown) is `launch
// cancelled` as the shutdown's: stopped, not counted, its start answered
// why; its record is not counted for the shutdown's line (§7.4).
func TestLaunchCancelledByProxydown(t *testing.T) {
	for _, cause := range []Cause{CauseCancelled, CauseProxyDown} {
		s := reach(t, messages.Stopped, false)
		s.async = true
		err := fmt.Errorf("proxy 'p' was shut down")
		s.launchErr = func() (Cause, error) { return cause, err }
		start := s.request(Event{Kind: EvStart})
		if !s.settle() {
			t.Fatal("no launch outcome due")
		}
		if s.l.State != messages.Stopped || s.l.Retries != 0 || len(s.warns) != 0 {
			t.Fatalf("cause %d: state %s, retries %d, warns %q; want stopped, none", cause, s.l.State, s.l.Retries, s.warns)
		}
		if got := s.errs[start]; got == nil || got.Error() != "Service 'svc' was not started: proxy 'p' was shut down" {
			t.Errorf("cause %d: the start answered %v", cause, got)
		}
		if n := len(s.logs); n == 0 || s.logs[n-1] != "svc: not started: proxy 'p' was shut down" {
			t.Errorf("cause %d: logs %q", cause, s.logs)
		}
		if want := map[Cause]int{CauseCancelled: 1, CauseProxyDown: 0}[cause]; s.counted != want {
			t.Errorf("cause %d: %d records counted for the shutdown, want %d", cause, s.counted, want)
		}
	}
}

package lifecycle

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

func readyPolicy() Policy {
	p := testPolicy()
	p.Ready, p.ReadyTimeout = true, 10*time.Second
	return p
}

// Ready before startwait is over: running once it is.
func TestReadyBeforeStartwait(t *testing.T) {
	s := newSim(t, readyPolicy(), 1)
	s.request(Event{Kind: EvStart})
	if s.probing == 0 {
		t.Fatal("no probe")
	}
	s.feed(Event{Kind: EvReady, Attempt: s.l.Attempt})
	if s.l.State != messages.Starting || !s.l.Ready {
		t.Fatalf("%+v", s.l)
	}
	s.fire()
	if s.l.State != messages.Running || s.probing != 0 {
		t.Fatalf("%+v", s.l)
	}
}

// Ready after startwait: running then, not before.
func TestReadyAfterStartwait(t *testing.T) {
	s := newSim(t, readyPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire() // startwait: not ready, the ready timeout is armed
	if s.l.State != messages.Starting || s.l.Timer != TimerReady || !s.l.Deadline.Equal(s.l.StartTime.Add(10*time.Second)) {
		t.Fatalf("%+v", s.l)
	}
	s.now = s.now.Add(3 * time.Second)
	s.feed(Event{Kind: EvReady, Attempt: s.l.Attempt - 1}) // an earlier run's: stale
	if s.l.State != messages.Starting {
		t.Fatalf("a stale ready counted: %+v", s.l)
	}
	s.feed(Event{Kind: EvReady, Attempt: s.l.Attempt})
	if s.l.State != messages.Running || s.l.Timer != TimerNone {
		t.Fatalf("%+v", s.l)
	}
}

// Not ready in time: stopped, then a failed start with the reason; the
// retry probes again.
func TestNotReadyInTime(t *testing.T) {
	s := newSim(t, readyPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire() // startwait
	s.fire() // the ready timeout
	if s.l.State != messages.Stopping || s.l.EndReason != "Not ready after 10s" {
		t.Fatalf("%+v", s.l)
	}
	s.exit(signalled(15))
	if s.l.State != messages.Backoff || s.l.Retries != 1 {
		t.Fatalf("%+v", s.l)
	}
	if !strings.Contains(strings.Join(s.logs, "\n"), "svc failed during start-up (Not ready after 10s)") {
		t.Fatalf("log %q", s.logs)
	}
	s.fire() // the retry
	if s.l.State != messages.Starting || s.probing == 0 || s.l.EndReason != "" {
		t.Fatalf("%+v", s.l)
	}
}

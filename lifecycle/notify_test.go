package lifecycle

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// REFERENCE §2.9: EXTEND_TIMEOUT_USEC=N while not ready moves the ready
// timeout to N from now at the earliest, never sooner, also when sent
// during startwait; the failed start's reason says it was extended.
func TestExtendTimeoutWhileStarting(t *testing.T) {
	s := newSim(t, readyPolicy(), 1) // startwait 1 s, ready_timeout 10 s
	s.request(Event{Kind: EvStart})
	launched := s.l.StartTime
	s.now = s.now.Add(500 * time.Millisecond)
	s.feed(Event{Kind: EvExtendTimeout, Extend: 30 * time.Second}) // during startwait
	s.fire()                                                       // startwait
	if s.l.Timer != TimerReady || !s.l.Deadline.Equal(launched.Add(30500*time.Millisecond)) {
		t.Fatalf("at startwait: %+v, want the ready timeout at 30.5s", s.l)
	}
	s.now = launched.Add(25 * time.Second)
	s.feed(Event{Kind: EvExtendTimeout, Extend: 20 * time.Second})
	if !s.l.Deadline.Equal(launched.Add(45 * time.Second)) {
		t.Fatalf("extended: %+v, want the ready timeout at 45s", s.l)
	}
	s.feed(Event{Kind: EvExtendTimeout, Extend: time.Second}) // never sooner
	if !s.l.Deadline.Equal(launched.Add(45 * time.Second)) {
		t.Fatalf("shortened: %+v", s.l)
	}
	s.fire()
	if s.l.State != messages.Stopping || s.l.End != EndNotReady || !s.now.Equal(launched.Add(45*time.Second)) {
		t.Fatalf("%+v", s.l)
	}
	s.exit(signalled(15))
	want := "Not ready after 45s (ready_timeout_secs 10s, extended by EXTEND_TIMEOUT_USEC)"
	if s.l.State != messages.Backoff || s.l.Retries != 1 || s.l.LastError != want {
		t.Fatalf("%+v, want backoff with %q", s.l, want)
	}
	s.fire() // the retry: a new run has its own ready timeout
	if s.l.State != messages.Starting || s.l.Extended != 0 {
		t.Fatalf("retry: %+v", s.l)
	}
	s.fire()
	if s.l.Timer != TimerReady || !s.l.Deadline.Equal(s.l.StartTime.Add(10*time.Second)) {
		t.Fatalf("retry at startwait: %+v, want the ready timeout at 10s", s.l)
	}
}

// EXTEND_TIMEOUT_USEC changes nothing where no timeout counts: ready
// already, no ready_timeout_secs (no bound), running.
func TestExtendTimeoutIgnored(t *testing.T) {
	p := readyPolicy()
	p.ReadyTimeout = 0
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	s.feed(Event{Kind: EvExtendTimeout, Extend: time.Minute})
	s.fire()
	if s.l.State != messages.Starting || s.l.Timer != TimerNone || s.l.Extended != 0 {
		t.Fatalf("without a ready timeout: %+v", s.l)
	}
	s.feed(Event{Kind: EvReady, Attempt: s.l.Attempt})
	before := s.l
	s.feed(Event{Kind: EvExtendTimeout, Extend: time.Minute})
	if s.l.State != messages.Running || s.l.Gen != before.Gen || s.l.Timer != before.Timer {
		t.Fatalf("running: %+v", s.l)
	}
}

// REFERENCE §2.9: EXTEND_TIMEOUT_USEC=N while the stop signal waits
// delays the SIGKILL to N from now at the earliest; the SIGKILL line
// says how long it waited.
func TestExtendTimeoutWhileStopping(t *testing.T) {
	s := newSim(t, testPolicy(), 1) // stopwait 2 s
	s.request(Event{Kind: EvStart})
	s.fire() // running
	s.request(Event{Kind: EvStop})
	stopped := s.now
	s.now = s.now.Add(time.Second)
	s.feed(Event{Kind: EvExtendTimeout, Extend: 30 * time.Second})
	if s.l.Timer != TimerStopWait || !s.l.Deadline.Equal(stopped.Add(31*time.Second)) {
		t.Fatalf("%+v, want SIGKILL 31s after the stop", s.l)
	}
	s.fire()
	if s.l.Timer != TimerKillWait || !strings.Contains(strings.Join(s.logs, "\n"), "svc still alive 31s after SIGTERM: sending SIGKILL") {
		t.Fatalf("%+v, log %q", s.l, s.logs)
	}
}

// REFERENCE §2.9: WATCHDOG=trigger ends a running service by SIGABRT as
// a crash (`Watchdog request`), with or without watchdog_secs, as
// systemd does; it is started again as after a first crash.
func TestWatchdogTriggerRunning(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire() // running
	n := len(s.launched)
	s.feed(Event{Kind: EvWatchdogTrigger})
	if s.l.State != messages.Stopping || s.l.End != EndTriggered || s.l.StopSig != 6 {
		t.Fatalf("%+v", s.l)
	}
	s.exit(signalled(6))
	if s.l.State != messages.Starting || len(s.launched) != n+1 || s.l.Crashes != 1 {
		t.Fatalf("not restarted as after a first crash: %+v", s.l)
	}
	if len(s.fails) != 1 || s.fails[0] != "Watchdog request" {
		t.Fatalf("fail reasons %q, want Watchdog request", s.fails)
	}
	if !strings.Contains(strings.Join(s.logs, "\n"), "svc: Watchdog request (WATCHDOG=trigger): sending SIGABRT") {
		t.Fatalf("log %q", s.logs)
	}
}

// WATCHDOG=trigger while starting is a failed start: backoff, counted.
func TestWatchdogTriggerStarting(t *testing.T) {
	s := newSim(t, readyPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.feed(Event{Kind: EvWatchdogTrigger})
	if s.l.State != messages.Stopping || s.l.End != EndTriggeredStart {
		t.Fatalf("%+v", s.l)
	}
	s.exit(signalled(6))
	if s.l.State != messages.Backoff || s.l.Retries != 1 || s.l.LastError != "Watchdog request" {
		t.Fatalf("%+v, want backoff with Watchdog request", s.l)
	}
}

// The SIGKILL line after an EXTEND_TIMEOUT_USEC says how long the stop
// waited to the millisecond, as the extended ready timeout's reason
// does: the datagram comes at any nanosecond.
func TestExtendTimeoutKillLineInMilliseconds(t *testing.T) {
	s := newSim(t, testPolicy(), 1) // stopwait 2 s
	s.request(Event{Kind: EvStart})
	s.fire() // running
	s.request(Event{Kind: EvStop})
	s.now = s.now.Add(1234567891 * time.Nanosecond)
	s.feed(Event{Kind: EvExtendTimeout, Extend: 3 * time.Second})
	s.fire()
	if logs := strings.Join(s.logs, "\n"); !strings.Contains(logs, "svc still alive 4.235s after SIGTERM: sending SIGKILL") {
		t.Fatalf("log %q", s.logs)
	}
}

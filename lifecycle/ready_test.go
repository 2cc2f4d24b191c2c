package lifecycle

import (
	"encoding/json"
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
	if s.l.State != messages.Stopping || s.l.End != EndNotReady {
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
	if s.l.State != messages.Starting || s.probing == 0 || s.l.End != EndNone {
		t.Fatalf("%+v", s.l)
	}
}

// A running service with a watchdog that stops pinging is ended with
// SIGABRT and handled as a crash: launched again at once the first time.
func TestWatchdog(t *testing.T) {
	p := testPolicy()
	p.Watchdog = 2 * time.Second
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	s.fire() // running: the watchdog is armed
	if s.l.State != messages.Running || s.l.Timer != TimerWatchdog {
		t.Fatalf("%+v", s.l)
	}
	for range 3 { // pings keep it alive
		s.now = s.now.Add(time.Second)
		s.feed(Event{Kind: EvWatchdogPing})
	}
	if !s.l.Deadline.Equal(s.now.Add(2 * time.Second)) {
		t.Fatalf("not re-armed: %+v", s.l)
	}
	n := len(s.launched)
	s.fire() // no more pings
	if s.l.State != messages.Stopping || s.l.End != EndWatchdog {
		t.Fatalf("%+v", s.l)
	}
	s.exit(signalled(6))
	if s.l.State != messages.Starting || len(s.launched) != n+1 || s.l.Crashes != 1 {
		t.Fatalf("not restarted as after a first crash: %+v", s.l)
	}
	if !strings.Contains(strings.Join(s.logs, "\n"), "svc: Watchdog timeout after 2s: sending SIGABRT") {
		t.Fatalf("log %q", s.logs)
	}
}

// A ready_timeout_secs shorter than startwait_secs is checked at
// startwait_secs, not before (REFERENCE §2.9): the run must live
// startwait_secs anyway; the reason names the ready timeout.
func TestReadyTimeoutShorterThanStartwait(t *testing.T) {
	p := readyPolicy()
	p.StartWait, p.ReadyTimeout = 3*time.Second, time.Second
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	launched := s.l.StartTime
	if s.l.Timer != TimerStartWait || !s.l.Deadline.Equal(launched.Add(3*time.Second)) {
		t.Fatalf("after the launch: %+v, want startwait armed for 3s", s.l)
	}
	s.fire() // startwait: not ready, and past the ready timeout already
	if s.l.State != messages.Starting || s.l.Timer != TimerReady || !s.l.Deadline.Equal(s.now) {
		t.Fatalf("at startwait: %+v, want the ready timeout due at once", s.l)
	}
	s.fire()
	if s.l.State != messages.Stopping || s.l.End != EndNotReady || !s.now.Equal(launched.Add(3*time.Second)) {
		t.Fatalf("%+v at %v after the launch, want stopping as not ready 3s after it", s.l, s.now.Sub(launched))
	}
}

// A proxied run's ready timeout counts from the report of its pid
// (REFERENCE §2.9): a proxy that preloads an application, or forks
// hundreds of services, reports it late, and that wait has its own bounds
// (§4.5). Counted from the start line, a proxy that took longer than
// ready_timeout_secs to load ended every run at startwait after its pid,
// `Not ready after 10s` for a process that had lived startwait_secs, and
// the retries (the proxy loading again each time) ended fatal.
func TestProxiedReadyTimeoutCountsFromThePid(t *testing.T) {
	s := newSim(t, readyPolicy(), 1)     // startwait 1s, ready_timeout 10s
	s.proxied, s.proxyMoving = true, 100 // asked, the proxy says it is loading
	s.request(Event{Kind: EvStart})
	launched := s.l.StartTime
	s.until(launched.Add(12*time.Second), func() {}) // the proxy loads: no pid for 12 s
	if s.l.State != messages.Starting {
		t.Fatalf("while the proxy loads: %v %q", s.l.State, s.l.FailReason)
	}
	s.report()
	reported := s.now
	s.fire() // startwait, from the report: not ready yet
	if s.l.State != messages.Starting || s.l.Timer != TimerReady || !s.l.Deadline.Equal(reported.Add(10*time.Second)) {
		t.Fatalf("at startwait after the pid: %v, timer %v due %v after the pid, want the ready timeout 10s after it",
			s.l.State, s.l.Timer, s.l.Deadline.Sub(reported))
	}
	s.now = reported.Add(3 * time.Second)
	s.feed(Event{Kind: EvReady, Attempt: s.l.Attempt})
	if s.l.State != messages.Running {
		t.Fatalf("ready 3 s after its pid: %v %q", s.l.State, s.l.FailReason)
	}
	// a run that is not ready is still ended, 10 s after its pid
	s.request(Event{Kind: EvStop})
	for s.l.State.IsUp() && (s.exit(signalled(15)) || s.fire()) {
	}
	s.request(Event{Kind: EvStart})
	s.now = s.now.Add(2 * time.Second)
	s.report()
	reported = s.now
	s.fire() // startwait
	s.fire() // the ready timeout
	if s.l.State != messages.Stopping || s.l.End != EndNotReady || !s.now.Equal(reported.Add(10*time.Second)) {
		t.Fatalf("%v (end %v) %v after the pid, want stopping as not ready 10s after it", s.l.State, s.l.End, s.now.Sub(reported))
	}
}

// A proxied run's readiness is watched from the report of its pid
// (REFERENCE §2.9): a proxy that preloads an application has no process
// to probe while it loads, and a probe started at the start line tried
// against nothing, then was down to its slowest tries (1 s apart) by the
// time the process came.
func TestProxiedProbeStartsAtThePid(t *testing.T) {
	s := newSim(t, readyPolicy(), 1)
	s.proxied, s.proxyMoving = true, 100 // asked, the proxy says it is loading
	s.request(Event{Kind: EvStart})
	if s.probing != 0 {
		t.Fatal("probing at the start line, before the proxy reported a process")
	}
	s.until(s.l.StartTime.Add(12*time.Second), func() {}) // the proxy loads
	if s.probing != 0 || s.l.State != messages.Starting {
		t.Fatalf("while the proxy loads: probing %d, %v", s.probing, s.l.State)
	}
	s.report()
	if s.probing != s.l.Attempt {
		t.Fatalf("probing %d once the pid is reported, want attempt %d", s.probing, s.l.Attempt)
	}
	s.feed(Event{Kind: EvReady, Attempt: s.l.Attempt})
	s.fire() // startwait
	if s.l.State != messages.Running {
		t.Fatalf("%v %q", s.l.State, s.l.FailReason)
	}
}

// Not ready in time while the probe's last try could not be run for
// cfkd's own shortage (REFERENCE §2.1, §2.9): cfkd could not check the
// run, and that is not the service's failure. It is stopped, then in
// backoff with cfkd's reason, not counted, never fatal (respawn_on_fail
// off too), and started again after 1 s as a launch's shortage; once
// the tries run, a ready run is running. It was a failed start (`Not
// ready after 10s`), fatal at respawn_max_retries.
func TestNotReadyForCfkdsShortageIsNotCounted(t *testing.T) {
	for _, respawn := range []bool{true, false} {
		p := readyPolicy()
		p.MaxRetries, p.RespawnOnFail = 1, respawn
		s := newSim(t, p, 1)
		s.shortTries = true
		s.request(Event{Kind: EvStart})
		for i := range 3 {
			s.fire() // startwait
			s.fire() // the ready timeout, the last try not run
			if s.l.State != messages.Stopping || s.l.End != EndShort {
				t.Fatalf("respawn_on_fail=%v, window %d: %+v, want stopping for cfkd's shortage", respawn, i, s.l)
			}
			s.exit(signalled(15))
			if s.l.State != messages.Backoff || s.l.Retries != 0 || s.l.LastError != errShort.Error() ||
				s.l.Timer != TimerBackoff || !s.l.Deadline.Equal(s.now.Add(p.ShortageDelay)) {
				t.Fatalf("respawn_on_fail=%v, window %d: %+v, want backoff with cfkd's reason, uncounted, retried in 1s", respawn, i, s.l)
			}
			s.fire() // the retry
			if s.l.State != messages.Starting || s.l.End != EndNone || s.l.EndWhy != "" {
				t.Fatalf("respawn_on_fail=%v, the retry: %+v", respawn, s.l)
			}
		}
		logs := strings.Join(s.logs, "\n")
		if !strings.Contains(logs, "svc: not ready after 10s, and its last readiness check could not run: "+errShort.Error()+": stopping it (not counted as a failed start)") ||
			!strings.Contains(logs, "svc: "+errShort.Error()+"; retrying in 1s (not counted as a failed start)") {
			t.Fatalf("log %q", s.logs)
		}
		s.shortTries = false // cfkd has fds again: the tries run
		s.feed(Event{Kind: EvReady, Attempt: s.l.Attempt})
		s.fire()
		if s.l.State != messages.Running || s.l.LastError != "" {
			t.Fatalf("respawn_on_fail=%v, ready once checked: %+v", respawn, s.l)
		}
	}
}

// A stop asked while cfkd stops a run for its shortage (REFERENCE §2.9)
// ends it stopped, and nothing of that end stays on the lifecycle: its
// reason (EndWhy, `end_why` in an upgrade's state, §13.2) was kept on a
// stopped service until its next launch, a field that a cfkd of state
// version 8 from before it refuses, so an upgrade to one was refused for
// as long as the service stayed down.
func TestStopDuringAShortageStopLeavesNoEnd(t *testing.T) {
	s := newSim(t, readyPolicy(), 1)
	s.shortTries = true
	s.request(Event{Kind: EvStart})
	s.fire() // startwait
	s.fire() // the ready timeout, the last try not run
	if s.l.State != messages.Stopping || s.l.End != EndShort {
		t.Fatalf("%+v, want stopping for cfkd's shortage", s.l)
	}
	s.request(Event{Kind: EvStop})
	s.exit(signalled(15))
	if s.l.State != messages.Stopped {
		t.Fatalf("%+v, want stopped", s.l)
	}
	if s.l.End != EndNone || s.l.EndWhy != "" {
		t.Fatalf("stopped with end %d %q, want none", s.l.End, s.l.EndWhy)
	}
	b, err := json.Marshal(s.l)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"end_why"`) || strings.Contains(string(b), `"end"`) {
		t.Fatalf("the stopped lifecycle carries its former end: %s", b)
	}
}

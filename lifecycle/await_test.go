package lifecycle

import (
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// A wait for running (a dependent's, REFERENCE §2.8) starts nothing: a
// service in backoff keeps its delay and its count of failed starts, and
// the wait is answered once it is fatal.
func TestAwaitKeepsTheBackoff(t *testing.T) {
	p := testPolicy()
	p.MaxRetries = 2
	s := newSim(t, p, 1)
	s.request(Event{Kind: EvStart})
	s.exit(exitStatus(1))
	if s.l.State != messages.Backoff || s.l.Retries != 1 {
		t.Fatalf("after a failed start: %+v", s.l)
	}
	n, deadline := len(s.launched), s.l.Deadline
	req := s.request(Event{Kind: EvAwait})
	if len(s.launched) != n || s.l.Retries != 1 || !s.l.Deadline.Equal(deadline) || s.replies[req] != 0 {
		t.Fatalf("await in backoff changed it: %+v, replies %d", s.l, s.replies[req])
	}
	s.fire() // the retry
	s.exit(exitStatus(1))
	if s.l.State != messages.Fatal || s.replies[req] != 1 {
		t.Fatalf("second failed start: %+v, replies %d", s.l, s.replies[req])
	}
	if got, want := errText(s.errs[req]), "Service 'svc' did not come back up: fatal (Exited with error 1)"; got != want {
		t.Fatalf("await answered %q, want %q", got, want)
	}
}

// Running: answered at once; starting: once running; down: an error at
// once, and nothing is started.
func TestAwaitAnswers(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	down := s.request(Event{Kind: EvAwait})
	if got, want := errText(s.errs[down]), "Service 'svc' did not come back up: stopped"; got != want || len(s.launched) != 0 {
		t.Fatalf("await when stopped: %q (launches %d), want %q", got, len(s.launched), want)
	}
	s.request(Event{Kind: EvStart})
	starting := s.request(Event{Kind: EvAwait})
	if s.replies[starting] != 0 {
		t.Fatal("await answered while starting")
	}
	s.fire() // startwait: running
	if s.l.State != messages.Running || s.replies[starting] != 1 || s.errs[starting] != nil {
		t.Fatalf("await while starting: %+v, %v", s.l, s.errs[starting])
	}
	running := s.request(Event{Kind: EvAwait})
	if s.replies[running] != 1 || s.errs[running] != nil {
		t.Fatalf("await when running: %v", s.errs[running])
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// A selected service's start refused `already up` because an operator's
// stop of it is under way, then the wait of a dependent started with it
// (`start db app` while `stop db` waits for its SIGKILL, REFERENCE
// §2.8): the wait starts it again once down, as `up` does and as `start
// app` alone did, and is answered once it runs. It was answered `did not
// come back up: stopped` (or `fail (Received signal 9)`) at the stop's
// end, and app was not started, where `start app` alone started both.
func TestAwaitAfterAStopStartsOnceDown(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire() // running
	s.request(Event{Kind: EvStop})
	if s.l.State != messages.Stopping {
		t.Fatalf("after the stop: %v", s.l.State)
	}
	start := s.request(Event{Kind: EvStart}) // compat: already up
	if got, want := errText(s.errs[start]), "Service 'svc' is already up"; got != want {
		t.Fatalf("start while stopping: %q, want %q", got, want)
	}
	wait := s.request(Event{Kind: EvAwait})
	n := len(s.launched)
	if s.replies[wait] != 0 || n != 1 {
		t.Fatalf("await while stopping: answered %d times, %d launches", s.replies[wait], n)
	}
	s.fire() // stopwait: SIGKILL
	s.exit(syscall.WaitStatus(syscall.SIGKILL))
	if len(s.launched) != 2 || s.l.State != messages.Starting || s.replies[wait] != 0 {
		t.Fatalf("once down: %v, %d launches, await answered %d times (%v), want started again",
			s.l.State, len(s.launched), s.replies[wait], s.errs[wait])
	}
	s.fire() // startwait: running
	if s.l.State != messages.Running || s.replies[wait] != 1 || s.errs[wait] != nil {
		t.Fatalf("running again: %v, await answered %d times (%v)", s.l.State, s.replies[wait], s.errs[wait])
	}
}

// The stop of a restart, or a failed start's end (ready timeout), is
// waited through as before: nothing more is started for the wait.
func TestAwaitWhileARestartStopsStartsNothingMore(t *testing.T) {
	s := newSim(t, testPolicy(), 1)
	s.request(Event{Kind: EvStart})
	s.fire() // running
	s.request(Event{Kind: EvRestart})
	if s.l.State != messages.Stopping {
		t.Fatalf("after the restart: %v", s.l.State)
	}
	wait := s.request(Event{Kind: EvAwait})
	s.exit(syscall.WaitStatus(syscall.SIGTERM))
	if len(s.launched) != 2 || s.l.State != messages.Starting {
		t.Fatalf("the restart once down: %v, %d launches", s.l.State, len(s.launched))
	}
	s.fire()
	if s.replies[wait] != 1 || s.errs[wait] != nil {
		t.Fatalf("await: answered %d times (%v)", s.replies[wait], s.errs[wait])
	}
}

package lifecycle

import (
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

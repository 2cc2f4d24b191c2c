package lifecycle

import (
	"testing"

	"github.com/cfk/cfk/messages"
)

// A restart of a running service whose declaration was changed to one
// that cannot start (a program that is not there, an env_file missing, a
// user unknown) stopped the process, then failed to start: an edit made
// an outage. The restart now has the launch checked first (CheckLaunch,
// answered later, off the actor): a check that fails answers the restart
// with its error and keeps the process; the events that came meanwhile
// wait for the check, then apply in order.
func TestRestartIsCheckedBeforeTheStop(t *testing.T) {
	s := reach(t, messages.Running, false)
	s.async = true // the check's outcome comes later
	pid := s.l.Pid
	s.checkErr = errBoom
	refused := s.request(Event{Kind: EvRestart})
	if s.l.State != messages.Running || s.killed[pid] || s.replies[refused] != 0 || s.l.Checking == 0 {
		t.Fatalf("restart before its check: %+v, killed %v, replies %d", s.l, s.killed[pid], s.replies[refused])
	}
	stop := s.request(Event{Kind: EvStop}) // waits for the check
	if s.l.State != messages.Running || s.replies[stop] != 0 {
		t.Fatalf("a stop during the check was not deferred: %+v", s.l)
	}
	s.settle()
	if s.replies[refused] != 1 || errText(s.errs[refused]) != "boom" {
		t.Fatalf("restart answered %d times, %v; want once, boom", s.replies[refused], s.errs[refused])
	}
	if s.replies[stop] != 1 || s.l.State != messages.Stopping || !s.killed[pid] {
		t.Fatalf("the deferred stop, after a refused restart: %+v, replies %d", s.l, s.replies[stop])
	}

	// a check that passes: stopped, launched again once down
	s = reach(t, messages.Running, false)
	s.async = true
	pid = s.l.Pid
	ok := s.request(Event{Kind: EvRestart, Rolling: true})
	if s.killed[pid] {
		t.Fatal("stopped before the check")
	}
	s.settle()
	if s.l.State != messages.Stopping || !s.killed[pid] || s.l.Want != WantRestart || s.replies[ok] != 0 {
		t.Fatalf("after a check that passed: %+v", s.l)
	}
	s.exit(signalled(15))
	s.settle() // the launch
	if s.l.State != messages.Starting {
		t.Fatalf("not launched again: %+v", s.l)
	}
	s.fire()
	if s.l.State != messages.Running || s.replies[ok] != 1 || s.errs[ok] != nil {
		t.Fatalf("rolling restart: %+v, replies %d %v", s.l, s.replies[ok], s.errs[ok])
	}
}

// A restart under a proxy that does not run has the proxy's launch
// checked too (Event.Proxy, REFERENCE §1.4). A restart that came during
// another's check waits for it (Deferred) and was then checked without
// its proxy, which the service actor had set aside for the first feed
// only: its process was stopped for a proxy that could not run. The
// proxy travels with the event.
func TestDeferredRestartKeepsItsProxy(t *testing.T) {
	s := reach(t, messages.Running, false)
	s.async = true
	s.checkErr = errBoom
	first, second := &messages.ProxyConfig{Name: "p1"}, &messages.ProxyConfig{Name: "p2"}
	a := s.request(Event{Kind: EvRestart, Proxy: first})
	b := s.request(Event{Kind: EvRestart, Proxy: second}) // waits for a's check
	// a's check, then b's
	for s.settle() {
	}
	if s.replies[a] != 1 || s.replies[b] != 1 {
		t.Fatalf("replies %d, %d; want each restart answered once", s.replies[a], s.replies[b])
	}
	if len(s.checks) != 2 || s.checks[0].Proxy != first || s.checks[1].Proxy != second {
		t.Fatalf("checks %+v, want the first restart's proxy, then the deferred one's", s.checks)
	}
}

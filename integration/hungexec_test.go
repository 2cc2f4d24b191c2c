package integration

import (
	"syscall"
	"testing"
	"time"

	. "github.com/cfk/cfk/messages"
)

// A service whose child hangs in its exec (its program on a mount that
// hung after cfkd's stats) left its start unanswered for ever, the
// service `starting`, its stop held (REFERENCE §2.1). The stand-in: the
// fork server stopped (SIGSTOP), whose reply does not come, as when its
// thread waits in the vfork of such a child. The start is now answered
// after 5 s (here 1 s: SetForkTimeout), cfkd's trouble: `backoff`,
// retried every second (each retry failing at once, as the same exec is
// still under way) and never counted (respawn_max_retries=1 would make
// it `fatal`); a stop is answered; once the exec answers, the process it
// made is killed: nothing is left running.
func TestStartWhoseExecHangs(t *testing.T) {
	server := launcher.ForkServerPid()
	if server == 0 {
		t.Skip("no fork server here: cfkd forks itself, and waits for the exec")
	}
	// cfkd's bound is 5 s; the one of this test's launches, 1 s, is
	// restored at its end (after the fork server is resumed)
	const bound = time.Second
	launcher.SetForkTimeout(bound)
	t.Cleanup(func() { launcher.SetForkTimeout(0) })
	h := newHarness(t)
	h.ok("service s cmd=/bin/sleep 100", "service s respawn_max_retries=1", "service s startwait_secs=0.02")
	if err := syscall.Kill(server, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			syscall.Kill(server, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume) // before the harness's shutdown
	begin := time.Now()
	h.fails("command start service s", "Service 's' cannot start now: exec of /bin/sleep did not answer within "+bound.String())
	if took := time.Since(begin); took < bound {
		t.Fatalf("answered after %v, before the bound", took)
	}
	h.expect("s", Backoff)
	h.expectNone("s", Fatal, 2500*time.Millisecond) // two retries at least
	if st := h.status("s"); st[1] != "backoff" && st[1] != "starting" {
		t.Fatalf("status %q, want backoff (or a retry starting)", st)
	}
	h.ok("command stop service s")
	if st := h.status("s"); st[1] != "stopped" {
		t.Fatalf("status %q, want stopped", st)
	}
	resume()
	h.poll("the late child killed and reaped", func() bool { return len(children(server)) == 0 })
}

package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDetachParentEndsOnTerm: `cfkd -d` waits for the detached cfkd to be
// ready (REFERENCE §7.1). A SIGTERM (or a Ctrl-C) to that waiting parent
// ended it, as any process's: catchEarly, from Run's first line, now
// catches HUP, INT and TERM in the parent too, which never hands them
// over (it never gets to the handlers) and drops them when it returns, so
// the parent goes on waiting whatever it is sent. And the signal is sent
// on to the detached cfkd, which ran on unseen, loading and starting
// services, once the parent a user or an init system gave up on had died.
// Here the detached cfkd is held at its start: its -c file waits for a
// rolling restart of a service that is never ready (a start is answered
// at the launch; a rolling restart only once the service runs).
func TestDetachParentEndsOnTerm(t *testing.T) {
	t.Parallel()
	h := startHeldDetach(t, t.TempDir(), "tcp:127.0.0.1:1", []string{cfkdBin})
	cmd, exited, stderr, child := h.cmd, h.exited, h.stderr, h.child
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("cfkd -d, waiting for the detached cfkd, ignored SIGTERM for 5s")
	}
	// and the SIGTERM went on to the detached cfkd: it ran on unseen
	if !strings.Contains(stderr.String(), "sent on to it, it shuts down") {
		t.Errorf("cfkd -d said %q, want that the signal was sent on", stderr.String())
	}
	waitFor(t, "the detached cfkd gone", func() bool { return syscall.Kill(child, 0) != nil })
}

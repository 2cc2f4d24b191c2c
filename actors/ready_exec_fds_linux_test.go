package actors

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/cfk/cfk/osproc"
)

// The stderr pipe of a ready=exec: try is the launch's to make, once it
// holds its fork slot (REFERENCE §7.6): made by the try before its
// launch, it was 2 fds held by every try waiting for its turn, beyond
// the fds cfkd budgets for its launches and with no regard for the last
// ones it keeps for itself. Here n tries wait for a slot that does not
// come (the fake's, as osproc's forkSlots): they hold no fd.
func TestExecTriesWaitingForASlotHoldNoFd(t *testing.T) {
	// not parallel: it counts the process's fds
	const n = 100
	f := newFakeLauncher()
	f.holdSlots(t)
	spec := osproc.Spec{Argv: []string{"/bin/sh", "-c", "true"}, Env: []string{"PATH=/usr/bin:/bin"}}
	before := openFds(t)
	ended := make(chan error, n)
	for range n {
		go func() { ended <- execReady(context.Background(), f, spec, deadline) }()
	}
	f.waitFor(t, "every try waiting for its slot", func() bool { return f.waiting == n })
	held := openFds(t) - before
	f.StopLaunching() // each launch returns ErrCancelled
	for range n {
		if err := <-ended; !errors.Is(err, osproc.ErrCancelled) {
			t.Errorf("a try: %v, want %v", err, osproc.ErrCancelled)
		}
	}
	// what other goroutines of the process open meanwhile is noise; the
	// pipes made before the launch were 2n
	if held >= n/2 {
		t.Errorf("%d tries waiting for a fork slot hold %d fds, want none", n, held)
	}
}

// openFds counts the fds the process has open.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

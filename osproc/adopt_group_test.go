package osproc

import (
	"syscall"
	"testing"
	"time"
)

// What the new cfkd of an upgrade in place does with a run launched with
// no_new_session=1 (Setsid false) when the state says Group true (the
// declaration was changed to no_new_session=0 while it ran: the exported
// Group is the declaration's, see actors TestExportGroupIsTheRuns):
// Adopt(pid, true) and then the stop, Signal(SIGTERM), and stopwait
// later Signal(SIGKILL). Both went to kill(-pid): ESRCH, as the process
// leads no group, which Signal swallowed: nothing reached the process,
// the service stayed `stopping` for good (a direct run has no killwait),
// and so did a shutdown. The process itself now gets the signal.
func TestAdoptedWithAWrongGroupIsSignalled(t *testing.T) {
	adopted := make(chan syscall.WaitStatus, 1)
	onExit := func(_ int, ws syscall.WaitStatus) { adopted <- ws }
	old, err := launcher.Launch(Spec{Argv: sh(`trap 'exit 0' TERM; while :; do sleep 0.05; done`), Setsid: false}, onExit)
	if err != nil {
		t.Fatal(err)
	}
	pid := old.Pid
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL) // the pid is ours until reaped below
		select {
		case <-adopted:
		case <-time.After(deadline):
			t.Errorf("cleanup: %d not reaped", pid)
		}
	})
	// the new cfkd's registration replaces the old one (as in TestFreezeAndAdopt)
	p := launcher.Adopt(pid, true, onExit)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if err := launcher.Signal(p, sig); err != nil {
			t.Fatalf("Signal %v: %v", sig, err)
		}
		select {
		case ws := <-adopted:
			adopted <- ws // for the cleanup
			return
		case <-time.After(2 * time.Second):
			t.Errorf("Signal(%v) returned nil, but process %d did not exit in 2s: the signal went to group -%d, which does not exist", sig, pid, pid)
		}
	}
}

package actors

import (
	"github.com/cfk/cfk/messages"
	"syscall"
	"testing"
	"time"
)

// TestShutdownWithAnUnkillableProcess: REFERENCE §7.4: shutdown
// brings every service down "(SIGTERM, SIGKILL after its
// stopwait_secs)", then answers and exits. A process that survives
// SIGKILL (uninterruptible sleep on a hard NFS mount, a stuck FUSE
// read) never exits: after the SIGKILL the lifecycle arms no further
// timer (rowStopWaitElapsed, direct run), so the service stays
// `stopping` for good and the shutdown is never answered: cfkd never
// exits. systemd gives up after the final SIGKILL timeout and goes on; so
// does cfkd's own orphan sweep (osproc.Terminate returns the survivors).
func TestShutdownWithAnUnkillableProcess(t *testing.T) {
	t.Parallel()
	// killwait (stopwait_secs, at least 5 s) shortened to 0.5 s
	r := newRig(t, func(o *Options) { o.killWaitMin = 500 * time.Millisecond })
	pid := r.startRunning("s", "stopwait_secs=0.1")
	shut := make(chan messages.Reply, 1)
	go func() { shut <- r.tree.Exec("command shutdown", 10*time.Second) }() // past killwait
	r.fake.waitSignal(t, pid, syscall.SIGKILL)                              // the process ignores it (D state)
	select {
	case rep := <-shut:
		if rep.Err != nil {
			t.Fatalf("shutdown: %v", rep.Err)
		}
	case <-time.After(8 * time.Second): // killwait, 0.5 s, and ample slack
		r.fake.exit(t, pid, killedBy(syscall.SIGKILL)) // let the tree end
		t.Fatal("shutdown not answered 8 s after SIGKILL of a process that does not die (killwait 0.5 s): cfkd would never exit")
	}
}

package actors

import (
	"strconv"
	"syscall"
	"testing"
)

// REFERENCE §7.4: a shutdown while an auto proxy's launch waits for a
// fork slot forks no proxy, and a service whose start waited for it ends
// stopped, no error logged, even when its halt comes late (x, which
// requires it, is stopped first): it went to fail, `cannot start under
// its proxy: Proxy 'p' can't run: cfkd is shutting down` (ERROR).
func TestShutdownCancelsAProxyLaunchWaitingForASlot(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declareProxied(nil, "s1")
	r.ok("service x cmd=sleep 100", "service x startwait_secs=0.02")
	r.okDone("command start service x", 1)
	r.expectSeq("x", starting, running)
	pid, err := strconv.Atoi(r.status("x")[2])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.fake.exitStatus(pid, killedBy(syscall.SIGKILL)) })
	r.ok("service x requires=s1") // s1 is halted once x is down
	r.fake.holdSlots(t)           // the proxy's launch waits for a fork slot
	r.okDone("command start service s1", 1)
	r.expectSeq("s1", starting)
	r.fake.waitFor(t, "the proxy's launch waiting for a slot", func() bool { return r.fake.waiting == 1 })
	shut := r.async("command shutdown")
	r.fake.waitSignal(t, pid, syscall.SIGTERM) // x stops; s1's halt waits
	r.expectSeq("s1", stopped)
	r.fake.exitStatus(pid, killedBy(syscall.SIGTERM))
	if rep := r.reply("shutdown", shut); rep.Err != nil {
		t.Fatalf("shutdown: %v", rep.Err)
	}
	if n := len(r.fake.allLaunches()); n != 1 {
		t.Fatalf("%d launches, want 1 (x's)", n)
	}
}

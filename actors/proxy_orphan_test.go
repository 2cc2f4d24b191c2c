package actors

import (
	"syscall"
	"testing"
	"time"
)

// TestProxyDeathKillsItsServiceProcess: the proxy dies (OOM-killed, or
// SIGKILLed by cfkd after the grace) while its service runs in a session
// of its own: the service goes to fail ("proxy stopped"), and its process
// is killed through the handle cfkd holds. It lived on, supervised by
// nobody, and the next start ran a second one next to it.
func TestProxyDeathKillsItsServiceProcess(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.ProxyGrace = 50 * time.Millisecond })
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 600)
	r.ok("command proxydown p") // the proxy ignores SIGTERM: SIGKILLed after the grace
	r.fake.waitSignal(t, p.pid, syscall.SIGKILL)
	r.fake.exit(t, p.pid, killedBy(syscall.SIGKILL))
	r.expectSeq("s", stopping, fail) // the proxydown stops it first (REFERENCE §4.5)
	deadlineC := time.After(2 * time.Second)
	for {
		if sigs := r.fake.signalsTo(600); len(sigs) > 0 {
			if sigs[0] != syscall.SIGKILL {
				t.Fatalf("process 600 got %v, want SIGKILL", sigs)
			}
			return
		}
		select {
		case <-deadlineC:
			t.Fatalf("s is %q, yet its process 600 was never signalled: left behind", r.status("s")[1])
		case <-time.After(10 * time.Millisecond):
		}
	}
}

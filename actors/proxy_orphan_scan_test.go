package actors

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// heldEnder is the fake launcher with a ProxiedStopEnder whose scans the
// test ends: each deliver waits on calls.
type heldEnder struct {
	*fakeLauncher
	calls chan heldScan
}

type heldScan struct {
	name    string
	pid     int
	deliver func()
}

func (h *heldEnder) AfterProxiedStop(name string, pid int, deliver func()) {
	h.calls <- heldScan{name, pid, deliver}
}

// The exit of a proxied process that cfkd stopped is handed to the
// service once the scan for its orphans is over (REFERENCE §7.5); an exit
// the service did not ask for is handed at once. When the proxy ends
// while that exit waits for its scan, the service is not failed ("proxy
// stopped"): its exit, a clean stop, comes next.
func TestProxiedStopExitWaitsForTheOrphanScan(t *testing.T) {
	t.Parallel()
	calls := make(chan heldScan, 4)
	r := newRig(t, func(o *Options) {
		o.Launcher = &heldEnder{fakeLauncher: o.Launcher.(*fakeLauncher), calls: calls}
		o.ProxyGrace = 50 * time.Millisecond
	})
	proxies := r.playProxies()
	r.declareProxied(nil, "s", "t")
	p := r.startFirstProxied(proxies, "s", 600)
	r.okDone("command start service t", 1)
	r.expectSeq("t", starting)
	r.startProxied(p, "t", 601)

	// t exits on its own: no scan, handed at once
	p.stopped("t", 601, exitCode(0))
	r.expectSeq("t", stopped)

	r.async("command stop service s")
	r.expectSeq("s", stopping)
	if got := p.command(); !strings.HasPrefix(got, `{"command":"stop","name":"s"`) {
		t.Fatalf("command %q, want the stop of s", got)
	}
	p.stopped("s", 600, killedBy(syscall.SIGTERM))
	var scan heldScan
	select {
	case scan = <-calls:
	case <-time.After(deadline):
		t.Fatal("the exit of s, which cfkd stopped, was not given to the scan for its orphans")
	}
	if scan.name != "s" || scan.pid != 600 {
		t.Fatalf("scan for %s pid %d, want s pid 600", scan.name, scan.pid)
	}
	r.expectQuiet("s", 50*time.Millisecond) // no exit before the scan is over

	// the proxy ends meanwhile
	r.ok("command proxydown p")
	r.fake.exit(t, p.pid, exitCode(0))
	r.expectQuiet("s", 50*time.Millisecond)
	scan.deliver()
	if ev := r.expectSeq("s", stopped); ev[0].Reason != "" {
		t.Fatalf("s stopped with reason %q, want a clean stop", ev[0].Reason)
	}
}

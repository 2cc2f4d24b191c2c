package actors

import (
	"syscall"
	"testing"
)

// proxydown of an auto proxy whose service needed the proxy's SIGKILL
// (it ignored SIGTERM): its exit, status 9, was taken for a crash, the
// service was respawned at once, its start queued while the proxy
// stopped, and the proxy ran again as soon as it was gone: proxydown
// answered with the proxy up and the service running. The services up
// under the proxy are stopped now, as `stop` does (REFERENCE §4.5):
// nothing is respawned, the proxy stays down.
func TestProxydownStopsItsServices(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "hard", "soft")
	r.okDone("command start service hard", 1)
	r.expectSeq("hard", starting)
	p := nextProxy(t, proxies)
	r.startProxied(p, "hard", 700)
	r.okDone("command start service soft", 1)
	r.expectSeq("soft", starting)
	r.startProxied(p, "soft", 701)
	down := r.async("command proxydown p")
	r.expectSeq("hard", stopping)
	r.expectSeq("soft", stopping)
	// the proxy stops them as its SIGTERM says, then goes
	p.stopped("soft", 701, killedBy(syscall.SIGTERM))
	p.stopped("hard", 700, killedBy(syscall.SIGKILL))
	r.expectSeq("soft", stopped)
	r.expectSeq("hard", fail)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	p.close()
	r.fake.exit(t, p.pid, 0)
	r.reply("proxydown", down)
	noProxy(t, proxies, window)
	if got := r.ok("command proxystatus"); got[0] != "p\tdown\t" {
		t.Fatalf("proxystatus %q", got)
	}
	r.expectQuiet("hard", window)
}

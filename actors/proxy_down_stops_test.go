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
	p, proxies := r.runningUnderProxy([2]string{"hard", "soft"}, [2]int{700, 701})
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

// runningUnderProxy declares two services under auto proxy p, starts
// them (p is launched for the first) with the played proxy reporting the
// pids, and returns the played proxy and the later ones: both run.
func (r *rig) runningUnderProxy(names [2]string, pids [2]int) (*playedProxy, <-chan *playedProxy) {
	r.t.Helper()
	proxies := r.playProxies()
	r.declareProxied(nil, names[0], names[1])
	var p *playedProxy
	for i, name := range names {
		r.okDone("command start service "+name, 1)
		r.expectSeq(name, starting)
		if p == nil {
			p = nextProxy(r.t, proxies)
		}
		r.startProxied(p, name, pids[i])
	}
	return p, proxies
}

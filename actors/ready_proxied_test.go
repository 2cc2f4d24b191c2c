package actors

import (
	"testing"
	"time"
)

// REFERENCE §2.9: the readiness probe of a proxied run starts at the
// report of its pid, not at its start line: a proxy that preloads has no
// process to probe yet.
func TestProxiedProbeWaitsForThePid(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("service s ready=exec:false", "service s ready_timeout_secs=0")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies) // launch 1
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p.command()                                       // the start of s, not answered yet
	r.fake.expectNoLaunch(t, 1, 200*time.Millisecond) // the proxy's only: no probe
	p.started("s", 500)
	probe := r.fake.waitLaunch(t, 2).Spec
	if len(probe.Argv) != 3 || probe.Argv[2] != "false" {
		t.Fatalf("launch 2 is %q, want the probe", probe.Argv)
	}
}

package actors

import (
	"strings"
	"syscall"
	"testing"
)

// TestProxyToldWhenServiceMovedOut: an apply that moves a running proxied
// service out of its (auto) proxy restarts it directly. The proxy must
// learn that the service is down there (it has no other service up: it is
// shut down). The relaunch comes in the same step as the end of the
// proxied run, so the table says no LeaveProxy: the proxy process ran on
// for good until the service actor told it at the new launch.
func TestProxyToldWhenServiceMovedOut(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 4242)

	ch := r.async(applyReq("", "service s cmd=sleep 100\nservice s startwait_secs=0.02\nproxy p cmd=cfk-proxy --preload x\n"))
	if got := p.command(); got != `{"command":"stop","name":"s"}` {
		t.Fatalf("command %q, want the stop of s", got)
	}
	p.stopped("s", 4242, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopping, stopped, starting)
	rep := r.reply("apply", ch)
	if rep.Err != nil {
		t.Fatalf("apply: %v", rep.Err)
	}
	t.Logf("apply: %s", strings.Join(rep.Lines, " | "))
	if st := r.status("s"); st[5] != "" {
		t.Fatalf("s still under a proxy: %q", st)
	}
	// no service of p is up any more: the auto proxy is shut down
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
}

package actors

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProxyQueuedStartDroppedWhenDown checks that a start queued while the
// proxy is stopping is dropped once its service is stopped meanwhile: it
// must not be sent to the next run of the proxy, where it would make a
// process nobody supervises (or one the operator stopped) and keep the
// auto proxy from going idle.
func TestProxyQueuedStartDroppedWhenDown(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(logs), func(o *Options) {
		o.ProxyGrace = 20 * time.Second
	})
	p, proxies := r.proxyLeftStopping()
	// a start while stopping: queued
	r.okDone("command start service s2", 1)
	r.expectSeq("s2", starting)
	// and stopped before the proxy is gone: its start is dropped, and it
	// is stopped at once (not after its stopwait of 30 s): nothing ran.
	// The stop was dropped (the proxy sent a stop only while up), and the
	// service given up after stopwait.
	r.okDone("command stop service s2", 1)
	r.expectSeq("s2", stopping, stopped)
	logs.wait(t, "s2: stopped before its proxy ran it: stopped before proxy 'p' ran it")
	// the old proxy ends: nothing is left to run it again for
	r.fake.exit(t, p.pid, killedBy(syscall.SIGTERM))
	waitProxyStatus(r, "p\tdown\t")
	select {
	case p2 := <-proxies:
		t.Cleanup(func() { r.fake.exitStatus(p2.pid, killedBy(syscall.SIGKILL)) })
		if got := p2.command(); strings.HasPrefix(got, `{"command":"start","name":"s2"`) {
			t.Fatalf("s2 is %q, yet its queued start was sent to a new run of the proxy (pid %d)", r.status("s2")[1], p2.pid)
		}
		t.Fatalf("the proxy ran again (pid %d) with no service to start", p2.pid)
	case <-time.After(window):
	}
	if st := r.status("s2"); st[1] != "stopped" {
		t.Fatalf("s2 status %q, want stopped", st)
	}
}

// proxyLeftStopping declares the auto proxy p with s1 and s2 (a stopwait
// of 30 s), runs s1 under it as pid 101 and stops it: the proxy is shut
// down, and stays stopping, as the played proxy ignores SIGTERM. It
// returns the proxy's run, and where the next runs come.
func (r *rig) proxyLeftStopping() (*playedProxy, <-chan *playedProxy) {
	r.t.Helper()
	proxies := r.playProxies()
	r.declareProxied(nil, "s1", "s2")
	r.ok("service s2 stopwait_secs=30")
	r.okDone("command start service s1", 1)
	r.expectSeq("s1", starting)
	p := nextProxy(r.t, proxies)
	r.startProxied(p, "s1", 101)
	r.okDone("command stop service s1", 1)
	p.command()
	p.stopped("s1", 101, killedBy(syscall.SIGTERM))
	r.expectSeq("s1", stopping, stopped)
	p.eof()
	r.fake.waitSignal(r.t, p.pid, syscall.SIGTERM)
	return p, proxies
}

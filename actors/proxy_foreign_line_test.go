package actors

import "testing"

// A proxy's log line names the service it is for (REFERENCE §4.4). One
// naming a service the proxy was never asked to start, as another
// proxy's or a direct one's, is the proxy's own line: it went to that
// service's log and its `command tail`.
func TestProxyLineForAServiceItDoesNotRun(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureServiceLog(logs))
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("service other cmd=sleep 1000")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 510)
	p.log("out:other:injected")
	if got, want := fieldsText(logs.wait(t, "for service 'other', not started under this proxy: injected")), "info category=proxy.p.out proxy=p"; got != want {
		t.Errorf("logged as %q, want %q", got, want)
	}
	p.log("out:s:its own")
	if got, want := fieldsText(logs.wait(t, "its own")), "info category=service.s.out service=s pid=510 proxy=p"; got != want {
		t.Errorf("s's line logged as %q, want %q", got, want)
	}
	if lines := r.ok("command tail other"); len(lines) != 0 {
		t.Errorf("other's tail: %q", lines)
	}
}

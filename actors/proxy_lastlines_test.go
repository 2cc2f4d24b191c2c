package actors

import "testing"

// A proxy writes a service's status and its log lines on two pipes: the
// last lines of a service (the error it died of) may reach cfkd after its
// stopped. They are logged with its pid (REFERENCE §4.4), as a direct
// service's last lines are: they came without one, as the proxy's own.
func TestProxyLinesAfterTheExitKeepThePid(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureServiceLog(logs))
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 510)
	p.stopped("s", 510, 0)
	r.expectSeq("s", stopped) // the proxy actor took the exit
	p.log("err:s:fatal: it broke")
	if got, want := fieldsText(logs.wait(t, "fatal: it broke")), "error category=service.s.err service=s pid=510 proxy=p"; got != want {
		t.Errorf("last line logged as %q, want %q", got, want)
	}
}

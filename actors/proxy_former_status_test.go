package actors

import (
	"syscall"
	"testing"
	"time"
)

// A status line of a former run of a proxy (one taken for gone after its
// grace, which writes on before its end) is logged and ignored, as
// REFERENCE §4.5 says: it was dropped without a record. The record is a
// stray status line's, bounded alike (strayf).
func TestProxyFormerRunStatusLinesLogged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		what  string
		write func(p *playedProxy)
		want  string
	}{
		{"exit", func(p *playedProxy) { p.stopped("s", 600, killedBy(syscall.SIGTERM)) },
			"proxy 'p' sent a status line of a former run of it (the exit of 's', pid 600): ignored"},
		{"started", func(p *playedProxy) { p.started("s", 601) },
			"proxy 'p' sent a status line of a former run of it ('s' started, pid 601): ignored"},
		{"bad", func(p *playedProxy) {
			if _, err := p.statusW.Write([]byte("not a status line\n")); err != nil {
				t.Errorf("status pipe: %v", err)
			}
		}, "proxy sent a bad status line"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			t.Parallel()
			own := &logCapture{changed: make(chan struct{})}
			r := newRig(t, captureLog(own), func(o *Options) { o.ProxyGrace = 50 * time.Millisecond })
			proxies := r.playProxies()
			r.declareProxied(nil, "s")
			p := r.startFirstProxied(proxies, "s", 600)
			r.ok("command proxydown p")
			r.fake.waitSignal(t, p.pid, syscall.SIGKILL)
			own.wait(t, "Proxy 'p' didn't clean after itself?") // taken for gone: its next lines are a former run's
			tc.write(p)
			own.wait(t, tc.want)
		})
	}
}

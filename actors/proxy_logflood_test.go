package actors

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// gateWriter blocks every Write until released: cfkd's service log is
// slower than the proxy's output (a slow disk, a stuck log pipe).
type gateWriter struct {
	once sync.Once
	gate chan struct{}
}

func (g *gateWriter) Write(b []byte) (int, error) { <-g.gate; return len(b), nil }
func (g *gateWriter) release()                    { g.once.Do(func() { close(g.gate) }) }

// TestProxyLogFloodIsBounded: while cfkd does not get through a proxy's
// log lines (here its service log blocks), the log pipe fills up and the
// proxy blocks (backpressure, as for a direct service's output). The log
// reader read on into the proxy actor's mailbox, without bound: 64 MiB
// in this test, and more.
func TestProxyLogFloodIsBounded(t *testing.T) {
	t.Parallel()
	g := &gateWriter{gate: make(chan struct{})}
	t.Cleanup(g.release)
	r := newRig(t, func(o *Options) {
		l := logrus.New()
		l.SetOutput(g)
		l.SetLevel(logrus.InfoLevel)
		o.ServiceLog = l
	})
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 500)

	const limit = 64 << 20 // far more than a pipe and a bounded queue
	line := "out:s:" + strings.Repeat("x", 1017) + "\n"
	var written atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := []byte(strings.Repeat(line, 64))
		for written.Load() < limit {
			n, err := p.logW.Write(buf)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-done:
		t.Errorf("the proxy wrote %d MiB of log lines while cfkd logged none: cfkd queued them all", written.Load()>>20)
	case <-time.After(3 * time.Second):
		// blocked: backpressure
	}
	g.release()
	p.logW.Close()
	<-done
}

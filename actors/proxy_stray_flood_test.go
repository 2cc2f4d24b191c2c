package actors

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
)

// A proxy that floods status lines which parse but name nothing cfkd
// started (the exit of an unknown service, a started of one, the same
// started again: a proxy's bug, in a loop) has them logged once a second
// at most, as bad status lines are, the next record saying how many were
// not: each was an ERROR record of cfkd's own (and an event), and such a
// proxy wrote a million of them in 5 s, 114 MB of cfkd's log. The lines
// are still handled: the service's own started, after them, is taken.
func TestProxyStrayStatusLinesLoggedOnceASecond(t *testing.T) {
	t.Parallel()
	log, rec := recordingLogger()
	r, p, _ := proxiedStartingWith(t, "5", func(o *Options) { o.Log = log })
	p.command() // the start of s
	began := time.Now()
	var burst []byte
	for i := range maxProxyStatusLines + 10 {
		switch i % 2 {
		case 0:
			burst = append(burst, proxywire.EncodeStatus(proxywire.Status{Status: proxywire.StatusStopped, Name: "ghost", Pid: 777})...)
		default:
			// not the proxy's child (the test's own pid): no handle
			burst = append(burst, proxywire.EncodeStatus(proxywire.Status{Status: proxywire.StatusStarted, Name: "ghost", Pid: 1})...)
		}
	}
	// within the pipe's buffer: the write does not wait for cfkd, which
	// reads maxProxyStatusLines of them, then the rest as it handles them
	if _, err := p.statusW.Write(burst); err != nil {
		t.Fatal(err)
	}
	p.started("s", 402) // a line after them: once it is handled, they were
	if ev := r.expectSeq("s", running); ev[0].Pid != 402 {
		t.Fatalf("s runs as pid %d, want 402", ev[0].Pid)
	}
	most := 1 + int(time.Since(began)/time.Second) // one a second: one, unless this host stalled the burst that long
	text := rec.text()
	n := strings.Count(text, "unknown service 'ghost'")
	if n < 1 || n > most {
		t.Errorf("%d records of stray status lines for %d in a burst, want 1 to %d:\n%s", n, maxProxyStatusLines+10, most, text)
	}
}

// A proxy that writes lines of no TYPE:NAME:MESSAGE form on its log pipe
// (raw lines: its services' output, say) has them
// logged once a second at most, the next record saying how many were
// not: each was an ERROR record of cfkd's own, and an event; 556,300 in
// 3 s, 88 MB of cfkd's log. The good lines after them are logged.
func TestProxyBadLogLinesLoggedOnceASecond(t *testing.T) {
	t.Parallel()
	own, out := &logCapture{changed: make(chan struct{})}, &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(own), captureServiceLog(out))
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	began := time.Now()
	// more than the lines cfkd holds unhandled: each one's slot comes back
	burst := strings.Repeat("GET /index.html 200 12ms\n", maxProxyLogLines+10)
	go func() { _, _ = io.WriteString(p.logW, burst+"out:-:after the burst\n") }()
	out.wait(t, "after the burst")                 // once it is logged, the burst was handled
	most := 1 + int(time.Since(began)/time.Second) // one a second: one, unless this host stalled the burst that long
	own.mu.Lock()
	n := 0
	for _, e := range own.entries {
		if strings.HasPrefix(e.Message, "proxy 'p' sent a bad log line") {
			n++
		}
	}
	own.mu.Unlock()
	if n < 1 || n > most {
		t.Errorf("%d records of bad log lines for %d in a burst, want 1 to %d", n, maxProxyLogLines+10, most)
	}
}

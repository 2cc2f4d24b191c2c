package actors

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
)

// The log lines a proxy wrote before it exited (its services' last
// lines, forwarded) are all logged, with the pids of that run, however
// far behind them its log pipe's reader was at the exit: the end of the
// run closed the pipe's read end as soon as its status lines were
// drained, losing what the reader had not read yet, and the actor
// dropped what it had, lines of a run that was no longer the proxy's.
// A process the run left holding the write end does not make cfkd wait
// for more: the read end is closed once what had come is read
// (TestProxyEndClosesItsPipesWhileALeftoverHoldsThem).
func TestProxyLogLinesWrittenBeforeItsExitAreAllLogged(t *testing.T) {
	t.Parallel()
	for _, leftover := range []bool{false, true} {
		t.Run(fmt.Sprintf("leftover=%v", leftover), func(t *testing.T) {
			t.Parallel()
			logs := &logCapture{changed: make(chan struct{})}
			r := newRig(t, captureServiceLog(logs))
			proxies := r.playProxies()
			r.declareProxied(nil, "s")
			p := r.startFirstProxied(proxies, "s", 600)
			const n = 2000 // 31 KiB: the pipe takes them all at once
			var b bytes.Buffer
			for i := range n {
				fmt.Fprintf(&b, "out:s:line %d\n", i)
			}
			if _, err := p.logW.Write(b.Bytes()); err != nil {
				t.Fatal(err)
			}
			p.statusW.Close() // its status lines are drained at once
			if !leftover {
				p.logW.Close()
			}
			r.fake.exit(t, p.pid, syscall.WaitStatus(1<<8))
			r.expectSeq("s", fail)
			last := logs.wait(t, fmt.Sprintf("line %d", n-1))
			if got, want := fieldsText(last), "info category=service.s.out service=s pid=600 proxy=p"; got != want {
				t.Errorf("its last line logged as %q, want %q", got, want)
			}
		})
	}
}

package actors

import (
	"syscall"
	"testing"
)

// A proxy that stops its services on SIGTERM reports their exits, then
// exits (REFERENCE §4.5, §4.6 step 6): those services end stopped. When
// cfkd's reaper saw the proxy's exit before the status reader handed on
// its last lines, the proxy's end came first and failed them ('proxy
// stopped'), and its stopped lines, of a run now over, were dropped.
func TestProxyLastStatusLinesBeforeItsEnd(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p, _ := r.runningUnderProxy([2]string{"a", "b"}, [2]int{710, 711})
	down := r.async("command proxydown p")
	r.expectSeq("a", stopping)
	r.expectSeq("b", stopping)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	p.stopped("a", 710, killedBy(syscall.SIGTERM))
	p.stopped("b", 711, killedBy(syscall.SIGTERM))
	p.close()
	r.fake.exit(t, p.pid, 0) // at once: the reaper may be first
	r.reply("proxydown", down)
	if ev := r.expectSeq("a", stopped); ev[0].Reason != "" {
		t.Fatalf("a: %+v", ev)
	}
	r.expectSeq("b", stopped)
}

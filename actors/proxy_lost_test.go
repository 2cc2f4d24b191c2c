package actors

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// lostCalls returns the EndLostStart calls recorded so far.
func (f *fakeLauncher) lostCalls() []lostCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]lostCall(nil), f.lost...)
}

// A proxy that dies between its fork of a service and its report of the
// pid (REFERENCE §4.5) left that process running, adopted by cfkd, which
// did not know its pid: nobody supervised it until the service's next
// stop, and a respawn ran a second one beside it. Now, once the proxy's
// process has exited, cfkd ends the orphans of each start it never
// reported, those started between the start line and the proxy's end.
// A start it reported is no such start: its process is killed through
// its handle.
func TestProxyDeathEndsTheUnreportedStart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s", "t")
	r.okDone("command start service t", 1)
	r.expectSeq("t", starting)
	p := nextProxy(t, proxies)
	r.startProxied(p, "t", 600)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	if got := p.command(); !strings.HasPrefix(got, `{"command":"start","name":"s"`) {
		t.Fatalf("command %q, want the start of s", got)
	}
	// it forks s, and dies before it writes the pid
	r.fake.exit(t, p.pid, killedBy(syscall.SIGKILL))
	r.expectSeq("s", fail)
	r.fake.waitFor(t, "EndLostStart of s", func() bool { return len(r.fake.lost) > 0 })
	got := r.fake.lostCalls()
	if len(got) != 1 || got[0].name != "s" {
		t.Fatalf("EndLostStart calls %+v, want one, for s", got)
	}
	if c := got[0]; c.after == 0 || c.after >= c.before {
		t.Fatalf("EndLostStart(s) spans [%d, %d): want the start line's time to the proxy's end", c.after, c.before)
	}
}

// A proxy taken for gone after its grace (SIGKILLed, not reaped yet)
// still holds what it forked: its unreported starts are ended once its
// exit comes, when cfkd has adopted them, not before.
func TestProxyGraceEndsTheUnreportedStartAtItsExit(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.ProxyGrace = 50 * time.Millisecond })
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p := nextProxy(t, proxies)
	p.command() // the start of s, never answered
	r.ok("command proxydown p")
	r.fake.waitSignal(t, p.pid, syscall.SIGKILL)
	r.expectSeq("s", stopping, stopped) // stopped before its pid (REFERENCE §4.5)
	if got := r.fake.lostCalls(); len(got) != 0 {
		t.Fatalf("EndLostStart %+v before the proxy's exit: what it forked is still its child", got)
	}
	r.fake.exit(t, p.pid, killedBy(syscall.SIGKILL))
	r.fake.waitFor(t, "EndLostStart of s", func() bool { return len(r.fake.lost) > 0 })
	if got := r.fake.lostCalls(); len(got) != 1 || got[0].name != "s" {
		t.Fatalf("EndLostStart calls %+v, want one, for s", got)
	}
}

// handleFails is the fake launcher whose Handle fails, as the real one's
// does when the proxy died before the status reader took its handle: the
// process was cfkd's by then, no longer the proxy's child.
type handleFails struct{ *fakeLauncher }

func (h handleFails) Handle(pid, parent int) (*osproc.Process, error) {
	return nil, fmt.Errorf("pid %d is not a child of pid %d", pid, parent)
}

// A proxy that wrote `started` and died before cfkd took its handle on
// the process: the service had a pid, but no handle to kill it through
// at the proxy's end, and the process ran on, unsupervised. Its start is
// ended as an unreported one is.
func TestProxyDeathEndsTheUnheldStart(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.Launcher = handleFails{o.Launcher.(*fakeLauncher)} })
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 700)
	r.fake.exit(t, p.pid, killedBy(syscall.SIGKILL))
	r.expectSeq("s", fail)
	r.fake.waitFor(t, "EndLostStart of s", func() bool { return len(r.fake.lost) > 0 })
	if got := r.fake.lostCalls(); len(got) != 1 || got[0].name != "s" {
		t.Fatalf("EndLostStart calls %+v, want one, for s", got)
	}
}

// A proxy that dies before it reported the pids of many services (its
// preload failed before it read its first start lines: 220 services
// under it) was warned about once a service, each line an event; past
// three, one line names them (REFERENCE §4.5), and each start's orphans
// are still ended.
func TestProxyDeathWithManyUnreportedStartsSaysItOnce(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(logs))
	proxies := r.playProxies()
	names := []string{"a", "b", "c", "d", "e"}
	r.declareProxied(nil, names...)
	r.okDone("command start all", len(names))
	p := nextProxy(t, proxies)
	for range names {
		p.command() // read, never answered
	}
	r.fake.exit(t, p.pid, killedBy(syscall.SIGKILL))
	logs.wait(t, "proxy 'p' ended before cfkd held the processes of 5 services ('a', 'b', 'c', 'd', 'e'): ending the processes it may have forked for them")
	r.fake.waitFor(t, "EndLostStart of each", func() bool { return len(r.fake.lost) == len(names) })
	for _, w := range logs.warnings() {
		if strings.Contains(w, "held the process of") {
			t.Errorf("a warning a service: %q", w)
		}
	}
	if got := namesText([]string{"a", "b", "c"}, 2); got != "'a', 'b' and 1 more" {
		t.Errorf("namesText: %q", got)
	}
}

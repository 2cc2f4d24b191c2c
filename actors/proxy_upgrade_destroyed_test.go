package actors

import (
	"syscall"
	"testing"
)

// REFERENCE §4.5, §13.2: a start given up by a service destroyed since
// (stopped before its proxy reported the pid, then `destroy`) is still
// the proxy's outstanding start: its late `started` is killed and its
// exit ends what its process left, from its start line. Across an
// upgrade in place the state carried it, but the new cfkd dropped it
// with the service, declared no more: the exit was an unknown service's
// (an ERROR) and what the process left ran on until cfkd's shutdown.
func TestUpgradeCarriesTheStartOfADestroyedService(t *testing.T) {
	t.Parallel()
	old, p := givenUpStart(t)
	old.ok("command destroy service s")
	ex := old.export(true)
	if len(ex.Services) != 0 || len(ex.Proxies) != 1 || len(ex.Proxies[0].Services) != 1 {
		t.Fatalf("exported services %+v, proxies %+v: want none declared, p with the start of s", ex.Services, ex.Proxies)
	}
	px := &ex.Proxies[0]
	if st := px.Services[0].Starts; len(st) != 1 || !st[0].Left || st[0].Sent == 0 {
		t.Fatalf("exported starts of s %+v, want the one given up", st)
	}
	sent := px.Services[0].Starts[0].Sent
	nw := adoptProxied(t, ex, px)
	// a second upgrade would carry it on, given up
	if ex2 := nw.export(false); len(ex2.Proxies) != 1 || len(ex2.Proxies[0].Services) != 1 ||
		len(ex2.Proxies[0].Services[0].Starts) != 1 || !ex2.Proxies[0].Services[0].Starts[0].Left {
		t.Fatalf("exported proxies after the adoption %+v, want p with the start of s, given up", ex2.Proxies)
	}
	p.started("s", 301)
	nw.fake.waitSignal(t, 301, syscall.SIGKILL)
	p.stopped("s", 301, killedBy(syscall.SIGKILL))
	nw.fake.waitFor(t, "EndLostStart of s", func() bool { return len(nw.fake.lost) > 0 })
	if got := nw.fake.lostCalls(); len(got) != 1 || got[0].name != "s" || got[0].after != sent || got[0].after >= got[0].before {
		t.Fatalf("EndLostStart calls %+v, want one, for s, from its start line (%d)", got, sent)
	}
	// once its exit is handled, nothing of s is left to carry
	if ex2 := nw.export(false); len(ex2.Proxies) != 1 || len(ex2.Proxies[0].Services) != 0 {
		t.Fatalf("exported proxies after the exit %+v, want p with nothing of s", ex2.Proxies)
	}
}

package actors

import (
	"errors"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// The proxy actor forked and exec'd its process inside Receive: a launch
// that waited (a fork slot in a mass start, a binary on a hung mount)
// held the actor, and every message to it waited. The launch runs on a
// worker now: while it is held, the actor takes its messages (a second
// proxyup waits with the first, starts queue, a stop drops its queued
// start), and once it ends both proxyups are answered and the start left
// is sent.
func TestProxyLaunchDoesNotHoldTheActor(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s", "u")
	inLaunch, release := r.holdLaunch()
	up1 := r.async("command proxyup p")
	waitClosed(t, inLaunch, "launch")
	up2 := r.async("command proxyup p")
	r.okDone("command start service s", 1)
	r.okDone("command start service u", 1)
	r.expectSeq("s", starting)
	r.expectSeq("u", starting)
	// the proxy actor is not held: the stop of u, whose start is queued
	// behind the launch, is taken at once (its start dropped: u stopped)
	r.okDone("command stop service u", 1)
	r.expectSeq("u", stopping, stopped)
	close(release)
	p := nextProxy(t, proxies)
	for i, up := range []<-chan messages.Reply{up1, up2} {
		if rep := r.reply("proxyup", up); rep.Err != nil {
			t.Fatalf("proxyup %d: %v", i+1, rep.Err)
		}
	}
	// the start queued during the launch is sent once it runs, u's not
	if l := p.command(); !strings.Contains(l, `"command":"start","name":"s"`) {
		t.Fatalf("command %q", l)
	}
	p.started("s", 800)
	r.expectSeq("s", running)
}

// A launch that fails on its worker answers the proxyup with why, and
// refuses the starts queued behind it.
func TestProxyLaunchFailsOnItsWorker(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declareProxied(nil, "s")
	r.fake.failNextLaunch(errors.New("exec cfk-proxy: permission denied"))
	r.okDone("command start service s", 1)
	tr := r.expectSeq("s", starting, fail)
	if want := "Proxy 'p' can't run: exec cfk-proxy: permission denied"; tr[1].Reason != want {
		t.Fatalf("reason %q, want %q", tr[1].Reason, want)
	}
	r.fake.failNextLaunch(errors.New("exec cfk-proxy: permission denied"))
	r.fails("command proxyup p", "Proxy 'p' can't run: exec cfk-proxy: permission denied")
	if got := r.ok("command proxystatus"); got[0] != "p\tdown\t" {
		t.Fatalf("proxystatus %q", got)
	}
}

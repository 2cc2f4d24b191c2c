package actors

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
)

// noCommand fails if a command line comes within window.
func (p *playedProxy) noCommand(window time.Duration) {
	p.t.Helper()
	select {
	case l := <-p.cmds:
		p.t.Fatalf("command %q, want none for %v", l, window)
	case <-time.After(window):
	}
}

// stopName is the service a stop command names.
func stopName(t *testing.T, line string) string {
	t.Helper()
	c, err := proxywire.ParseCommand([]byte(line))
	if err != nil || c.Command != proxywire.CommandStop {
		t.Fatalf("command %q (%v), want a stop", line, err)
	}
	return c.Name
}

// proxyWindowRig starts n services under a played proxy and reads the
// start lines cfkd writes before the proxy answers any: proxyStartWindow.
func proxyWindowRig(t *testing.T, n int, opts ...func(*Options)) (*rig, *playedProxy, []string) {
	r := newRig(t, opts...)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.ok("proxy p cmd=cfk-proxy")
	for i := range n {
		r.ok(fmt.Sprintf("proxy p service s%d cmd=sleep 100", i))
	}
	r.okDone("command start all", n)
	p := nextProxy(t, proxies)
	var written []string
	for range proxyStartWindow {
		written = append(written, startName(t, p.command()))
	}
	return r, p, written
}

// A `stop` of services whose starts a proxy had not reached yet (a stop
// @px 2 s after a start @px of 2,000 services under cfk-proxy): cfk-proxy
// read every start line at once, none was left in cfkd for the stop to
// take back, and it forked some 1,200 services only to stop them, 770 of
// them logged `its proxy had not reported its pid 2s after the stop:
// considered stopped`. cfkd now writes proxyStartWindow start lines the
// proxy has not answered at most: the others wait in cfkd, and a stop
// takes them back, stopped at once, no line written.
func TestProxyStartsPastTheWindowWaitInCfkd(t *testing.T) {
	t.Parallel()
	const n = proxyStartWindow + 8
	r, p, written := proxyWindowRig(t, n)
	p.noCommand(window)
	// an answer lets one more go, the next in the order sent
	p.started(written[0], 1000)
	r.expectSeq(written[0], starting, running)
	next := startName(t, p.command())
	if slices.Contains(written, next) {
		t.Fatalf("start of %s written twice", next)
	}
	written = append(written, next)
	p.noCommand(window)
	r.okDone("command stop all", n)
	var stops []string
	for range len(written) {
		stops = append(stops, stopName(t, p.command()))
	}
	p.noCommand(window) // no start, no stop of the services held
	slices.Sort(stops)
	slices.Sort(written)
	if !slices.Equal(stops, written) {
		t.Fatalf("stop lines of %q, want those of the starts written %q", stops, written)
	}
	for i := range n {
		s := fmt.Sprintf("s%d", i)
		if !slices.Contains(written, s) {
			r.expectSeq(s, starting, stopping, stopped)
		}
	}
}

// A stop line waited in cfkd's backlog behind the start lines of other
// services held there, and cfkd counts its stopwait from writing it
// (REFERENCE §4.5): it goes ahead of them now, while the lines of each
// service keep their order.
func TestProxyStopLineGoesAheadOfHeldStarts(t *testing.T) {
	t.Parallel()
	r, p, written := proxyWindowRig(t, proxyStartWindow+8)
	p.started(written[0], 1000)
	r.expectSeq(written[0], starting, running)
	held := startName(t, p.command()) // the window is full again
	r.okDone("command stop service "+written[0], 1)
	if got := stopName(t, p.command()); got != written[0] {
		t.Fatalf("stop of %s, want %s's", got, written[0])
	}
	// the held starts go on in order as the proxy answers
	p.started(written[1], 1001)
	if got := startName(t, p.command()); got == held || slices.Contains(written, got) || !strings.HasPrefix(got, "s") {
		t.Fatalf("start of %s after the answer, want a held one", got)
	}
}

package actors

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
)

// A proxy that died while starts were held in cfkd past proxyStartWindow
// (a `start @px` of hundreds of services) was said to have died before
// cfkd held the processes of every one of them, held ones too (`proxy
// 'p' ended before cfkd held the processes of 35 services ... ending the
// processes it may have forked for them`), and cfkd looked for the
// orphans of each: the proxy never had the start line of a held one, and
// forked nothing for it. Only the starts written count (REFERENCE §4.5).
func TestProxyDeathCountsNoHeldStartAsLost(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r, p, written := proxyWindowRig(t, proxyStartWindow+3, captureLog(logs))
	p.noCommand(window)
	r.fake.exit(t, p.pid, killedBy(syscall.SIGKILL))
	sorted := slices.Sorted(slices.Values(written))
	logs.wait(t, fmt.Sprintf("proxy 'p' ended before cfkd held the processes of %d services (%s): ending the processes it may have forked for them",
		proxyStartWindow, namesText(sorted, 10)))
	r.fake.waitFor(t, "EndLostStart of each start written", func() bool { return len(r.fake.lost) >= proxyStartWindow })
	for _, c := range r.fake.lostCalls() {
		if !slices.Contains(written, c.name) {
			t.Errorf("EndLostStart(%s): its start line was never written", c.name)
		}
	}
}

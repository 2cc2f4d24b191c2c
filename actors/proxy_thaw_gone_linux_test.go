//go:build linux

package actors

import (
	"strings"
	"testing"
	"time"
)

// An export whose freeze was still waiting for the proxy's command writer
// (the proxy reads its commands slowly: the pipe is full) is given up and
// thawed (upgrade.restart set, until the goroutines report), then the proxy
// process ends: gone() handled only exportWait, the old run's late
// reports were dropped as stale, and restart stayed set for good. Every
// later freezing export of that proxy, relaunched and healthy, was
// refused "busy (thawing)", and the old run's pipe ends were never closed.
func TestProxyGoneAfterThawOfAFreezingExport(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	r.ok("service s respawn_on_fail=0")
	p := r.startFirstProxied(proxies, "s", 700)

	pid := r.tree.System.NewLocalPID(r.tree.Controller.Id + "/proxy/p")
	if _, ok := r.tree.System.ProcessRegistry.GetLocal(pid.Id); !ok {
		t.Fatalf("no proxy actor %s", pid.Id)
	}
	// the proxy does not read its commands: 64 lines fill the played
	// proxy's channel, the rest fills the pipe, and the writer blocks
	long := strings.Repeat("x", 8000)
	for i := range 100 {
		r.tree.System.Root.Send(pid, proxyStopRequest{name: long + string(rune('a'+i%26))})
	}
	res, _ := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: true}, 300*time.Millisecond).Result()
	if ex, ok := res.(Exported); ok {
		t.Fatalf("export answered (%v) while the command writer is blocked", ex.Err)
	}
	if _, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ThawState{}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	// the proxy ends before its writer could report
	r.fake.exit(t, p.pid, exitCode(0))
	r.expectSeq("s", fail)
	go func() {
		for range p.cmds {
		}
	}()

	// a new run of the proxy, healthy
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p2 := nextProxy(t, proxies)
	r.startProxied(p2, "s", 701)
	res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: true}, deadline).Result()
	t.Cleanup(func() { r.tree.System.Root.RequestFuture(r.tree.Controller, ThawState{}, deadline).Result() })
	if err != nil {
		t.Fatal(err)
	}
	if ex := res.(Exported); ex.Err != nil {
		t.Fatalf("freezing export of a healthy proxy refused: %v", ex.Err)
	}
}

//go:build linux

package actors

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// closeProxyLogPipe makes the played proxy close its log pipe (a proxy
// that does not log, or one that is dying) and waits until cfkd's log
// reader saw the EOF and closed its end: no fd of this process is that
// pipe any more.
func closeProxyLogPipe(t *testing.T, p *playedProxy) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(p.logW.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	target := fmt.Sprintf("pipe:[%d]", st.Ino)
	p.logW.Close()
	until := time.Now().Add(deadline)
	for {
		open := false
		names, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if l, err := os.Readlink("/proc/self/fd/" + n.Name()); err == nil && l == target {
				open = true
				break
			}
		}
		if !open {
			return
		}
		if time.Now().After(until) {
			t.Fatalf("cfkd's end of the log pipe still open after %v", deadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runningWithClosedLog: service s runs (pid) under proxy p, which closed
// its log pipe. The proxy is not shut down for it meanwhile (a closed log
// pipe is, proxyMuteWait after its EOF: proxy_mute.go): the tests' steps
// after the EOF, slowed on a loaded machine, must not race that timer.
func runningWithClosedLog(t *testing.T, pid int) (*rig, *playedProxy) {
	r := newRig(t, func(o *Options) { o.proxyMuteWait = time.Hour })
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", pid)
	closeProxyLogPipe(t, p)
	return r, p
}

// TestProxyExportAfterLogPipeEOF: a proxy that closed its log pipe (its
// reader returned at EOF) made a freezing export wait for a
// proxyPipeFrozen("log") that never came: the upgrade was never answered.
// It is refused now (the proxy is ending, or does without its log).
func TestProxyExportAfterLogPipeEOF(t *testing.T) {
	t.Parallel()
	r, _ := runningWithClosedLog(t, 700)

	res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: true}, 3*time.Second).Result()
	t.Cleanup(func() { r.tree.System.Root.RequestFuture(r.tree.Controller, ThawState{}, deadline).Result() })
	if err != nil {
		t.Fatalf("freezing export with a proxy whose log pipe is at EOF: %v (never answered)", err)
	}
	if ex := res.(Exported); ex.Err == nil || !strings.Contains(ex.Err.Error(), "proxy 'p' is ending (it closed its log pipe): try again") {
		t.Fatalf("export answered %v, want it refused: the proxy is ending", ex.Err)
	}
}

// TestProxyCommandsAfterThawOfStuckExport: after such an export was given
// up and thawed (what the daemon does after askTimeout), the proxy's
// command writer and status reader were never started again: a stop of
// the service never reached the proxy.
func TestProxyCommandsAfterThawOfStuckExport(t *testing.T) {
	t.Parallel()
	r, p := runningWithClosedLog(t, 701)

	// the daemon's export, which it gives up on, then thaws
	r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: true}, 500*time.Millisecond).Result()
	if _, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ThawState{}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	r.okDone("command stop service s", 1)
	select {
	case l, ok := <-p.cmds:
		if !ok || !strings.HasPrefix(l, `{"command":"stop","name":"s"`) {
			t.Fatalf("command %q (open %v), want the stop of s", l, ok)
		}
	case <-time.After(deadline):
		t.Fatalf("the stop of s never reached the proxy after a thawed export (%v): its command writer is stopped for good", deadline)
	}
}

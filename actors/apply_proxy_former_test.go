package actors

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// An apply that changed a running proxy's cmd (`~ proxy p: cmd`) left its
// process on the old program, as documented (a change takes effect at its
// next run), but the next apply said `no changes`, and nothing showed
// that the proxy ran a former declaration. Its `~` line says so in every
// plan while it runs (REFERENCE §1.4, §1.6), the snapshot too, and no
// service under it is restarted for it; once it ran again, `no changes`.
func TestApplyShowsAProxyRunningAFormerDeclaration(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 4242)
	base := "proxy p service s cmd=sleep 100\nproxy p service s startwait_secs=0.02\n"
	r.applyOK("dry-run", "proxy p cmd=cfk-proxy --preload x\n"+base, "no changes")
	file := "proxy p cmd=cfk-proxy --preload y\n" + base
	r.applyOK("", file, "~ proxy p: cmd")
	const former = "~ proxy p: (running a former declaration)"
	r.applyOK("", file, former)
	r.applyOK("dry-run", file, former)
	r.applyOK("", file+"proxy p desc=x\n", "~ proxy p: desc (running a former declaration)")
	r.ok("proxy p desc=") // a label: no process changes
	r.applyOK("dry-run", file, former)
	if snap := r.snapshot(nil); len(snap.Proxies) != 1 || !snap.Proxies[0].Former || !snap.Proxies[0].Up {
		t.Fatalf("snapshot proxies %+v", snap.Proxies)
	}
	r.expectQuiet("s", 50*time.Millisecond) // not restarted for it
	// it runs again once down: the new declaration's
	r.okDone("command stop service s", 1)
	if got := p.command(); got != `{"command":"stop","name":"s"}` {
		t.Fatalf("stop command %q", got)
	}
	p.stopped("s", 4242, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopping, stopped)
	p.eof()
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	waitProxyStatus(r, "p\tdown\t")
	r.applyOK("", file, "no changes")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p2 := nextProxy(t, proxies)
	if got := strings.Join(p2.spec.Argv, " "); got != "cfk-proxy --preload y" {
		t.Fatalf("proxy run as %q", got)
	}
	r.startProxied(p2, "s", 5000)
	r.applyOK("", file, "no changes")
	if snap := r.snapshot(nil); snap.Proxies[0].Former {
		t.Fatalf("snapshot proxies %+v", snap.Proxies)
	}
}

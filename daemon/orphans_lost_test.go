//go:build linux

package daemon

import (
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// A proxy that forked a service and died before it reported the pid left
// that process to cfkd, which knew nothing of it: it ran unsupervised
// until the service's next stop. EndLostStart (the proxy actor calls it
// once the proxy's exit is reaped) ends the orphans of the service
// started between the start line and the proxy's end, and spares the
// daemons the service's earlier runs left (REFERENCE §7.5: kept until a
// stop).
func TestEndLostStartEndsWhatTheDeadProxyForked(t *testing.T) {
	r := newOrphanRig(t, `exit 0`) // an earlier run: exits on its own, its worker kept
	select {
	case ws := <-r.svcExit:
		r.svcExit <- ws // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("the service did not exit")
	}
	r.workerAged(t)
	sent := osproc.BootTicks() // the start line goes to the proxy

	// the proxy: forks the service's process, and dies before reporting
	proxyExit := make(chan syscall.WaitStatus, 1)
	if _, err := r.k.Launch(osproc.Spec{
		Argv:   []string{"/bin/sh", "-c", `setsid sleep 1004 </dev/null >/dev/null 2>&1 & kill -9 $$`},
		Env:    r.env,
		Setsid: true,
	}, func(_ int, ws syscall.WaitStatus) { proxyExit <- ws }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proxyExit:
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy did not die")
	}
	lost := 0
	for end := time.Now().Add(5 * time.Second); lost == 0; {
		for _, o := range r.k.AdoptedOrphans() {
			if o.Service == "svc" && o.Pid != r.worker {
				lost = o.Pid
			}
		}
		if lost == 0 {
			if time.Now().After(end) {
				t.Fatal("the process the proxy forked was never adopted")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Cleanup(func() { killOrphan(t, lost) })

	r.k.EndLostStart("svc", sent, osproc.BootTicks()+1)
	r.k.pending.Wait() // the scan and the terminations it began
	if p, ok := osproc.ReadProc(lost); ok && p.State != 'Z' {
		t.Errorf("the process (pid %d) the dead proxy forked for svc was left running", lost)
	}
	if !r.workerAlive() {
		t.Errorf("the worker (pid %d) of an earlier run of svc was ended with the lost start", r.worker)
		r.worker = 0
	}
}

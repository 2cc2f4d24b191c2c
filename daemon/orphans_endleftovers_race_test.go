//go:build linux

package daemon

import (
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/osproc"
)

// EndLeftovers (a stop of a service in backoff or down) ends the daemons
// its earlier runs left, in a scan that comes later (scanLoop's pause
// after a scan, or a scan under way): meanwhile the stop was answered and
// a new run started, whose daemons the scan took for leftovers and
// killed (`stop svc; start svc` of a service that daemonises). Only the
// orphans started before EndLeftovers are ended.
func TestEndLeftoversSparesTheNewRunsDaemons(t *testing.T) {
	r := newOrphanRig(t, `exit 0`) // exits on its own, its worker left
	select {
	case ws := <-r.svcExit:
		r.svcExit <- ws // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("the service did not exit")
	}
	// a scan under way (here: held in its deliver) holds the next one
	hold, held := make(chan struct{}), make(chan struct{})
	released := false
	release := func() {
		if !released {
			released = true
			close(hold)
		}
	}
	t.Cleanup(release)
	r.k.AfterProxiedStop("other", 0, func() { close(held); <-hold })
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the first scan never delivered")
	}
	r.workerAged(t)
	r.k.EndLeftovers("svc") // the stop, answered at once

	// the start that follows: a new run that daemonises
	exited := make(chan syscall.WaitStatus, 1)
	if _, err := r.k.Launch(osproc.Spec{
		Argv:   []string{"/bin/sh", "-c", `/bin/sh -c 'sleep 1002 </dev/null >/dev/null 2>&1 &'; exit 0`},
		Env:    r.env,
		Setsid: true,
		Tag:    actors.ServiceTag("svc"),
	}, func(_ int, ws syscall.WaitStatus) { exited <- ws }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the new run did not exit")
	}
	fresh := 0
	for end := time.Now().Add(5 * time.Second); fresh == 0; {
		for _, o := range r.k.AdoptedOrphans() {
			if o.Service == "svc" && o.Pid != r.worker {
				fresh = o.Pid
			}
		}
		if fresh == 0 {
			if time.Now().After(end) {
				t.Fatal("the new run's worker was never adopted")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Cleanup(func() { killOrphan(t, fresh) })

	release()
	r.k.pending.Wait() // the scans and the terminations they began
	if r.workerAlive() {
		t.Errorf("service svc stopped while down; its earlier run's worker (pid %d) was left running", r.worker)
	}
	if p, ok := osproc.ReadProc(fresh); !ok || p.State == 'Z' {
		t.Errorf("the worker (pid %d) of the run started after the stop was killed as a leftover", fresh)
	}
}

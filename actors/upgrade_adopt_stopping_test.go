package actors

import (
	"sync"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
)

// adoptingFake is the fake launcher with the adopter's methods, noting
// how each service's process was adopted (stopping or not).
type adoptingFake struct {
	*fakeLauncher
	mu       sync.Mutex
	stopping map[string]bool
}

func (a *adoptingFake) Adopt(pid int, group bool, onExit func(int, syscall.WaitStatus)) *osproc.Process {
	return &osproc.Process{Pid: pid}
}
func (a *adoptingFake) AdoptOutput(osproc.FrozenPipe, func(int, []byte)) error { return nil }
func (a *adoptingFake) AdoptOutputLines(osproc.FrozenPipe, func(int, *osproc.Lines)) error {
	return nil
}
func (a *adoptingFake) AdoptService(name string, pid int, group, stopping bool, onExit func(int, syscall.WaitStatus)) *osproc.Process {
	a.mu.Lock()
	a.stopping[name] = stopping
	a.mu.Unlock()
	return &osproc.Process{Pid: pid}
}

// The new cfkd of an upgrade adopts a process the former cfkd was
// stopping (t) as stopped by cfkd, so that its orphans are ended at its
// exit; so too one the former cfkd sent SIGTERM by `command signal` (s),
// which its orphan killer took for a stop: it was adopted as not
// stopped, and its daemonised orphans outlived its exit (REFERENCE §7.5).
// A running service (u) is not.
func TestUpgradeAdoptsWhatCfkdStopped(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	old.startRunning("s")
	old.okDone("command signal TERM service s", 1) // the process ignores it for a moment
	old.startRunning("t")
	old.ok("command stop service t")
	old.expectSeq("t", stopping)
	old.startRunning("u")
	ex := old.export(true)

	var ad *adoptingFake
	nw := newRig(t, func(o *Options) {
		ad = &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}}
		o.Launcher = ad
	})
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: &upgrade.State{Services: ex.Services}}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	ad.mu.Lock()
	defer ad.mu.Unlock()
	if want := map[string]bool{"s": true, "t": true, "u": false}; len(ad.stopping) != 3 || ad.stopping["s"] != want["s"] || ad.stopping["t"] != want["t"] || ad.stopping["u"] {
		t.Fatalf("adopted as stopping: %v, want %v", ad.stopping, want)
	}
}

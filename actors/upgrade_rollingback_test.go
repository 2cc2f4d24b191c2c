package actors

import (
	"errors"
	"testing"
)

// A rollback after the takeover (daemon's rollback_taken.go) is an
// upgrade under way: from RollingBack on, a shutdown and an upgrade are
// refused (REFERENCE §13.5); one asked once a shutdown began is refused
// with ErrShuttingDown, the shutdown going on.
func TestRollingBackRefusesShutdown(t *testing.T) {
	t.Parallel()
	h := &upgradeHook{asked: make(chan upgradeAsk, 1)}
	r := newRig(t, withUpgrade(h))
	r.startRunning("s")
	if rep, err := r.tree.Request(RollingBack{}, deadline); err != nil || rep.Err != nil {
		t.Fatalf("RollingBack: %v %v", err, rep.Err)
	}
	r.fails("command shutdown", "an upgrade is under way")
	r.fails("command upgrade", "an upgrade is already under way")
	if rep, err := r.tree.Request(RollingBack{}, deadline); err != nil || rep.Err == nil {
		t.Fatalf("a second RollingBack: %v %v, want refused", err, rep.Err)
	}
	if st := r.status("s"); st[1] != "running" {
		t.Errorf("s after a refused shutdown: %q", st)
	}
	// nor are the launches stopped (REFERENCE §7.4): cfkd may roll back,
	// and launch again
	r.fake.mu.Lock()
	stopped := r.fake.stopped
	r.fake.mu.Unlock()
	if stopped {
		t.Error("a shutdown refused for the upgrade under way stopped the launches")
	}

	r = newRig(t)
	r.async("command shutdown")
	r.wait("the shutdown", func() bool { return r.shutdowns == 1 })
	if rep, err := r.tree.Request(RollingBack{}, deadline); err != nil || !errors.Is(rep.Err, ErrShuttingDown) {
		t.Fatalf("RollingBack once shutting down: %v %v, want %v", err, rep.Err, ErrShuttingDown)
	}
}

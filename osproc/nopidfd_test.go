//go:build !linux || cfkportable

// The process handles without pidfds (nopidfd.go): these tests run in the
// portable build only, make test-portable on Linux (REFERENCE §11).

package osproc

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// Without pidfds nothing but cfkd's children is ever signalled: Handle and
// OpenTarget fail with ErrNoHandle, and a Process without a handle is
// refused, as with pidfds.
func TestNoHandleWithoutPidfds(t *testing.T) {
	c := start(t, Spec{Argv: sh("sleep 100 & wait"), Setsid: true})
	if _, err := launcher.Handle(c.Pid+1, c.Pid); !errors.Is(err, ErrNoHandle) {
		t.Fatalf("Handle: %v, want ErrNoHandle", err)
	}
	if _, err := OpenTarget(c.Pid, true); !errors.Is(err, ErrNoHandle) {
		t.Fatalf("OpenTarget: %v, want ErrNoHandle", err)
	}
	if err := launcher.Signal(&Process{Pid: c.Pid}, syscall.SIGKILL); err == nil {
		t.Fatal("a Process with no handle was signalled")
	}
	(&Process{Pid: c.Pid}).Close() // nothing to release
}

// A Target on a child is never signalled once the reaper said it reaped
// the pid (it may be another process's since), and its wait ends then.
// The reap is simulated on a live child, which must survive SIGKILL sent
// through the Target.
func TestTargetSilentOnceReaped(t *testing.T) {
	c := start(t, Spec{Argv: []string{"sleep", "100"}, Setsid: true})
	tg := &Target{Pid: c.Pid, Group: true}
	launcher.mu.Lock()
	launcher.keepTarget(tg)
	launcher.keepTarget(&Target{Pid: c.Pid}) // a second Target on the pid
	reaped := launcher.reapedTarget(c.Pid)
	launcher.mu.Unlock()
	if !reaped {
		t.Fatal("reapedTarget: no Target on the pid")
	}
	start := time.Now()
	if left := waitExit([]*Target{tg}, deadline); len(left) != 0 || time.Since(start) > deadline/2 {
		t.Fatalf("waitExit of a reaped target: %d left after %v", len(left), time.Since(start))
	}
	tg.signal(syscall.SIGKILL)
	select {
	case e := <-c.exit:
		t.Fatalf("the child died (%v): a reaped Target signalled it", e.ws)
	case <-time.After(100 * time.Millisecond):
	}
	tg.Close()
	tg.Close() // twice is fine
	launcher.mu.RLock()
	n := len(launcher.targets)
	launcher.mu.RUnlock()
	if n != 0 {
		t.Fatalf("%d exits still kept for Targets", n)
	}
}

package daemon

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestGCPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{{0, 100}, {1 << 20, 100}, {smallHeap - 1, 100}, {smallHeap, 50}, {1 << 30, 50}} {
		if got := gcPercent(c.live); got != c.want {
			t.Errorf("gcPercent(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// The policy follows the live heap across collections: 100 while it is
// small, 50 once it holds more than smallHeap, 100 again once that is
// garbage. GOGC in the environment turns it off.
func TestGCPolicyFollowsHeap(t *testing.T) {
	if startGCPolicy("200", nil) != nil {
		t.Fatal("a policy with GOGC in the environment")
	}
	percent0 := debug.SetGCPercent(100)
	defer debug.SetGCPercent(percent0)
	runtime.GC()
	if v, _ := readUint64s("/gc/heap/live:bytes"); v[0] >= smallHeap {
		t.Skipf("the test's own live heap is %d bytes already", v[0])
	}
	debug.SetGCPercent(70)
	p := startGCPolicy("", nil)
	defer p.stop()
	gogc := func() uint64 { percent, _, _ := gcSettings(t); return percent }
	if got := gogc(); got != 100 {
		t.Fatalf("GOGC with a small heap: %d, want 100", got)
	}
	keep := make([]byte, 2*smallHeap)
	waitFor(t, "GOGC 50 with a large live heap", func() bool { runtime.GC(); return gogc() == 50 })
	runtime.KeepAlive(keep)
	keep = nil
	waitFor(t, "GOGC 100 once the heap is small again", func() bool { runtime.GC(); return gogc() == 100 })
	p.stop()
	debug.SetGCPercent(70)
	keep = make([]byte, 2*smallHeap)
	runtime.GC()
	runtime.GC()
	runtime.KeepAlive(keep)
	if got := gogc(); got != 70 {
		t.Errorf("GOGC after the policy stopped: %d, want 70 as set", got)
	}
}

// While idle (GOGC off), a percent goes to what leave puts back; GOGC
// stays off meanwhile.
func TestIdleGCSetPercent(t *testing.T) {
	percent0 := debug.SetGCPercent(100)
	defer debug.SetGCPercent(percent0)
	g := &idleGC{headroom: 64 << 20}
	defer g.leave()
	g.enter()
	g.setPercent(77)
	if percent, _, _ := gcSettings(t); percent != math.MaxUint64 {
		t.Errorf("GOGC while idle after setPercent: %d, want off", percent)
	}
	g.leave()
	if percent, _, _ := gcSettings(t); percent != 77 {
		t.Errorf("GOGC after leave: %d, want the 77 set while idle", percent)
	}
	g.setPercent(60)
	if percent, _, _ := gcSettings(t); percent != 60 {
		t.Errorf("GOGC after setPercent while active: %d, want 60", percent)
	}
}

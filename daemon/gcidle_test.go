package daemon

import (
	"math"
	"os"
	"testing"
	"time"
)

// gcSettings reads GOGC (math.MaxUint64: off), the memory limit and the
// collections so far.
func gcSettings(t *testing.T) (percent, limit, cycles uint64) {
	t.Helper()
	v, ok := readUint64s("/gc/gogc:percent", "/gc/gomemlimit:bytes", "/gc/cycles/total:gc-cycles")
	if !ok {
		t.Fatal("runtime metrics of the collector unknown")
	}
	return v[0], v[1], v[2]
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within 10s", what)
		}
	}
}

// enter turns GOGC off with a limit in its place; leave puts back what
// was there before, also after two enters.
func TestIdleGCSwitch(t *testing.T) {
	percent0, limit0, _ := gcSettings(t)
	g := &idleGC{headroom: 64 << 20}
	defer g.leave()
	g.enter()
	g.enter()
	percent, limit, _ := gcSettings(t)
	if percent != math.MaxUint64 {
		t.Errorf("GOGC while idle: %d, want off", percent)
	}
	if limit == math.MaxInt64 || limit < 64<<20 {
		t.Errorf("memory limit while idle: %d, want one at least the headroom (64 MiB) over the memory in use", limit)
	}
	g.leave()
	if percent, limit, _ := gcSettings(t); percent != percent0 || limit != limit0 {
		t.Errorf("after leave: GOGC %d, limit %d; want %d and %d as before", percent, limit, percent0, limit0)
	}
	if g.on.Load() {
		t.Error("idling after leave")
	}
}

// While idle the heap stays bounded: growing past the headroom starts a
// collection (the limit), and that collection puts GOGC back.
func TestIdleGCBounded(t *testing.T) {
	percent0, limit0, _ := gcSettings(t)
	g := &idleGC{headroom: 16 << 20}
	defer g.leave()
	g.enter()
	_, _, cycles0 := gcSettings(t)
	collected := false
	for i := 0; i < 512 && !collected; i++ { // at most 512 MiB of garbage
		sink = make([]byte, 1<<20)
		_, _, cycles := gcSettings(t)
		collected = cycles > cycles0
	}
	sink = nil
	if !collected {
		t.Fatal("512 MiB allocated while idle and no collection: the heap is not bounded")
	}
	waitFor(t, "GOGC back after the collection", func() bool { return !g.on.Load() })
	if percent, limit, _ := gcSettings(t); percent != percent0 || limit != limit0 {
		t.Errorf("after the collection: GOGC %d, limit %d; want %d and %d as before", percent, limit, percent0, limit0)
	}
}

// The trimmer's trims make cfkd idle; its activity ends that at once.
func TestTrimmerIdle(t *testing.T) {
	g := &idleGC{headroom: 64 << 20}
	tr := newTrimmer(20*time.Millisecond, func() {})
	tr.idle = g
	defer tr.stop()
	tr.touch()
	waitFor(t, "idle after the delay", g.on.Load)
	tr.touch() // from an actor: the switch back comes in a goroutine
	waitFor(t, "not idle after activity", func() bool { return !g.on.Load() })
	tr.now()
	if !g.on.Load() {
		t.Error("not idle after a burst's trim")
	}
	tr.stop()
	if g.on.Load() {
		t.Error("still idle after stop")
	}
	var none *idleGC // GOGC or GOMEMLIMIT set by the user
	none.enter()
	none.leave()
}

// GOGC or GOMEMLIMIT in the environment: the user chose, cfkd leaves the
// collector alone.
func TestIdleGCUserSettings(t *testing.T) {
	for _, v := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(v, func(t *testing.T) {
			t.Setenv("GOGC", "")
			t.Setenv("GOMEMLIMIT", "")
			if newIdleGC() == nil {
				t.Fatal("no idleGC without GOGC or GOMEMLIMIT")
			}
			t.Setenv(v, map[string]string{"GOGC": "200", "GOMEMLIMIT": "1GiB"}[v])
			if g := newIdleGC(); g != nil {
				t.Errorf("%s=%s: an idleGC, want none", v, os.Getenv(v))
			}
		})
	}
}

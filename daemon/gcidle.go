package daemon

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// idleHeadroom is the least the heap may grow by, while cfkd is idle,
// before a collection.
const idleHeadroom = 8 << 20

// idleGC keeps an idle cfkd asleep. The Go runtime collects at least
// every two minutes, whatever was allocated, as long as GOGC is on: with
// 9,000 services that is 20 to 40 ms of CPU each time for nothing, an
// idle cfkd's only CPU. From a trim (the end of activity: trim.go) to the
// next activity, idleGC turns GOGC off and puts a memory limit in its
// place at what GOGC would allow (the memory in use now plus GOGC% of the
// live heap, idleHeadroom at least): memory stays bounded as before, a
// collection still comes when it grows that much, and none comes by the
// clock. The first activity (trimmer.touch, trimmer.now) or the first
// collection (a cleanup on an object made at the switch) puts GOGC and
// the limit back as they were.
//
// It does nothing when GOGC or GOMEMLIMIT are in cfkd's environment: the
// user chose the collector's settings (newIdleGC returns nil, and a nil
// idleGC's methods do nothing).
type idleGC struct {
	headroom uint64

	mu      sync.Mutex
	on      atomic.Bool // GOGC off and the limit set by enter (written under mu)
	gen     uint64      // enter's count: a cleanup of an earlier one is stale
	percent int         // GOGC to put back
	limit   int64       // memory limit to put back
}

func newIdleGC() *idleGC {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	return &idleGC{headroom: idleHeadroom}
}

// gcMark is the object whose cleanup says a collection ran.
type gcMark struct{ _ *byte } // a pointer: never in the tiny allocator

// enter turns the clock's collections off (cfkd is idle).
func (g *idleGC) enter() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.on.Load() {
		return
	}
	inUse, live, percent := idleFootprint()
	if percent <= 0 { // GOGC off already: nothing runs by the clock
		return
	}
	grow := max(live*percent/100, g.headroom)
	g.limit = debug.SetMemoryLimit(int64(min(inUse+grow, math.MaxInt64/2)))
	g.percent = debug.SetGCPercent(-1) // waits if a collection is marking
	g.on.Store(true)
	g.gen++
	runtime.AddCleanup(&gcMark{}, g.collected, g.gen)
}

// leave puts GOGC and the memory limit back (activity).
func (g *idleGC) leave() {
	if g == nil || !g.on.Load() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.restore()
}

// collected is the cleanup of enter's gcMark: a collection ran.
func (g *idleGC) collected(gen uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gen == g.gen {
		g.restore()
	}
}

func (g *idleGC) restore() {
	if !g.on.Load() {
		return
	}
	debug.SetGCPercent(g.percent)
	debug.SetMemoryLimit(g.limit)
	g.on.Store(false)
}

// setPercent sets GOGC, or, while idle (GOGC off), the GOGC restore puts
// back. A nil idleGC sets it at once.
func (g *idleGC) setPercent(percent int) {
	if g == nil {
		debug.SetGCPercent(percent)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.on.Load() {
		g.percent = percent
		return
	}
	debug.SetGCPercent(percent)
}

// leaveSoon is leave for a caller that must not wait (an actor: a start
// or a stop of a process; an admin reply): while idle, leave runs in a
// goroutine of its own, since enter may hold mu while a collection
// finishes its mark. The limit stays meanwhile, so memory stays bounded.
func (g *idleGC) leaveSoon() {
	if g != nil && g.on.Load() {
		go g.leave()
	}
}

// idleFootprint reads the memory the limit counts (everything mapped
// and not returned to the OS), the live heap of the last collection and
// GOGC.
func idleFootprint() (inUse, live, percent uint64) {
	v, ok := readUint64s("/memory/classes/total:bytes", "/memory/classes/heap/released:bytes",
		"/gc/heap/live:bytes", "/gc/gogc:percent")
	if !ok {
		return 0, 0, 0 // unknown to this runtime: leave GOGC on
	}
	total, released, percent := v[0], v[1], v[3]
	if percent > math.MaxInt32 { // off: -1 as a uint64
		percent = 0
	}
	return total - min(released, total), v[2], percent
}

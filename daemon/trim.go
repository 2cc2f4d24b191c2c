package daemon

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// trimDelay is how long cfkd must have started or stopped no process
// before it returns its free memory to the OS.
const trimDelay = 5 * time.Second

// trimmer returns cfkd's free memory to the OS (a GC, then every free page
// handed back: debug.FreeOSMemory) once activity is over: after a burst
// (a verb sent to many services was answered: at once), or trimDelay after
// the last start or stop of a process. Without it, the garbage of churn
// stays in cfkd's RSS until the runtime's periodic GC and its scavenger
// get to it, minutes later. It is a timer re-armed by activity, never a
// loop: an idle cfkd trims once, then sleeps.
type trimmer struct {
	delay time.Duration
	trim  func()
	idle  *idleGC // after each trim, until the next activity (gcidle.go)

	mu      sync.Mutex
	timer   *time.Timer // armed while a trim is due
	touched time.Time   // the last touch: the due trim comes delay after it
}

func newTrimmer(delay time.Duration, trim func()) *trimmer {
	if trim == nil {
		trim = trimIfWorth
	}
	return &trimmer{delay: delay, trim: trim}
}

// touch notes activity: a trim is due delay from now.
func (t *trimmer) touch() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.idle.leaveSoon() // touch is called from actors: it never waits
	t.touched = time.Now()
	if t.timer == nil {
		t.timer = time.AfterFunc(t.delay, t.due)
		return
	}
	t.timer.Reset(t.delay)
}

// due is the timer's: the trim, unless a touch came after the timer
// fired and before this ran (its Reset armed the timer again, which
// fires delay after it: this one is stale).
func (t *trimmer) due() {
	t.mu.Lock()
	stale := time.Since(t.touched) < t.delay
	t.mu.Unlock()
	if !stale {
		t.quiet()
	}
}

// quiet is the trim that comes once activity is over; cfkd is idle
// after it, with the collector's settings of the memory left then.
func (t *trimmer) quiet() {
	t.idle.leave()
	t.trim()
	t.idle.enter()
}

// now trims at once (the end of a burst); the trim that was due is off.
func (t *trimmer) now() {
	t.mu.Lock()
	if t.timer != nil {
		t.timer.Stop()
	}
	t.mu.Unlock()
	t.quiet()
}

// stop turns the timer off for good (shutdown).
func (t *trimmer) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
	}
	t.idle.leave()
}

// trimWorth is how much memory a trim must be able to hand back for it
// to be worth its cost: the garbage collection it starts marks the whole
// heap (about 40 ms of CPU with 9,000 services), which an idle cfkd
// should not spend to return a few pages.
const trimWorth = 2 << 20

// trimIfWorth trims (debug.FreeOSMemory) when the heap holds trimWorth
// or more that a trim would hand back: objects allocated since the last
// collection (garbage, or live that the next collection keeps), plus
// free pages not yet returned to the OS, less those the last trim left
// (the runtime keeps some free pages a trim does not return: counted,
// they would make every trim look worth it). A console polling the
// status of thousands of services makes almost none (its replies reuse
// their buffers: REFERENCE §7.5), so the trim after it costs nothing.
func trimIfWorth() {
	if reclaimable() >= trimWorth {
		trimNow()
	}
}

// keptFree is the free heap a trim did not return, read right after it.
var keptFree atomic.Uint64

// trimNow trims and notes what it could not return.
func trimNow() {
	debug.FreeOSMemory()
	_, _, free, ok := heapNow()
	if ok {
		keptFree.Store(free)
	}
}

// reclaimable is what a trim could return now.
func reclaimable() uint64 {
	objects, live, free, ok := heapNow()
	if !ok {
		return trimWorth // unknown to this runtime: trim as before
	}
	var since uint64
	if objects > live {
		since = objects - live
	}
	return since + free - min(free, keptFree.Load())
}

// heapNow reads the runtime's heap metrics: the bytes of heap objects,
// the live heap of the last collection and the free pages not returned.
func heapNow() (objects, live, free uint64, ok bool) {
	v, ok := readUint64s("/memory/classes/heap/objects:bytes", "/gc/heap/live:bytes", "/memory/classes/heap/free:bytes")
	if !ok {
		return 0, 0, 0, false
	}
	return v[0], v[1], v[2], true
}

// readUint64s reads runtime metrics of kind uint64; false if this runtime
// does not know one of them.
func readUint64s(names ...string) ([]uint64, bool) {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	v := make([]uint64, len(s))
	for i, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			return nil, false
		}
		v[i] = x.Value.Uint64()
	}
	return v, true
}

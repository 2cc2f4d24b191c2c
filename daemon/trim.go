package daemon

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
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

	mu    sync.Mutex
	timer *time.Timer // armed while a trim is due
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
	if t.timer == nil {
		t.timer = time.AfterFunc(t.delay, t.trim)
		return
	}
	t.timer.Reset(t.delay)
}

// now trims at once (the end of a burst); the trim that was due is off.
func (t *trimmer) now() {
	t.mu.Lock()
	if t.timer != nil {
		t.timer.Stop()
	}
	t.mu.Unlock()
	t.trim()
}

// stop turns the timer off for good (shutdown).
func (t *trimmer) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
	}
}

// trimWorth is how much memory a trim must be able to hand back for it
// to be worth its cost: the garbage collection it starts marks the whole
// heap (about 40 ms of CPU with 9,000 services), which an idle cfkd
// should not spend to return a few pages.
const trimWorth = 2 << 20

// trimIfWorth trims (debug.FreeOSMemory) when the heap holds trimWorth
// or more that a trim would hand back: objects allocated since the last
// collection (garbage, or live that the next collection keeps), plus
// free pages not yet returned to the OS. A console polling the status of
// thousands of services makes almost none (its replies reuse their
// buffers: REFERENCE §7.5), so the trim after it costs nothing.
func trimIfWorth() {
	if reclaimable() >= trimWorth {
		debug.FreeOSMemory()
	}
}

// reclaimable reads the runtime's heap metrics: what a trim could return.
func reclaimable() uint64 {
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(s)
	for _, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			return trimWorth // unknown to this runtime: trim as before
		}
	}
	objects, live, free := s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()
	var since uint64
	if objects > live {
		since = objects - live
	}
	return since + free
}

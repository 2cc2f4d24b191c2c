package daemon

import (
	"runtime/debug"
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
		trim = debug.FreeOSMemory
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

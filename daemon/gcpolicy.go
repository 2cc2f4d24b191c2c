package daemon

import (
	"runtime"
	"sync"
)

// smallHeap is the live heap under which cfkd collects at the runtime's
// default GOGC (about 2,000 declared services); from it on, at
// largeHeapPercent.
const (
	smallHeap        = 8 << 20
	smallHeapPercent = 100
	largeHeapPercent = 50
)

// gcPercent is cfkd's GOGC for a live heap of live bytes (REFERENCE
// §7.5). A small heap collects at the runtime's default: at 50% the
// runtime's floor of the heap goal halves too (4 MiB × GOGC/100), so a
// fresh cfkd collected at every megabyte, three times while a client
// declared 1,000 services, which halved that client's rate. A large one
// collects at 50%, which keeps the footprint of thousands of services
// small (a start of 9,000: 69 MiB at its peak instead of 85).
func gcPercent(live uint64) int {
	if live < smallHeap {
		return smallHeapPercent
	}
	return largeHeapPercent
}

// gcPolicy sets GOGC to gcPercent of the live heap after each collection
// (a cleanup on an object of its own, made again each time: it runs once
// per collection, so it costs an idle cfkd nothing). While idleGC has
// GOGC off, the percent goes to what idleGC puts back. It does nothing
// when GOGC is in cfkd's environment: the user chose (startGCPolicy
// returns nil).
type gcPolicy struct {
	idle *idleGC

	mu      sync.Mutex
	percent int // the GOGC it set last; 0 before the first
	stopped bool
}

// startGCPolicy sets GOGC for the heap as it is and follows it from then
// on; nil when gogc (GOGC in the environment) is set.
func startGCPolicy(gogc string, idle *idleGC) *gcPolicy {
	if gogc != "" {
		return nil
	}
	p := &gcPolicy{idle: idle}
	p.collected()
	return p
}

// collected is the cleanup of the last mark: a collection ran.
func (p *gcPolicy) collected() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	v, ok := readUint64s("/gc/heap/live:bytes")
	if !ok {
		p.apply(largeHeapPercent)
		return // unknown to this runtime: no policy, the small footprint
	}
	p.apply(gcPercent(v[0]))
	runtime.AddCleanup(&gcMark{}, func(p *gcPolicy) { p.collected() }, p)
}

// apply sets percent, unless it is set already; p.mu held.
func (p *gcPolicy) apply(percent int) {
	if percent != p.percent {
		p.percent = percent
		p.idle.setPercent(percent)
	}
}

// stop ends the policy (at the end of serve, and in tests).
func (p *gcPolicy) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
}

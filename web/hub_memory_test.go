package web

import (
	"runtime"
	"testing"
)

// A page's queue takes memory for what waits in it, not for its bound:
// each page took 4,096 events' worth at join, and 256 idle pages, which
// anyone who reaches the listener may open, held 110 MB of cfkd.
func TestIdlePagesHoldNoQueue(t *testing.T) {
	h := newHub(&fakeEvents{}, DefaultQueue)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	subs := make([]*subscriber, 0, DefaultStreams)
	for range DefaultStreams {
		subs = append(subs, h.join())
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 4<<20 {
		t.Errorf("%d idle pages hold %d MB of queues, want under 4", DefaultStreams, grew>>20)
	}
	for _, s := range subs {
		h.leave(s)
	}
}

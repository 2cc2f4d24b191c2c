package proxyproc

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// heapOfQueue fills a queue of limit bytes with line until push says it
// is full, and returns the heap that the queue holds then.
func heapOfQueue(limit int, line string) (held uint64, lines int) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	q := newCmdQueue()
	q.limit = limit
	for lines = 1; q.push([]byte(line)); lines++ {
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(q)
	if m1.HeapAlloc < m0.HeapAlloc {
		return 0, lines
	}
	return m1.HeapAlloc - m0.HeapAlloc, lines
}

// The queue's bound is one of memory: what it holds once full is about
// its limit, not the limit times what a parsed line costs more than its
// bytes. It counted the bytes of the lines alone: 16 MiB of short stop
// lines (about 200 bytes each once queued and parsed) or of starts with
// many small env entries (a map entry for a few bytes of JSON) held
// 120-130 MB of the proxy's heap behind a start that took long
// (REFERENCE §4.1).
func TestQueueBoundsItsMemory(t *testing.T) {
	const limit = 4 << 20
	var env strings.Builder
	for i := range 5000 {
		if i > 0 {
			env.WriteByte(',')
		}
		fmt.Fprintf(&env, `"k%d":""`, i)
	}
	argv := strings.Repeat(`"",`, 5000)
	for _, c := range []struct{ what, line string }{
		{"stop lines", stopLine("a")},
		{"starts with many env entries", `{"command":"start","name":"a","cmd":"true","env":{` + env.String() + `}}`},
		{"starts with many arguments", `{"command":"start","name":"a","cmd":["x",` + argv + `"x"]}`},
	} {
		held, n := heapOfQueue(limit, c.line)
		t.Logf("%s: %d lines of %d bytes, %d bytes held", c.what, n, len(c.line), held)
		if held > 2*limit {
			t.Errorf("%s: a full queue of %d bytes holds %d bytes of heap, want %d at most", c.what, limit, held, 2*limit)
		}
	}
}

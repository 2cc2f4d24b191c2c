package actors

import (
	"sync"
	"testing"
	"time"
)

// A RecordLimit with Late hands it the count of the records kept back
// that no record let through came to carry, once, and a count a record
// carried never: the timer, armed only while records are kept back, sees
// that one was let through and waits for the next.
func TestRecordLimitLate(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Unix(1763738153, 0)
	late := make(chan int, 8)
	l := &RecordLimit{
		Now:  func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Late: func(n int) { late <- n },
		// long enough that a stall of a loaded machine between two
		// Allows (a GC, the scheduler) does not fire it: at 50 ms, one
		// of 60 ms before the record that carries the count fired it,
		// and that record found no count to carry
		LateAfter: time.Second,
	}
	step := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	allow := func(wantOK bool, wantMuted int) {
		t.Helper()
		if ok, muted := l.Allow(); ok != wantOK || muted != wantMuted {
			t.Fatalf("Allow: %v, %d; want %v, %d", ok, muted, wantOK, wantMuted)
		}
	}
	allow(true, 0)
	allow(false, 0)
	allow(false, 0) // the timer armed once
	step(time.Second)
	allow(true, 2) // carried: not Late's
	allow(false, 0)
	select {
	case n := <-late:
		if n != 1 {
			t.Fatalf("Late(%d), want Late(1): the 2 before were carried", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Late never called of the record kept back last")
	}
	allow(false, 0) // Late's count is the record of that second
	step(time.Second)
	select {
	case n := <-late:
		t.Fatalf("Late(%d) again, of records it was given", n)
	default:
	}
	allow(true, 1)
}

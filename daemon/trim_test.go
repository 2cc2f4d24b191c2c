package daemon

import (
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// A trim comes only once delay has passed since the last activity; a
// burst's trim (now) takes the place of the one that was due.
func TestTrimmer(t *testing.T) {
	const delay = 200 * time.Millisecond
	var mu sync.Mutex
	var touched []time.Time                // when each touch had re-armed the timer
	trims := make(chan time.Duration, 100) // time since the last touch, at each trim
	tr := newTrimmer(delay, func() {
		// the time of the trim is taken before the lock: a touch that
		// holds it re-arms the timer after this trim began, and is not
		// the one this trim comes after
		fired := time.Now()
		mu.Lock()
		last := time.Time{}
		for _, at := range touched {
			if !at.After(fired) {
				last = at
			}
		}
		trims <- fired.Sub(last)
		mu.Unlock()
	})
	defer tr.stop()
	touch := func() {
		mu.Lock()
		tr.touch()
		touched = append(touched, time.Now())
		mu.Unlock()
	}
	for i := 0; i < 5; i++ {
		touch()
		time.Sleep(10 * time.Millisecond) // activity, more often than the delay
	}
	// every trim, until none comes for a while: never sooner than delay
	// after a touch (a stalled test goroutine may let one come within the
	// loop, legitimately), and at least the one after the last touch
	got := 0
	for quiet := time.After(5 * time.Second); ; {
		select {
		case since := <-trims:
			got++
			if since < delay-5*time.Millisecond {
				t.Errorf("trimmed %v after the last activity, want >= %v", since, delay)
			}
			quiet = time.After(4 * delay)
			continue
		case <-quiet:
		}
		break
	}
	if got == 0 {
		t.Fatal("no trim after activity stopped")
	}
	touch()
	tr.now()
	<-trims // the burst's
	select {
	case <-trims:
		t.Error("a second trim after now(): the due one was not taken off")
	case <-time.After(4 * delay):
	}
}

// A fire of the timer that a touch re-armed after it fired, and before
// it ran (a stalled goroutine), is stale: no trim right after activity.
func TestTrimmerStaleFireDoesNotTrim(t *testing.T) {
	trims := make(chan struct{}, 1)
	tr := newTrimmer(time.Hour, func() { trims <- struct{}{} })
	defer tr.stop()
	tr.touch()
	tr.due() // as the fire that the touch came after
	select {
	case <-trims:
		t.Fatal("a stale fire trimmed right after a touch")
	default:
	}
	tr.touched = time.Now().Add(-2 * time.Hour) // the last touch long ago
	tr.due()
	select {
	case <-trims:
	default:
		t.Fatal("a fire delay after the last touch did not trim")
	}
}

// reclaimable sees garbage: after a trim it is under trimWorth, and
// allocating and dropping more than trimWorth puts it over.
func TestReclaimable(t *testing.T) {
	trimNow()
	if r := reclaimable(); r >= trimWorth {
		t.Fatalf("reclaimable right after a trim: %d bytes, want < %d", r, trimWorth)
	}
	// no collection midway (this test's heap is small: its goal is 4 MiB)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for i := 0; i < 64; i++ {
		sink = make([]byte, 64<<10)
	}
	sink = nil
	if r := reclaimable(); r < trimWorth {
		t.Fatalf("reclaimable after 4 MiB of garbage: %d bytes, want >= %d", r, trimWorth)
	}
}

var sink []byte

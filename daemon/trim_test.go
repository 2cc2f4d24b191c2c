package daemon

import (
	"testing"
	"time"
)

// A trim comes once, delay after the last activity; a burst's trim (now)
// takes the place of the one that was due.
func TestTrimmer(t *testing.T) {
	trims := make(chan time.Time, 10)
	tr := newTrimmer(50*time.Millisecond, func() { trims <- time.Now() })
	defer tr.stop()
	start := time.Now()
	for i := 0; i < 5; i++ {
		tr.touch()
		time.Sleep(10 * time.Millisecond) // activity, more often than the delay
	}
	last := time.Now()
	select {
	case at := <-trims:
		if at.Sub(last) < 40*time.Millisecond {
			t.Errorf("trimmed %v after the last activity, want about 50ms (%v after the first)", at.Sub(last), at.Sub(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no trim after activity stopped")
	}
	tr.touch()
	tr.now()
	<-trims // the burst's
	select {
	case <-trims:
		t.Error("a second trim after now(): the due one was not taken off")
	case <-time.After(200 * time.Millisecond):
	}
}

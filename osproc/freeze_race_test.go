package osproc

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestFreezeRacingResume: a resume (here a late one, for a pipe closed
// since) racing with a freeze. When the poller goroutine had passed
// parkIfFrozen in resumeHeld but not yet taken p.resumed as freeze set
// p.frz, freeze saw a resume queued, wrote no wake-up, and waited for a
// park that never came: the upgrade in place hung. It failed within a
// hundred rounds before freeze always woke the poller.
func TestFreezeRacingResume(t *testing.T) {
	p, _ := testPoller(t)
	gone := &outPipe{fd: -1} // not registered: resumeHeld skips it
	var gen uint64
	// other users of p.mu (registrations, resumes of other pipes, ...)
	stopHammer := make(chan struct{})
	hammerDone := make(chan struct{})
	go func() {
		defer close(hammerDone)
		for {
			select {
			case <-stopHammer:
				return
			default:
			}
			p.mu.Lock()
			for d := 200; d > 0; d-- {
			}
			p.mu.Unlock()
		}
	}()
	defer func() { close(stopHammer); <-hammerDone }()
	deadlineAt := time.Now().Add(1500 * time.Millisecond)
	for i := 0; i < 1000 && time.Now().Before(deadlineAt); i++ {
		gen++
		p.resume(gone, gen) // queues it and wakes the poller goroutine
		for d := rand.IntN(400); d > 0; d-- {
		}
		got := make(chan []FrozenPipe, 1)
		go func() { got <- p.freeze() }()
		select {
		case <-got:
		case <-time.After(2 * time.Second):
			// unblock it so that the test ends cleanly
			p.mu.Lock()
			p.wakeForResume()
			p.mu.Unlock()
			<-got
			p.thaw()
			t.Fatalf("iteration %d: freeze did not return in 2s: the poller goroutine never parked", i)
		}
		p.thaw()
		// the next round's freeze may come while the poller goroutine is
		// still leaving this park (TestFreezeRightAfterThaw)
	}
}

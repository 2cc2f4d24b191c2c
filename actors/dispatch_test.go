package actors

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every function scheduled runs exactly once, on at most max workers at a
// time, whoever schedules it; workers are reused, not one per function.
func TestPoolDispatcher(t *testing.T) {
	const max, senders, each = 3, 4, 2500
	d := newPoolDispatcher(max, 300)
	var ran, running, peak atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				d.Schedule(func() {
					n := running.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					running.Add(-1)
					if ran.Add(1) == senders*each {
						close(done)
					}
				})
			}
		}()
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d of %d functions ran", ran.Load(), senders*each)
	}
	if p := peak.Load(); p > max {
		t.Fatalf("%d functions ran at once, max %d", p, max)
	}
	d.mu.Lock()
	workers := d.workers
	d.mu.Unlock()
	if workers > max || workers == 0 {
		t.Fatalf("%d workers, want 1 to %d", workers, max)
	}
	// a later function runs on a parked worker
	again := make(chan struct{})
	d.Schedule(func() { close(again) })
	select {
	case <-again:
	case <-time.After(10 * time.Second):
		t.Fatal("a function scheduled on parked workers did not run")
	}
	if ran.Load() != senders*each {
		t.Fatalf("ran %d functions, want %d", ran.Load(), senders*each)
	}
}

// A burst scheduled while one worker is parked wakes that one and starts
// others up to max, rather than signalling the parked one over and over:
// max functions that each wait for all max to run do all run.
func TestPoolDispatcherBurstStartsWorkers(t *testing.T) {
	const max = 4
	d := newPoolDispatcher(max, 300)
	parked := make(chan struct{})
	d.Schedule(func() { close(parked) })
	<-parked
	waitDispatcher(t, d, "the worker to park again", func() bool { return d.idle == 1 })
	var running atomic.Int64
	all := make(chan struct{})
	done := make(chan bool, max)
	for range max {
		d.Schedule(func() {
			if running.Add(1) == max {
				close(all)
			}
			select {
			case <-all:
				done <- true
			case <-time.After(10 * time.Second):
				done <- false
			}
		})
	}
	for range max {
		if !<-done {
			t.Fatalf("only %d of %d functions ran at once: the burst did not get the workers", running.Load(), max)
		}
	}
}

// A closed dispatcher's workers end once the queue is empty, and a
// function scheduled after close still runs (on a goroutine of its own).
func TestPoolDispatcherClose(t *testing.T) {
	d := newPoolDispatcher(1, 300)
	ran := make(chan int, 2)
	d.Schedule(func() { ran <- 1 })
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("a scheduled function did not run")
	}
	d.close()
	waitDispatcher(t, d, "every worker to end after close", func() bool { return d.workers == 0 })
	d.Schedule(func() { ran <- 2 })
	select {
	case n := <-ran:
		if n != 2 {
			t.Fatalf("ran %d, want 2", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a function scheduled after close did not run")
	}
}

// waitDispatcher waits until cond, read under d.mu, holds, failing the
// test after 10 s.
func waitDispatcher(t *testing.T, d *poolDispatcher, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		d.mu.Lock()
		ok := cond()
		d.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

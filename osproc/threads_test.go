package osproc

import (
	"runtime"
	"testing"
)

// The threads reserved at start-up (REFERENCE §7.6): cfkd's, 4 per core
// and 8 more, 16 on 2 cores (its fork slots, two per core, and two per
// P); its fork server's, one per connection (a connection per fork slot),
// 2 per core and 4 more. One formula, threadsFor, for both.
func TestReservedThreads(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	forks := maxForks
	defer func() { maxForks = forks }()
	maxForks = 4 // 2 * runtime.NumCPU() on 2 cores
	if n := cfkdThreads(); n != 16 {
		t.Errorf("cfkd on 2 cores: %d threads, want 16", n)
	}
	if n := helperThreads(maxForks); n != 12 {
		t.Errorf("fork server of 4 connections on 2 cores: %d threads, want 12", n)
	}
	runtime.GOMAXPROCS(3)
	if n := threadsFor(5, 1); n != 12 {
		t.Errorf("5 waiters, 1 more, 3 Ps: %d threads, want 12", n)
	}
}

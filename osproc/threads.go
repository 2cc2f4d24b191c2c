package osproc

import (
	"runtime"
	"sync"
)

// The threads a Go process keeps for its blocking system calls
// (REFERENCE §7.6). Go's runtime makes a thread whenever a goroutine
// blocks in a system call while others want to run, and keeps it idle
// once done, for the next one; it never makes one in advance. Making one
// is a clone(2) counted in the RLIMIT_NPROC of the real user, with every
// process and thread that user runs: when cfkd is not root, its services,
// which run as its user, may take the last of them (a service that forks
// or starts threads without end, or a limit lowered under cfkd), and the
// runtime, which cannot do without the thread it asked for, aborts the
// whole process ("runtime/cgo: pthread_create failed: Resource
// temporarily unavailable"): cfkd died at its next mass start, its
// services left to init, where a fork's EAGAIN is only a start's delay
// (§2.1).
//
// reserveThreads makes n threads at start-up, before any service runs,
// and leaves them idle: each of n goroutines locks a thread of its own
// and holds it until all n have one, then lets it go. The runtime takes
// an idle thread before it makes a new one, so as long as cfkd does not
// block in more system calls at once than that, a shortage of the user's
// processes is a fork's EAGAIN, which cfkd retries, and never the end of
// cfkd. A thread cannot be made at start-up either then: cfkd does not
// start, rather than start and die at its first mass start.
func reserveThreads(n int) {
	var locked, done sync.WaitGroup
	release := make(chan struct{})
	locked.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			locked.Done()
			<-release
			// unlocked before the goroutine ends: a goroutine that ends
			// locked ends its thread with it
			runtime.UnlockOSThread()
		}()
	}
	locked.Wait()
	close(release)
	done.Wait()
}

// cfkdThreads is the number of threads cfkd reserves: one per fork slot
// (each waits for its fork in a system call) and a few for the rest
// (user lookups, a log file's writes, the stats of a start), with
// threadsFor's two per P. cfkd with 300 services started at once had 12
// threads on 2 cores.
func cfkdThreads() int { return threadsFor(maxForks, 8) }

// helperThreads is the number of threads the fork server reserves: one
// per connection of its n (each waits in its recvmsg) and a few more,
// with threadsFor's two per P.
func helperThreads(n int) int { return threadsFor(n, 4) }

// threadsFor is the number of threads a process reserves whose waiters
// goroutines each wait in a system call of their own: one for each, two
// per P (a blocking system call hands its P to a thread that runs the
// others), and more for the rest (REFERENCE §7.6).
func threadsFor(waiters, more int) int { return waiters + 2*runtime.GOMAXPROCS(0) + more }

package osproc

import (
	"syscall"
	"time"
)

// Terminate sends SIGTERM to every target, waits up to grace for them to
// exit, sends SIGKILL to those still alive and waits up to grace again. It
// returns the pids that needed SIGKILL, and those still alive after it
// (in uninterruptible sleep, say). It closes the targets.
//
// It blocks up to 2×grace, waiting for the exits without a polling loop
// (in poll(2) on the pidfds, or on the reaper: see nopidfd.go): call it
// where a bounded wait is fine (cfkd's start-up or the end of its
// shutdown) or from a goroutine of its own.
func Terminate(ts []*Target, grace time.Duration) (killed, survived []int) {
	defer func() {
		for _, t := range ts {
			t.Close()
		}
	}()
	for _, t := range ts {
		t.signal(syscall.SIGTERM)
		t.signal(syscall.SIGCONT) // a stopped process then handles its SIGTERM
	}
	left := waitExit(ts, grace)
	for _, t := range left {
		t.signal(syscall.SIGKILL)
		killed = append(killed, t.Pid)
	}
	for _, t := range waitExit(left, grace) {
		survived = append(survived, t.Pid)
	}
	return killed, survived
}

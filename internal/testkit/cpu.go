package testkit

import (
	"syscall"
	"time"
)

// CPUTime is the CPU this process has used so far, user and system: a
// figure a busy machine disturbs less than the elapsed time (the
// benchmarks report it beside their rates).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

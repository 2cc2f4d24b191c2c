package osproc

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// withNoSignalBlocked runs f, a fork and exec, on a thread that blocks no
// signal (REFERENCE §2.4): Go's fork gives the child the signal mask of the
// thread that forks, and cfkd's threads block the signals its own parent
// started it with blocked (Go keeps that mask for every thread it makes,
// but for the signals it needs), so a cfkd started with SIGUSR1 or SIGPIPE
// blocked started every service with them blocked (a `signal USR1` stayed
// pending for ever), as did the fork server and a proxy, and a new cfkd of
// an upgrade in place, which inherits the mask of the thread that execs.
// The thread's mask is put back after f.
func withNoSignalBlocked(f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var none, old unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &none, &old); err != nil {
		f()
		return
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	f()
}

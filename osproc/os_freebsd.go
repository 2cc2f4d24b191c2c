package osproc

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FreeBSD (REFERENCE §11): procctl(PROC_REAP_ACQUIRE) makes cfkd a reaper,
// as prctl(PR_SET_CHILD_SUBREAPER) on Linux: the orphans of a service's
// processes are reparented to cfkd and reaped. /dev/fd lists only fds 0, 1
// and 2 unless fdescfs is mounted there: fds are found by asking each
// number (scanFds).
//
// This file is built and vetted (make lint) but not run by CI, which runs
// on Linux only.

// procctl(2) arguments (sys/wait.h, sys/procctl.h).
const (
	pPID            = 0 // P_PID
	procReapAcquire = 2 // PROC_REAP_ACQUIRE
)

// becomeSubreaper makes the process a reaper of its descendants.
func becomeSubreaper() error {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		// id_t is 64 bits: one register on 64-bit systems only
		return errors.New("procctl(PROC_REAP_ACQUIRE): not on a 32-bit system")
	}
	_, _, e := unix.Syscall6(unix.SYS_PROCCTL, pPID, uintptr(os.Getpid()), procReapAcquire, 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// devFdComplete: /dev/fd may show 0, 1 and 2 only.
const devFdComplete = false

// pollMax is the most fds one poll(2) takes whatever the limit of open
// files: none (FreeBSD: the soft limit of open files bounds it (and kern.maxfilesperproc, which bounds the limit)).
const pollMax = 1 << 30

//go:build linux

package osproc

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// canPeek: this system tells the pid of an exited child without reaping
// it (waitid with WNOWAIT), so the reaper marks a Process exited before
// its pid is freed, and Signal needs no lock of the reaper's (Signal).
const canPeek = true

// peekZombie returns the pid of a child that has exited and is not reaped
// yet, and leaves it a zombie (waitid WEXITED|WNOHANG|WNOWAIT); 0 when
// none has, or on any error (ECHILD: no child at all).
func peekZombie() int {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0
		}
		return siginfoPid(&info)
	}
}

// siginfoPid is si_pid: after three ints, at the union's start, which is
// aligned as a pointer is.
func siginfoPid(info *unix.Siginfo) int {
	off := 3 * unsafe.Sizeof(int32(0))
	if a := unsafe.Alignof(uintptr(0)); off%a != 0 {
		off += a - off%a
	}
	return int(*(*int32)(unsafe.Add(unsafe.Pointer(info), off)))
}

// reapZombie reaps pid, which peekZombie found exited: wait4 on that pid
// alone, which does not block.
func reapZombie(pid int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if err != syscall.EINTR {
			return ws, err
		}
	}
}

// peekExited tells whether the child pid has exited and is not reaped
// yet, and leaves it a zombie (waitid P_PID, WEXITED|WNOHANG|WNOWAIT).
// Unlike peekZombie it costs the same whatever the number of children:
// the kernel finds the one pid (Linux 5.16 and later) where P_ALL walks
// every child of every thread of the process.
func peekExited(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		return err == nil && siginfoPid(&info) == pid
	}
}

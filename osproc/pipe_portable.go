//go:build !linux || cfkportable

package osproc

import (
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The portable fd primitives (REFERENCE §11), for macOS, FreeBSD and Linux
// with -tags cfkportable: pipe(2) then FD_CLOEXEC under syscall.ForkLock,
// and a walk of the open fds (/dev/fd, or one fcntl per possible fd where
// /dev/fd may not list them all) to mark inherited fds close-on-exec and
// to count them.

// pipeCloexec returns a pipe whose two ends are close-on-exec. Without
// pipe2 (macOS) the flag is set after pipe(2), under syscall.ForkLock held
// for reading: a fork of another goroutine (syscall.ForkExec takes it for
// writing) cannot come between the two and leak the pipe into its child.
func pipeCloexec() (r, w int, err error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err = syscall.Pipe(p[:])
	if err == nil {
		syscall.CloseOnExec(p[0])
		syscall.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, -1, err
	}
	return p[0], p[1], nil
}

// cloexecFrom sets close-on-exec on every open fd >= first.
func cloexecFrom(first int) error {
	fds, err := openFdList()
	if err != nil {
		return err
	}
	for _, fd := range fds {
		if fd < first {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return err
		}
	}
	return nil
}

// OpenFds counts the fds open in the calling process.
func OpenFds() (int, error) {
	fds, err := openFdList()
	return len(fds), err
}

// openFdList lists the open fds of the process: from /dev/fd where it
// lists them all (Linux, macOS), else by asking each possible number
// (scanFds: FreeBSD's /dev/fd shows 0, 1 and 2 only unless fdescfs is
// mounted).
func openFdList() ([]int, error) {
	if !devFdComplete {
		return scanFds(softFdLimit()), nil
	}
	d, err := os.Open("/dev/fd")
	if err != nil {
		return scanFds(softFdLimit()), nil
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	fds := make([]int, 0, len(names))
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		// the directory's own fd is closed by now: F_GETFD fails
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			fds = append(fds, fd)
		}
	}
	return fds, nil
}

// growPipe does nothing on the portable path: a pipe keeps its size.
func growPipe(fd, size int) error { return errors.ErrUnsupported }

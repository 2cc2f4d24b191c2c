//go:build linux && !cfkportable

package osproc

import (
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Linux's fd primitives (REFERENCE §11): pipe2(O_CLOEXEC), close_range to
// mark inherited fds close-on-exec, /proc/self/fd to count open fds. The
// portable ones (pipe_portable.go) replace them on macOS, FreeBSD and with
// -tags cfkportable.

// pipeCloexec returns a pipe whose two ends are close-on-exec, made so
// atomically (pipe2).
func pipeCloexec() (r, w int, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	return p[0], p[1], nil
}

// cloexecFrom sets close-on-exec on every open fd >= first.
func cloexecFrom(first int) error {
	if err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return nil
	}
	// before Linux 5.11: one fcntl per open fd
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || fd < first {
			continue
		}
		// the fd of the directory read above is closed by now: EBADF
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return err
		}
	}
	return nil
}

// OpenFds counts the fds open in the calling process.
func OpenFds() (int, error) {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return 0, err
	}
	return len(names) - 1, nil // not the directory's own fd
}

// growPipe asks the kernel for a pipe buffer of size bytes on fd (the read
// end of an output pipe, REFERENCE §6.2). It may refuse (above
// /proc/sys/fs/pipe-max-size, or past pipe-user-pages-soft for an
// unprivileged user): the pipe then keeps its size.
func growPipe(fd, size int) error {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, size)
	return err
}

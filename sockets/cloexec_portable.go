//go:build !linux || cfkportable

package sockets

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// socketCloexec opens a stream socket of family, close-on-exec (and
// non-blocking when asked). Without SOCK_CLOEXEC (macOS) the flag is set
// after socket(2), under syscall.ForkLock held for reading, so that no
// fork of another goroutine comes between the two (REFERENCE §11).
func socketCloexec(family int, nonblock bool) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if nonblock {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	return fd, nil
}

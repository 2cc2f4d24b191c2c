//go:build linux && !cfkportable

package sockets

import "golang.org/x/sys/unix"

// socketCloexec opens a stream socket of family, close-on-exec (and
// non-blocking when asked) from the start: SOCK_CLOEXEC, Linux's
// (REFERENCE §11).
func socketCloexec(family int, nonblock bool) (int, error) {
	typ := unix.SOCK_STREAM | unix.SOCK_CLOEXEC
	if nonblock {
		typ |= unix.SOCK_NONBLOCK
	}
	return unix.Socket(family, typ, 0)
}

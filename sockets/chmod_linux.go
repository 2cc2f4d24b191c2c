//go:build linux

package sockets

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// chmodSocket gives the UNIX socket file at path mode, without following
// a symlink: in a directory another user may write (the service's own,
// /run/app owned by app), the file just bound may have been replaced by
// a symlink to any file, which a chmod by path would make mode 0660 as
// root (/bin/sh, or sudo without its setuid bit). Linux has no lchmod:
// the file is opened O_PATH|O_NOFOLLOW, checked to be a socket, and
// changed through that fd: fchmodat2 with AT_EMPTY_PATH (Linux 6.6),
// which needs no /proc (cfkd as a system's init, before /proc is
// mounted), or else its /proc/self/fd link, which is that very file.
func chmodSocket(path string, mode uint32) error {
	fd, err := openSocketFile(path)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if unix.Fchmodat(fd, "", mode, unix.AT_EMPTY_PATH) == nil {
		return nil
	}
	// a kernel before 6.6 (no fchmodat2: EOPNOTSUPP), or a seccomp filter
	// that does not know it (Docker before 25 answers EPERM)
	if err := unix.Chmod(procSelfFd+strconv.Itoa(fd), mode); err != nil {
		return fmt.Errorf("%s: %w", path, err) // the socket's path, not /proc's
	}
	return nil
}

// procSelfFd is where chmodSocket finds an fd's file without fchmodat2 (a
// test makes it missing, as where /proc is not mounted).
var procSelfFd = "/proc/self/fd/"

// chownSocket gives the UNIX socket file at path owner uid and group gid
// (-1: left as they are), without following a symlink, as chmodSocket
// does: through the file opened O_PATH|O_NOFOLLOW, checked to be a
// socket; fchownat with AT_EMPTY_PATH takes such an fd (Linux 2.6.39),
// without /proc.
func chownSocket(path string, uid, gid int) error {
	fd, err := openSocketFile(path)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// openSocketFile opens the UNIX socket file at path O_PATH|O_NOFOLLOW and
// checks that it is a socket still: a file replaced since the bind (a
// symlink to any file) is refused, so that chmodSocket and chownSocket
// change the socket just bound or nothing.
func openSocketFile(path string) (int, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("%s: %w (replaced since the bind?)", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		unix.Close(fd)
		return -1, fmt.Errorf("%s is no longer a socket (replaced since the bind)", path)
	}
	return fd, nil
}

//go:build !linux

package sockets

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// chmodSocket gives the UNIX socket file at path mode, without following
// a symlink put in its place since the bind (see chmod_linux.go): the
// BSDs and macOS have lchmod.
func chmodSocket(path string, mode uint32) error {
	if err := unix.Fchmodat(unix.AT_FDCWD, path, mode, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// chownSocket gives the UNIX socket file at path owner uid and group gid
// (-1: left as they are), without following a symlink (lchown).
func chownSocket(path string, uid, gid int) error {
	if err := unix.Fchownat(unix.AT_FDCWD, path, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

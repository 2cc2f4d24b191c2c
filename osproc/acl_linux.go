package osproc

import (
	"errors"
	"path/filepath"
	"syscall"
)

// aclOnPath says whether the file p, or a directory above it, may carry
// a POSIX ACL (its system.posix_acl_access attribute, or a file system
// that cannot say): the mode bits alone do not tell then who may execute
// p (mayExec).
func aclOnPath(p string) bool { return aclAbove(p, true) }

// aclFound says whether the file p, or a directory above it, carries a
// POSIX ACL: one there, not a file system that cannot say (aclOnPath).
func aclFound(p string) bool { return aclAbove(p, false) }

// aclAbove walks from p up to the root: whether one of them carries an
// ACL, or, with unknown, one whose file system cannot say.
func aclAbove(p string, unknown bool) bool {
	for p = filepath.Clean(p); ; p = filepath.Dir(p) {
		n, err := syscall.Getxattr(p, "system.posix_acl_access", nil)
		if err == nil && n > 0 || unknown && err != nil && !errors.Is(err, syscall.ENODATA) {
			return true
		}
		if p == "/" || p == "." {
			return false
		}
	}
}

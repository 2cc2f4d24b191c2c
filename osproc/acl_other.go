//go:build !linux

package osproc

import "syscall"

// aclsUnread: cfkd reads no ACLs here (macOS's and FreeBSD's are another
// kind): the mode bits alone cannot tell who may execute a file.
const aclsUnread = true

// aclPermits: none read here; the mode bits decide.
func aclPermits(p string, st *syscall.Stat_t, cred *syscall.Credential, want uint32) (ok, read bool) {
	return false, false
}

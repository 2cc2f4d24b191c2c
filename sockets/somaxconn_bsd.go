//go:build darwin || freebsd

package sockets

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// somaxconn is the kernel's limit of the listen backlog: the sysctl
// kern.ipc.somaxconn (macOS) or kern.ipc.soacceptqueue (FreeBSD, which
// keeps the old name as an alias), else SOMAXCONN (REFERENCE §11).
func somaxconn() int {
	name := "kern.ipc.somaxconn"
	if runtime.GOOS == "freebsd" {
		name = "kern.ipc.soacceptqueue"
	}
	if n, err := unix.SysctlUint32(name); err == nil && n > 0 {
		return int(n)
	}
	return unix.SOMAXCONN
}

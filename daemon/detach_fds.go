package daemon

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// keepNamedFds lets the detached cfkd of `cfkd -d` inherit the fds of its
// caller's that its flags name as /dev/fd/N or /proc/self/fd/N (`cfkd -d
// -c <(gen)`, a token file handed over on a pipe), after
// osproc.CloexecInherited marked every one close-on-exec (REFERENCE
// §7.1): it then read its -c /dev/fd/63 as a file of its own at that
// number, or found none. The fds stdio and the ready pipe take in the
// detached cfkd (0 to readyFd) are not kept: they are not the caller's
// there.
func keepNamedFds(f Flags) {
	for _, p := range []string{f.Config, f.LogConfig, f.AdminToken, f.HTTPToken,
		f.Fleet.CA, f.Fleet.Cert, f.Fleet.Key, f.Fleet.Inventory} {
		if n, ok := fdOfPath(p); ok && n > readyFd {
			unix.FcntlInt(uintptr(n), unix.F_SETFD, 0) // EBADF: not open, nothing to keep
		}
	}
}

// fdOfPath is N of a path /dev/fd/N or /proc/self/fd/N.
func fdOfPath(path string) (int, bool) {
	for _, dir := range []string{"/dev/fd/", "/proc/self/fd/"} {
		if s, ok := strings.CutPrefix(path, dir); ok {
			n, err := strconv.Atoi(s)
			return n, err == nil && n >= 0
		}
	}
	return 0, false
}

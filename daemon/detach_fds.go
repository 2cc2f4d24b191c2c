package daemon

import (
	"fmt"
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
	for _, fl := range namedPaths(f) {
		if n, ok := fdOfPath(fl.path); ok && n > readyFd {
			unix.FcntlInt(uintptr(n), unix.F_SETFD, 0) // EBADF: not open, nothing to keep
		}
	}
}

// stdioNamed refuses -d a flag that names one of the fds the detached
// cfkd does not get from its caller: stdin, stdout, stderr and the ready
// pipe's number (0 to readyFd) are /dev/null and the pipe there. `gen |
// cfkd -d -c /dev/stdin` read /dev/null, loaded nothing and said that
// cfkd ran, exit 0 (REFERENCE §7.1).
func stdioNamed(f Flags) error {
	for _, fl := range namedPaths(f) {
		if n, ok := fdOfPath(fl.path); ok && n <= readyFd {
			return fmt.Errorf("cfkd: -d: %s %s is the caller's fd %d, which the detached cfkd does not keep "+
				"(its stdin, stdout and stderr are /dev/null): give a file, or a pipe on fd 4 or above (%s <(gen))",
				fl.name, fl.path, n, fl.name)
		}
	}
	return nil
}

// namedPath is a flag that names a file, and the path it was given.
type namedPath struct{ name, path string }

// namedPaths are the flags of f that name a file cfkd opens: those a
// caller may hand over as /dev/fd/N.
func namedPaths(f Flags) []namedPath {
	return []namedPath{
		{"-c", f.Config}, {"-l", f.LogConfig}, {"--admin-token", f.AdminToken},
		{"--http-token", f.HTTPToken}, {"--fleet-ca", f.Fleet.CA},
		{"--fleet-cert", f.Fleet.Cert}, {"--fleet-key", f.Fleet.Key},
		{"--fleet-inventory", f.Fleet.Inventory},
	}
}

// fdOfPath is N of a path /dev/fd/N, /proc/self/fd/N, or /dev/stdin,
// /dev/stdout and /dev/stderr (0, 1, 2).
func fdOfPath(path string) (int, bool) {
	for n, p := range []string{"/dev/stdin", "/dev/stdout", "/dev/stderr"} {
		if path == p {
			return n, true
		}
	}
	for _, dir := range []string{"/dev/fd/", "/proc/self/fd/"} {
		if s, ok := strings.CutPrefix(path, dir); ok {
			n, err := strconv.Atoi(s)
			return n, err == nil && n >= 0
		}
	}
	return 0, false
}

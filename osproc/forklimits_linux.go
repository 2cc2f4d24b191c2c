//go:build linux && !cfkportable

package osproc

import (
	"fmt"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cfkd's resource limits in the fork server (REFERENCE §7.6). A child
// inherits its limits from the process that forks it, and the helper
// forks: it started with cfkd's limits, but an admin's `prlimit --pid`
// on cfkd afterwards (a core size, a number of processes, the hard limit
// of open files §7.6 tells to raise this way) reached cfkd alone, and
// every service kept the limits of cfkd's start. So before each fork the
// helper reads cfkd's limits (prlimit(2) on its parent, which has its
// credentials) and takes those that differ from its own: the child gets
// the limits it would have got had cfkd forked it.
//
// RLIMIT_NOFILE is set with the raw system call, which leaves the
// runtime's record of the soft limit the process started with alone (Go
// gives that soft limit back to a child while the current one is still
// what the runtime raised it to): the helper started with cfkd's soft
// limit, so its record is cfkd's, and a child's soft limit of open files
// follows the same rule in both.
//
// A limit the helper cannot take (a hard limit raised on cfkd by root,
// when cfkd and so its helper are not root) is its reply notServed: cfkd
// gives the helper up and forks its services itself, which gives them its
// limits.

// rlimits is the number of resources Linux knows (RLIM_NLIMITS); a kernel
// that knows fewer answers EINVAL for the others, which are skipped.
const rlimits = 16

// notServed is forkReply.Pid when the helper could not take cfkd's
// limits; the Errno is prlimit's.
const notServed = -2

// helperLimits is the helper's copy of cfkd's limits.
var helperLimits struct {
	mu     sync.Mutex
	parent int
	mine   [rlimits]unix.Rlimit
	known  [rlimits]bool
}

// followLimits gives the helper cfkd's limits of now. The forks that
// follow it are not held by the lock: one racing a change gets the
// limits of before or of after, as a fork of cfkd's racing a prlimit.
func followLimits() error {
	h := &helperLimits
	h.mu.Lock()
	defer h.mu.Unlock()
	for r := range rlimits {
		var theirs unix.Rlimit
		if err := unix.Prlimit(h.parent, r, nil, &theirs); err != nil {
			if err == syscall.EINVAL {
				continue
			}
			return fmt.Errorf("read RLIMIT %d of cfkd: %w", r, err)
		}
		if h.known[r] && h.mine[r] == theirs {
			continue
		}
		var mine unix.Rlimit
		if err := unix.Prlimit(0, r, nil, &mine); err == nil && mine == theirs {
			h.mine[r], h.known[r] = theirs, true
			continue
		}
		if _, _, e := unix.RawSyscall6(unix.SYS_PRLIMIT64, 0, uintptr(r), uintptr(unsafe.Pointer(&theirs)), 0, 0, 0); e != 0 {
			h.known[r] = false
			return fmt.Errorf("take RLIMIT %d of cfkd: %w", r, e)
		}
		h.mine[r], h.known[r] = theirs, true
	}
	return nil
}

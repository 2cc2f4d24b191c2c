package osproc

import "golang.org/x/sys/unix"

// Linux (REFERENCE §11): prctl(PR_SET_CHILD_SUBREAPER), in both builds
// (-tags cfkportable changes the fd primitives, the output poller and the
// process handles, not this). /dev/fd lists every open fd.

// becomeSubreaper makes the process a child subreaper: the orphans of its
// descendants are reparented to it.
func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// devFdComplete: /dev/fd (a link to /proc/self/fd) lists every open fd.
const devFdComplete = true

// pollMax is the most fds one poll(2) takes whatever the limit of open
// files: none (Linux: the soft limit of open files alone bounds it).
const pollMax = 1 << 30

package osproc

// macOS (REFERENCE §11): no child subreaper. The orphans of a service's
// processes go to launchd, cfkd never sees them: a stop signals the
// service's process group, so what stays in the group is stopped with it,
// and what left the group (a daemon that called setsid) is not. /dev/fd
// (devfs) lists every open fd.

// becomeSubreaper fails: macOS has no subreaper.
func becomeSubreaper() error { return errNoSubreaper }

// devFdComplete: /dev/fd lists every open fd.
const devFdComplete = true

// pollMax is the most fds one poll(2) takes whatever the limit of open
// files: OPEN_MAX, 10240 (the poller of the portable build reads a set
// larger than that a part at a time, poller_poll.go).
const pollMax = 10240

//go:build linux && !cfkportable

package osproc

import "golang.org/x/sys/unix"

// stopAsked says whether stop was called on p (its goroutine may not
// have taken it yet): its eventfd, never read, is readable.
func stopAsked(p *poller) bool {
	fds := []unix.PollFd{{Fd: int32(p.evfd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n == 1
}

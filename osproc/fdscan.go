package osproc

import "golang.org/x/sys/unix"

// scanFds lists the open fds below limit by asking each number
// (F_GETFD): one system call per number, for the systems whose /dev/fd
// may not list every open fd (FreeBSD without fdescfs). It runs at
// cfkd's start-up only. The fds a process inherited are below the limit it
// was started with, and Go only raises the limit.
func scanFds(limit int) []int {
	limit = min(limit, 1<<20)
	var fds []int
	for fd := 0; fd < limit; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			fds = append(fds, fd)
		}
	}
	return fds
}

package e2e

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// pipeUnread is how many bytes wait unread in the pipe that is fd of
// process pid (0 when it cannot be told), by FIONREAD (TIOCINQ) on the
// pipe opened anew through /proc: the test reads nothing of it.
func pipeUnread(pid, fd int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd))
	if err != nil {
		return 0
	}
	defer f.Close()
	raw, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	raw.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) })
	return n
}

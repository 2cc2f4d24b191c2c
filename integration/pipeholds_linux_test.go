package integration

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// pipeHolds is how many bytes wait in the pipe that process pid holds as
// fd (opened again through /proc), -1 when it cannot tell.
func pipeHolds(pid, fd int) int {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/%d", pid, fd), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return -1
	}
	defer f.Close()
	n, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCINQ)
	if err != nil {
		return -1
	}
	return n
}

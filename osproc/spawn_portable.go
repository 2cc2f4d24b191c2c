//go:build !linux || cfkportable

package osproc

import (
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// forkServer is Linux's (spawn_linux.go: CLONE_PARENT): elsewhere, and on
// the portable path, cfkd forks its services itself.
type forkServer struct{ pid int }

func startForkServer(logrus.FieldLogger, int) (*forkServer, error) { return nil, nil }

func (s *forkServer) forkExec(string, []string, *syscall.ProcAttr, func(int, error)) (int, error, bool) {
	return 0, nil, false
}

func (s *forkServer) exited(syscall.WaitStatus) {}

// setTimeout: no fork server, no wait for one.
func (s *forkServer) setTimeout(time.Duration) {}

func (s *forkServer) stop() {}

// forkExecSelf forks and execs in cfkd: elsewhere than on Linux, and on
// the portable path, a child's failure is not told from the fork's.
func forkExecSelf(path string, argv []string, attr *syscall.ProcAttr) (pid int, err error) {
	withNoSignalBlocked(func() { pid, err = syscall.ForkExec(path, argv, attr) })
	return pid, err
}

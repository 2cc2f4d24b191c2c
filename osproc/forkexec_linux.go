//go:build linux && !cfkportable

package osproc

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// pidfdUnset is what forkExecChild puts in SysProcAttr.PidFD before the
// fork: a failed fork leaves it so.
const pidfdUnset = -2

// forkExecChild is syscall.ForkExec (on a thread that blocks no signal:
// withNoSignalBlocked), also saying whether the error is the
// child's (its set-up or execve failed after the fork) rather than the
// fork's. It asks for the child's pidfd only to tell: the runtime writes
// it once the child exists, and sets it to -1 when the child then fails
// (TestExecErrorIsTheChilds holds it to that); a fork that failed leaves
// it alone. The pidfd of a child that runs is closed here.
func forkExecChild(path string, argv []string, attr *syscall.ProcAttr) (pid int, err error, child bool) {
	var sys syscall.SysProcAttr
	if attr.Sys != nil {
		sys = *attr.Sys
	}
	pidfd := pidfdUnset
	sys.PidFD = &pidfd
	a := *attr
	a.Sys = &sys
	withNoSignalBlocked(func() { pid, err = syscall.ForkExec(path, argv, &a) })
	if err == nil {
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		return pid, nil, false
	}
	return 0, err, pidfd != pidfdUnset
}

// forkExecSelf forks and execs in cfkd (no fork server): the child's
// failure is an *ExecError.
func forkExecSelf(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	pid, err, child := forkExecChild(path, argv, attr)
	var errno syscall.Errno
	if child && errors.As(err, &errno) {
		return 0, &ExecError{Errno: errno}
	}
	return pid, err
}

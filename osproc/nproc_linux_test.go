//go:build linux && !cfkportable

package osproc

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestExecNprocIsTheServices: a service whose user has reached its
// RLIMIT_NPROC: the child's setuid succeeds, its execve fails with EAGAIN
// (Linux 3.1 and later). That is the service's (its user's processes),
// not a fork's EAGAIN of cfkd's: Launch returns an *ExecError, which
// cfkd does not take for its own shortage (it was retried every second
// for ever, never counted as a failed start).
func TestExecNprocIsTheServices(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("not root")
	}
	const uid = 54329 // no passwd entry: no other process of this user
	cred := &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}
	// one process of the user, started before the limit is lowered
	start(t, Spec{Argv: []string{"/bin/sleep", "60"}, Credential: cred})

	setNproc := func(pid int, cur uint64) (restore func()) {
		var old unix.Rlimit
		if err := unix.Prlimit(pid, unix.RLIMIT_NPROC, nil, &old); err != nil {
			t.Fatal(err)
		}
		nl := unix.Rlimit{Cur: cur, Max: old.Max}
		if err := unix.Prlimit(pid, unix.RLIMIT_NPROC, &nl, nil); err != nil {
			t.Fatal(err)
		}
		return func() { unix.Prlimit(pid, unix.RLIMIT_NPROC, &old, nil) }
	}
	// the child inherits the limit of whoever forks it: the fork server,
	// or cfkd itself (root's own forks are not limited by it)
	t.Cleanup(setNproc(0, 0))
	if s := launcher.ForkServerPid(); s != 0 {
		t.Cleanup(setNproc(s, 0))
	}

	_, err := tryStart(t, Spec{Argv: []string{"/bin/true"}, Credential: cred})
	if err == nil {
		t.Skip("the exec was not refused: this kernel does not apply RLIMIT_NPROC at execve")
	}
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Errno != syscall.EAGAIN {
		t.Errorf("the service user's RLIMIT_NPROC: %v (%T), want an *ExecError of EAGAIN (the service's)", err, err)
	}
}

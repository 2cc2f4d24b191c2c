//go:build linux && !cfkportable

package osproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"
)

// Launch forks through the fork server: the child is the test process's
// own (CLONE_PARENT), reaped by its reaper, with the exit status it had.
func TestForkServerChildIsOurs(t *testing.T) {
	s := launcher.server
	if s == nil || s.dead.Load() {
		t.Fatal("the launcher has no live fork server")
	}
	c := start(t, Spec{Argv: sh("exit 7")})
	if ws := c.wait(t); !ws.Exited() || ws.ExitStatus() != 7 {
		t.Fatalf("status %v, want exit 7", ws)
	}
	c = start(t, Spec{Argv: []string{"sleep", "100"}})
	st, err := readStat(c.Pid)
	if err != nil || st.ppid != os.Getpid() {
		t.Fatalf("child %d: parent %d (%v), want the test process %d", c.Pid, st.ppid, err, os.Getpid())
	}
	if s.dead.Load() {
		t.Fatal("the fork server was given up")
	}
}

// A signal to cfkd's process group (a Ctrl-C) does not end the fork
// server, and the services it forks get the default dispositions.
func TestForkServerOutlivesGroupSignals(t *testing.T) {
	s := launcher.server
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		if err := syscall.Kill(s.pid, sig); err != nil {
			t.Fatal(err)
		}
	}
	// SIGINT's disposition in a child: "0" in SigIgn's bit 2 (not ignored)
	c := capture(t, Spec{Argv: sh("grep SigIgn /proc/self/status")})
	got := lines(t, c.out, 1)[0]
	c.wait(t)
	// a fatal signal would have ended it long before this child's exit
	if st, err := readStat(s.pid); err != nil || st.state == 'Z' || s.dead.Load() {
		t.Fatalf("the fork server ended on a signal: %v %c", err, st.state)
	}
	var mask uint64
	if _, err := fmt.Sscanf(got, "SigIgn:\t%x", &mask); err != nil {
		t.Fatalf("%q: %v", got, err)
	}
	if mask&(1<<(syscall.SIGINT-1)) != 0 || mask&(1<<(syscall.SIGTERM-1)) != 0 {
		t.Fatalf("the child ignores SIGINT or SIGTERM: %s", got)
	}
}

// TestExecErrorIsTheChilds: an exec that fails after the fork is an
// *ExecError with the exec's errno, through the fork server as in cfkd
// itself; a fork that fails (clone refuses CLONE_THREAD alone: EINVAL) is
// its errno alone. This also holds the runtime to what forkExecChild
// reads: it sets SysProcAttr.PidFD once the child exists, to -1 when the
// child then fails, and leaves it alone when the fork fails.
func TestExecErrorIsTheChilds(t *testing.T) {
	dir := t.TempDir()
	noexec := dir + "/noexec"
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := []uintptr{launcher.devnull.Fd(), launcher.devnull.Fd(), launcher.devnull.Fd()}
	ways := []struct {
		name string
		fork func(path string, attr *syscall.ProcAttr) error
	}{{"the fork server", func(path string, attr *syscall.ProcAttr) error {
		_, err, served := launcher.server.forkExec(path, []string{"x"}, attr, killLate)
		if !served {
			t.Fatalf("%s: not served by the fork server", path)
		}
		return err
	}}, {"cfkd itself", func(path string, attr *syscall.ProcAttr) error {
		_, err := forkExecSelf(path, []string{"x"}, attr)
		return err
	}}}
	for _, way := range ways {
		for _, tc := range []struct {
			path string
			want syscall.Errno
		}{{noexec, syscall.EACCES}, {dir + "/nosuch", syscall.ENOENT}} {
			err := way.fork(tc.path, &syscall.ProcAttr{Files: files})
			var ee *ExecError
			if !errors.Is(err, tc.want) || !errors.As(err, &ee) {
				t.Errorf("%s, %s: %v (%T), want an *ExecError of %v", way.name, tc.path, err, err, tc.want)
			}
		}
	}
	_, err, child := forkExecChild("/bin/true", []string{"true"}, &syscall.ProcAttr{Files: files,
		Sys: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_THREAD}})
	if !errors.Is(err, syscall.EINVAL) || child {
		t.Errorf("a fork that fails: %v, the child's %v; want EINVAL, the fork's", err, child)
	}
}

// A fork server that is gone is not asked: the caller forks itself.
func TestForkServerGone(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	s, err := startForkServer(log, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // its connections closed; reaped by the launcher's reaper, not ours to wait for
		s.gone.Store(true)
		s.stop()
	})
	// killed behind the launcher's back: the reaper takes it as an orphan
	syscall.Kill(s.pid, syscall.SIGKILL)
	attr := &syscall.ProcAttr{Files: []uintptr{launcher.devnull.Fd(), launcher.devnull.Fd(), launcher.devnull.Fd()}}
	for i := 0; i < 2; i++ {
		pid, err, served := s.forkExec("/bin/true", []string{"true"}, attr, killLate)
		var ee *ExecError
		if served && (!errors.Is(err, syscall.EAGAIN) || errors.As(err, &ee)) {
			t.Fatalf("try %d: a dead server served: pid %d, %v (%T), want EAGAIN, cfkd's", i, pid, err, err)
		}
	}
	if _, _, served := s.forkExec("/bin/true", []string{"true"}, attr, killLate); served || !s.dead.Load() {
		t.Fatalf("the dead server is still asked")
	}
}

// init keeps the test binary's main goroutine on the leader thread, as
// cfkd's main goroutine is when it calls New: TestMain's New then starts
// the fork server from the leader, which startForkServer must not fork it
// from (onOtherThread).
func init() { runtime.LockOSThread() }

// The services the fork server makes are not listed with the orphans the
// kernel hands cfkd's leader thread (OrphanCandidates), but they are
// cfkd's children (Children); an orphan is (TestAdoptedOrphans* find
// theirs through OrphanCandidates).
func TestForkServerChildrenAreNotOrphanCandidates(t *testing.T) {
	if !orphansToLeader() {
		t.Skip("a kernel before 4.0: orphans go to the thread that forked their parent")
	}
	c := start(t, Spec{Argv: []string{"sleep", "100"}})
	in := func(list func() ([]int, bool)) bool {
		pids, ok := list()
		if !ok {
			t.Fatal("no /proc/self/task/TID/children here")
		}
		for _, p := range pids {
			if p == c.Pid {
				return true
			}
		}
		return false
	}
	if !in(Children) {
		t.Fatalf("service %d is not among the test process's children", c.Pid)
	}
	if in(OrphanCandidates) {
		t.Fatalf("service %d is listed with the orphan candidates: the fork server was forked by the leader thread", c.Pid)
	}
}

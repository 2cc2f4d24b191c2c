//go:build linux && !cfkportable

package osproc

import (
	"errors"
	"io"
	"os"
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

// The fork server's errors are the exec's errnos, as a direct fork's.
func TestForkServerExecErrors(t *testing.T) {
	dir := t.TempDir()
	noexec := dir + "/noexec"
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want syscall.Errno
	}{{noexec, syscall.EACCES}, {dir + "/nosuch", syscall.ENOENT}} {
		_, err, served := launcher.server.forkExec(tc.path, []string{"x"}, &syscall.ProcAttr{
			Files: []uintptr{launcher.devnull.Fd(), launcher.devnull.Fd(), launcher.devnull.Fd()}})
		if !served || !errors.Is(err, tc.want) {
			t.Errorf("%s: %v (served %v), want %v", tc.path, err, served, tc.want)
		}
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
	// killed behind the launcher's back: the reaper takes it as an orphan
	syscall.Kill(s.pid, syscall.SIGKILL)
	attr := &syscall.ProcAttr{Files: []uintptr{launcher.devnull.Fd(), launcher.devnull.Fd(), launcher.devnull.Fd()}}
	for i := 0; i < 2; i++ {
		pid, err, served := s.forkExec("/bin/true", []string{"true"}, attr)
		if served && !errors.Is(err, syscall.EAGAIN) {
			t.Fatalf("try %d: a dead server served: pid %d, %v", i, pid, err)
		}
	}
	if _, _, served := s.forkExec("/bin/true", []string{"true"}, attr); served || !s.dead.Load() {
		t.Fatalf("the dead server is still asked")
	}
	s.gone.Store(true) // reaped by the launcher's reaper, not ours to wait for
	s.stop()
}

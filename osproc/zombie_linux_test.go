//go:build linux

package osproc

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// peekHelper runs in a child test process, which has no Launcher and so
// no reaper: it forks `sh -c 'exit 3'`, waits (blocking, WNOWAIT) for it
// to exit, then checks what the reaper relies on: peekZombie names the
// exited child and leaves it a zombie; reapZombie takes its status; then
// nothing is left to peek at.
func peekHelper() {
	fail := func(f string, a ...any) { fmt.Printf(f+"\n", a...); os.Exit(1) }
	if pid := peekZombie(); pid != 0 {
		fail("peekZombie with no child = %d, want 0", pid)
	}
	pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit 3"}, &syscall.ProcAttr{})
	if err != nil {
		fail("fork: %v", err)
	}
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			fail("waitid: %v", err)
		}
	}
	if got := peekZombie(); got != pid {
		fail("peekZombie = %d, want %d", got, pid)
	}
	if got := peekZombie(); got != pid { // WNOWAIT: still there
		fail("peekZombie again = %d, want %d", got, pid)
	}
	if p, ok := ReadProc(pid); !ok || p.State != 'Z' {
		fail("after peekZombie, /proc/%d/stat: %+v (found %v), want a zombie", pid, p, ok)
	}
	ws, err := reapZombie(pid)
	if err != nil || !ws.Exited() || ws.ExitStatus() != 3 {
		fail("reapZombie = %#x, %v; want exit status 3", ws, err)
	}
	if got := peekZombie(); got != 0 {
		fail("peekZombie after the reap = %d, want 0", got)
	}
	fmt.Println("done")
	os.Exit(0)
}

// TestPeekZombie checks peekZombie and reapZombie (zombie_linux.go) in a
// process of their own: this one's reaper would take the child first.
func TestPeekZombie(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	runHelperMode(t, "helper", Spec{Argv: []string{exe}, Env: append(os.Environ(), helperEnv+"=peek")})
}

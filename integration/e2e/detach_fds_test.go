package e2e

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDetachKeepsNoFdOfItsCaller: the detached cfkd of `cfkd -d` holds no
// fd its caller passed besides stdio (REFERENCE §7.1): it held them all
// for its lifetime (os.StartProcess passes every fd not close-on-exec), so
// `(cfkd -d 5>&1) | cat` never ended, cat waiting for the pipe's end, and
// a log file the caller had open stayed open. Here the caller's fd 4 is
// the write end of a pipe, which must reach its end once `cfkd -d` has
// returned.
func TestDetachKeepsNoFdOfItsCaller(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pid := detachWith(t, home, []*os.File{nil, w}) // fd 3 closed (the ready pipe takes it), fd 4 the pipe
	w.Close()
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(r); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the detached cfkd (pid %d) holds the caller's pipe: no end of it after 5 s", pid)
		}
		t.Fatal(err)
	}
	d := &daemon{t: t, home: home, sock: filepath.Join(home, "sock")}
	c := d.dial()
	if l := c.ok("command shutdown"); l[0] != "done 0" {
		t.Fatalf("shutdown %q", l)
	}
	c.until("the detached cfkd gone", func() bool { return syscall.Kill(pid, 0) != nil })
}

// detachWith runs `cfkd --home HOME -d ARGS...` with extra as its fds 3,
// 4, ... (nil: closed), and returns the pid of the detached cfkd once the
// waiting one has said it runs; the cleanup kills it and what it started.
func detachWith(t *testing.T, home string, extra []*os.File, args ...string) int {
	t.Helper()
	t.Cleanup(func() { killHome(home) }) // what it started, also if it fails
	cmd := exec.Command(cfkdBin, append([]string{"--home", home, "-d"}, args...)...)
	cmd.Env = childEnv("CFKD_HOME=" + home)
	cmd.ExtraFiles = extra
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "cfkd running in the background as pid") {
		t.Fatalf("cfkd -d %s: %v %q", strings.Join(args, " "), err, out)
	}
	pid := readLockPid(t, home)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

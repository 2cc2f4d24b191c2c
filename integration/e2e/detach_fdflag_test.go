package e2e

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDetachKeepsTheFdsItsFlagsName: `cfkd -d -c <(gen)` (REFERENCE §7.1):
// the detached cfkd keeps the caller's fds that its flags name as
// /dev/fd/N (bash's process substitution, a token handed over on a
// pipe), and only those: since -d closed every fd of its caller's at the
// exec, its -c /dev/fd/63 was 'no such file or directory' and the start
// failed, where a cfkd in the foreground read it.
func TestDetachKeepsTheFdsItsFlagsName(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.WriteString("service a cmd=sleep 1000\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	pid := detachWith(t, home, []*os.File{nil, nil, r}, "-c", "/dev/fd/5") // fd 5: the config, on a pipe
	d := &daemon{t: t, home: home, sock: filepath.Join(home, "sock")}
	c := d.dial()
	if st := c.status("a"); st[0] != "a" {
		t.Fatalf("status of a: %q", st)
	}
	c.ok("command shutdown")
	c.until("the detached cfkd gone", func() bool { return syscall.Kill(pid, 0) != nil })
}

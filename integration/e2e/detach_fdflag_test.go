package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestDetachRefusesAFlagNamingItsStdin: `gen | cfkd -d -c /dev/stdin`
// (REFERENCE §7.1): the detached cfkd's stdin is /dev/null, so it read an
// empty config, started nothing and the parent said that cfkd ran, exit
// 0. -d now refuses a flag that names fds 0 to 3, exit 1, and nothing
// runs.
func TestDetachRefusesAFlagNamingItsStdin(t *testing.T) {
	for _, path := range []string{"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"} {
		home := filepath.Join(t.TempDir(), "home")
		t.Cleanup(func() { killHome(home) }) // what it started, also if it fails
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		cmd := exec.CommandContext(ctx, cfkdBin, "--home", home, "-d", "-c", path)
		cmd.Env = childEnv("CFKD_HOME=" + home)
		cmd.Stdin = strings.NewReader("service a cmd=sleep 1000\ncommand start service a\n")
		out, err := cmd.CombinedOutput()
		want := "cfkd: -d: -c " + path + " is the caller's fd 0, which the detached cfkd does not keep"
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), want) {
			t.Fatalf("cfkd -d -c %s: %v %q, want exit 1 and %q", path, err, out, want)
		}
		if _, err := os.Stat(filepath.Join(home, "lock")); !os.IsNotExist(err) {
			t.Fatalf("cfkd -d -c %s refused, but its home has a lock: %v", path, err)
		}
	}
}

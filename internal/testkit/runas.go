package testkit

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RunAsEnv is set in the environment of a test binary that RunAs runs:
// the test it runs acts only then (and skips otherwise).
const RunAsEnv = "CFK_TESTKIT_RUNAS"

// runAsMark starts the lines of a child's stdout that RunAs returns.
const runAsMark = "cfk-runas: "

// Child is a test binary that StartAs runs as another user.
type Child struct {
	// Lines are the lines its test writes with RunAsOutput, as they
	// come; closed when its stdout is.
	Lines <-chan string
	// Stdin is its standard input: its test may wait for it to close.
	Stdin io.WriteCloser
	cmd   *exec.Cmd
	errb  bytes.Buffer
	done  chan error
}

// Wait waits for the child to end.
func (c *Child) Wait() error { return <-c.done }

// Stderr is what the child wrote to its stderr (once it has ended).
func (c *Child) Stderr() string { return c.errb.String() }

// Expect waits up to d for the child's next line and fails t unless it
// is want; on a wrong line (or its end) it ends the child first and shows
// its stderr.
func (c *Child) Expect(t testing.TB, want string, d time.Duration) {
	t.Helper()
	select {
	case l, ok := <-c.Lines:
		if l != want {
			c.Stdin.Close()
			c.Wait()
			t.Fatalf("the child's line %q, want %q (open %v)\n%s", l, want, ok, c.Stderr())
		}
	case <-time.After(d):
		t.Fatalf("the child did not say %q within %v", want, d)
	}
}

// StartAs runs this test binary again as uid and gid (no supplementary
// group), running only the test named test (which acts only when
// os.Getenv(RunAsEnv) is set), with env added. The binary is copied
// first into a directory anyone may enter (go test's own is 0700). The
// child is killed when the test ends, or after a minute. It skips the
// test unless it runs as root (setuid needs it).
func StartAs(t testing.TB, uid, gid uint32, test string, env ...string) *Child {
	t.Helper()
	RequireRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "cfk-runas-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "test.bin")
	if err := copyFile(self, bin); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, bin, "-test.run=^"+test+"$", "-test.count=1")
	cmd.Dir = "/"
	cmd.Env = append(append(os.Environ(), RunAsEnv+"=1", "HOME=/nonexistent"), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}}
	c := &Child{cmd: cmd, done: make(chan error, 1)}
	cmd.Stderr = &c.errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if c.Stdin, err = cmd.StdinPipe(); err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	c.Lines = lines
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if s, ok := strings.CutPrefix(sc.Text(), runAsMark); ok {
				lines <- s
			}
		}
		close(lines)
		c.done <- cmd.Wait()
		cancel()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		c.Stdin.Close()
	})
	return c
}

// RunAs is StartAs, then waits for the child to end and returns the lines
// its test wrote with RunAsOutput, joined by newlines.
func RunAs(t testing.TB, uid, gid uint32, test string, env ...string) string {
	t.Helper()
	c := StartAs(t, uid, gid, test, env...)
	c.Stdin.Close()
	var lines []string
	for l := range c.Lines {
		lines = append(lines, l)
	}
	if err := c.Wait(); err != nil {
		t.Errorf("%s as uid %d: %v\n%s\n%s", test, uid, err, strings.Join(lines, "\n"), c.Stderr())
	}
	return strings.Join(lines, "\n")
}

// RunAsOutput writes a line that RunAs returns to its caller.
func RunAsOutput(line string) {
	os.Stdout.WriteString(runAsMark + strings.ReplaceAll(line, "\n", " ") + "\n")
}

// RequireRoot skips the test unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

package testkit

import (
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

// RunAs runs this test binary again as uid and gid (no supplementary
// group), running only the test named test (which acts only when
// os.Getenv(RunAsEnv) is set), with env added; it returns the lines that
// test wrote with RunAsOutput, joined by newlines. The binary is copied
// first into a directory anyone may enter (go test's own is 0700). The
// child is killed after a minute. It skips the test unless it
// runs as root (setuid needs it).
func RunAs(t testing.TB, uid, gid uint32, test string, env ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs a client as another user")
	}
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
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^"+test+"$", "-test.count=1")
	cmd.Dir = "/"
	cmd.Env = append(append(os.Environ(), RunAsEnv+"=1", "HOME=/nonexistent"), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s as uid %d: %v\n%s%s", test, uid, err, out.String(), errb.String())
	}
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if s, ok := strings.CutPrefix(l, runAsMark); ok {
			lines = append(lines, s)
		}
	}
	return strings.Join(lines, "\n")
}

// RunAsOutput writes a line that RunAs returns to its caller.
func RunAsOutput(line string) {
	os.Stdout.WriteString(runAsMark + strings.ReplaceAll(line, "\n", " ") + "\n")
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

// RequireRoot skips the test unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

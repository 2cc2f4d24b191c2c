package e2e

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestExitLeavesTheNextCfkdsFiles: a cfkd removes its socket, its lock
// and its notify socket at exit, but only while they are still its own
// (REFERENCE §7.2). Its home moved (or removed) while it ran, another
// cfkd made its own files at that path; the first one's exit removed them
// by name: the second cfkd ran on, unreachable (`Cannot get a socket`),
// its lock gone, and a third cfkd on the home took it and killed the
// second one's services as the leftovers of a dead cfkd.
func TestExitLeavesTheNextCfkdsFiles(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	first := startDaemon(t, home)
	moved := home + ".old"
	if err := os.Rename(home, moved); err != nil {
		t.Fatal(err)
	}
	first.home, first.sock = moved, filepath.Join(moved, "sock")
	second := startDaemon(t, home)
	files := []string{"sock", "lock"}
	if _, err := os.Lstat(filepath.Join(home, "notify")); err == nil {
		files = append(files, "notify") // not on every build (REFERENCE §11)
	}
	first.cmd.Process.Signal(syscall.SIGTERM)
	if err := first.waitExit(); err != nil {
		t.Fatalf("first cfkd: exit %v\n%s", err, first.stderr.String())
	}
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(home, f)); err != nil {
			t.Errorf("the second cfkd's %s, after the first one's exit: %v", f, err)
		}
	}
	if got := readLockPid(t, home); got != second.cmd.Process.Pid {
		t.Errorf("lock holds pid %d, want the second cfkd's %d", got, second.cmd.Process.Pid)
	}
	second.dial().ok("command list") // still reachable
	// its own files it still removes
	second.cmd.Process.Signal(syscall.SIGTERM)
	if err := second.waitExit(); err != nil {
		t.Fatalf("second cfkd: exit %v\n%s", err, second.stderr.String())
	}
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(home, f)); !os.IsNotExist(err) {
			t.Errorf("%s left behind by the second cfkd (%v)", f, err)
		}
	}
}

package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// TestMovedHomeKeepsItsServices: a cfkd whose home was moved away while
// it ran (`mv HOME HOME.old`) goes on supervising its services, whose
// CFKD_HOME still names HOME. A second cfkd started on HOME took them for
// a dead cfkd's leftovers at its start-up scan and killed them under the
// first one; it leaves them alone and logs it (REFERENCE §7.5).
func TestMovedHomeKeepsItsServices(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	conf := writeConf(t, filepath.Join(dir, "a.conf"), "service s cmd=sleep 1000\ncommand start service s\n")
	first := startDaemon(t, home, "-c", conf)
	c := first.dial()
	var pid string
	c.until("s running", func() bool { st := c.status("s"); pid = st[2]; return st[1] == "running" })
	moved := home + ".old"
	if err := os.Rename(home, moved); err != nil {
		t.Fatal(err)
	}
	first.home, first.sock = moved, filepath.Join(moved, "sock")
	startDaemon(t, home) // its scan is over once it accepts
	n, _ := strconv.Atoi(pid)
	if !processAlive(n) {
		t.Errorf("the first cfkd's service (pid %s) was killed by the second cfkd", pid)
	}
	if st := c.status("s"); st[1] != "running" || st[2] != pid {
		t.Errorf("s under the first cfkd: %q, want running pid %s", st, pid)
	}
	log, _ := os.ReadFile(filepath.Join(home, "cfkd.log"))
	want := "leaving pid " + pid + " (sleep) of service s alone: it belongs to the live cfkd pid " +
		strconv.Itoa(first.cmd.Process.Pid) + ", whose home was moved or removed (its lock is now " + filepath.Join(moved, "lock") + ")"
	if !portable && !strings.Contains(string(log), want) { // no scan, nothing to leave: REFERENCE §11
		t.Errorf("the second cfkd's log lacks %q:\n%s", want, log)
	}
	// the first one stops its service itself: nothing is left for the
	// second one's clean-up
	first.cmd.Process.Signal(syscall.SIGTERM)
	if err := first.waitExit(); err != nil {
		t.Fatalf("first cfkd: exit %v\n%s", err, first.stderr.String())
	}
	if processAlive(n) {
		t.Errorf("the first cfkd left its service (pid %s) running", pid)
	}
}

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestUpgradeCarriesTheExitsOfItsWindow (REFERENCE §1.6, §13.2, §13.3):
// services whose processes end while the new cfkd of an upgrade in place
// is held in its inits (_CFKD_TEST_INIT_HOLD: after the former cfkd's
// freeze and exec, before the new one takes them over) are told their
// real ends once it takes them over: x's exit 3, y's SIGKILL while it
// was stopped (SIGSTOP before the upgrade), z's SIGKILL; and w, stopped
// across the upgrade, is killed after it: `Exited with error 3` and
// `Received signal 9`, never `Exited with error -1`.
func TestUpgradeCarriesTheExitsOfItsWindow(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "exit3.sh")
	if err := writeExecutable(script, []byte("#!/bin/sh\ntrap 'exit 3' USR1\nwhile :; do sleep 0.02; done\n")); err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	h := startHeldUpgrade(t, func(c *client) {
		c.ok("service x cmd="+script, "service y cmd=sleep 1000", "service z cmd=sleep 1000", "service w cmd=sleep 1000")
		for _, s := range []string{"x", "y", "z", "w"} {
			c.ok("command start service " + s)
			c.until(s+" running", func() bool { return c.status(s)[1] == "running" })
		}
		for s, p := range c.pidsOf() {
			if s == "a" {
				continue
			}
			pid, err := strconv.Atoi(p)
			if err != nil {
				t.Fatalf("pid of %s: %q", s, p)
			}
			pids[s] = pid
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) }) // left running if cfkd died
		}
		syscall.Kill(pids["y"], syscall.SIGSTOP)
		syscall.Kill(pids["w"], syscall.SIGSTOP)
	})
	syscall.Kill(pids["x"], syscall.SIGUSR1)
	syscall.Kill(pids["y"], syscall.SIGKILL)
	syscall.Kill(pids["z"], syscall.SIGKILL)
	for _, s := range []string{"x", "y", "z"} { // zombies: nobody reaps in the window
		waitFor(t, fmt.Sprintf("%s (pid %d) to end in the window (a zombie)", s, pids[s]), func() bool { return procState(pids[s]) == "Z" })
	}
	h.release(t, func() string { return "cfkd exited" })
	c := h.d.dial()
	syscall.Kill(pids["w"], syscall.SIGKILL)
	want := map[string]string{"x": "exit 3", "y": "signal 9", "z": "signal 9", "w": "signal 9"}
	c.until("the four ends told", func() bool {
		infos := c.infos()
		for s, last := range want {
			if infos[s].LastExit != last {
				return false
			}
		}
		return true
	})
	for s, reason := range map[string]string{"x": "768: Exited with error 3", "y": "9: Received signal 9", "z": "9: Received signal 9", "w": "9: Received signal 9"} {
		if n := logHas(h.d.home, "child terminated abnormally "+reason+" service="+s); n != 1 {
			t.Errorf("%s's end logged %d times as %q", s, n, reason)
		}
	}
	if n := logHas(h.d.home, "error -1"); n != 0 {
		t.Errorf("an end said as 'Exited with error -1' %d times", n)
	}
	h.shutdown(t)
}

// procState is the state letter of pid in /proc ("" when none).
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

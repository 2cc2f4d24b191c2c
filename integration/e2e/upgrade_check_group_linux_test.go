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

// TestUpgradeCheckLeavesNothingBehind: a check binary that puts a process
// in the background and exits (it forks and exits) left that process
// running, adopted by cfkd, until cfkd's shutdown. The check runs in a
// session of its own, nothing else of cfkd's in it, and what it left in
// its group is killed once it has exited (REFERENCE §13.3).
func TestUpgradeCheckLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	c := d.dial()
	dir := t.TempDir()
	pidFile, sidFile := filepath.Join(dir, "bg.pid"), filepath.Join(dir, "check.sid")
	script := filepath.Join(dir, "check")
	text := fmt.Sprintf("#!/bin/sh\nsleep 1000 &\necho $! > %s\necho $$ $(cut -d' ' -f6 /proc/$$/stat) > %s\nexit 1\n", pidFile, sidFile)
	if err := writeExecutable(script, []byte(text)); err != nil {
		t.Fatal(err)
	}
	var bg int
	t.Cleanup(func() { // whatever happens, the sleep does not outlive the test
		if bg > 0 && comm(bg) == "sleep" {
			syscall.Kill(bg, syscall.SIGKILL)
		}
	})
	if r := c.do("command upgrade " + script); r.Err == nil || !strings.Contains(r.Err.Error(), "exited with status 1") {
		t.Fatalf("upgrade to %s: %v, want an ERROR with its exit status", script, r.Err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if bg, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		t.Fatalf("%s: %q", pidFile, b)
	}
	b, _ = os.ReadFile(sidFile)
	var pid, sid int
	if _, err := fmt.Sscan(string(b), &pid, &sid); err != nil || sid != pid {
		t.Errorf("the check ran in session %d (%q), want one of its own (its pid %d)", sid, b, pid)
	}
	c.until(fmt.Sprintf("the check's background sleep (pid %d) gone", bg), func() bool {
		s := comm(bg)
		return s == "" || s == "zombie"
	})
	if v := c.version(); v == "" {
		t.Errorf("cfkd does not answer after the check")
	}
}

// comm is the name of process pid, "zombie" for one not reaped yet, or ""
// when there is none.
func comm(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if i < 0 || j < i || len(s) < j+3 {
		return ""
	}
	if s[j+2] == 'Z' {
		return "zombie"
	}
	return s[i+1 : j]
}

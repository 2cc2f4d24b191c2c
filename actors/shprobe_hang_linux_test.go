package actors

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShKeepsOtherNamesBoundedWhenAChildKeepsItsOutput: a /bin/sh that
// hangs, and left a process of its own holding its stdout (what a shell
// wrapper, or a shell stuck in a profile that backgrounds a helper,
// does), is killed at the probe's 5 s; the probe must not then wait for
// that process to close the pipe: cfkd's start (an upgrade's adopting
// cfkd too, its services frozen meanwhile) waits for the probe.
func TestShKeepsOtherNamesBoundedWhenAChildKeepsItsOutput(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "bg.pid")
	sh := filepath.Join(dir, "sh")
	script := "#!/bin/sh\nsleep 30 &\necho $! > " + pidFile + "\nexec sleep 30\n"
	if err := os.WriteFile(sh, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// the background sleep is the script's child, not ours: killed by its pid
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	done := make(chan bool, 1)
	start := time.Now()
	go func() { done <- ShKeepsOtherNames(sh) }()
	select {
	case keeps := <-done:
		if keeps {
			t.Errorf("a shell that hung said it keeps the variables")
		}
		t.Logf("the probe answered in %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(9 * time.Second):
		t.Fatalf("the probe still waits %v after its start: a process the killed shell left holds its stdout", time.Since(start).Round(time.Millisecond))
	}
}

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shutdownRefusedLine is what cfkd logs when the controller refuses a
// signal's shutdown while an upgrade runs (REFERENCE §13.5).
const shutdownRefusedLine = "shutdown refused: an upgrade is under way (send it again once it is done)"

// TestUpgradeCheckRefusesTermSaysSo: REFERENCE §13.5, a SIGTERM while an
// upgrade runs is refused, and cfkd says so. The signal's `command
// shutdown` was sent without its answer read: cfkd logged `shutdown
// requested` and nothing followed. The new binary here is a script that
// holds the check (the former cfkd's window) until a file is removed, then
// fails it; once the upgrade is over, a TERM shuts cfkd down.
func TestUpgradeCheckRefusesTermSaysSo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hold, started := filepath.Join(dir, "hold"), filepath.Join(dir, "started")
	if err := os.WriteFile(hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "newcfkd")
	// at most 10 s (the check's own bound): the script ends also if the
	// test dies
	body := "#!/bin/sh\n: > '" + started + "'\ni=0\nwhile [ -e '" + hold + "' ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done\nexit 9\n"
	if err := writeFileNoFork(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service a cmd=sleep 1000", "command start service a")
	c.until("a running", func() bool { return c.status("a")[1] == "running" })
	answer := d.async("command upgrade " + script)
	end := time.Now().Add(deadline)
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the check never began\nlog:\n%s", readLog(d.home))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLogAlive(t, d, shutdownRefusedLine)
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-answer:
		if err == nil || !strings.Contains(err.Error(), "exited with status 9") {
			t.Fatalf("upgrade: %v, want the check's failure", err)
		}
	case <-time.After(deadline):
		t.Fatal("the upgrade never answered")
	}
	if logHas(d.home, "shutting down: bringing every service down") != 0 {
		t.Errorf("the refused TERM began a shutdown:\n%s", readLog(d.home))
	}
	if st := d.dial().status("a"); st[1] != "running" {
		t.Errorf("a after the refused TERM: %q", st)
	}
	// the upgrade is over: a TERM shuts cfkd down
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd's exit after a SIGTERM: %v\n%s", err, readLog(d.home))
	}
	if n := logHas(d.home, "shutdown refused"); n != 1 {
		t.Errorf("cfkd.log says %d times that a shutdown was refused, want 1:\n%s", n, readLog(d.home))
	}
	noneLeft(t, d.home)
}

// TestTermDuringShutdownSaysSo: a second SIGTERM while cfkd shuts down
// (its service slow to stop) adds nothing, and cfkd says so once for it;
// the shutdown's own answer, at its end, says nothing.
func TestTermDuringShutdownSaysSo(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service a cmd=sh -c 'trap "" USR1; while :; do sleep 0.05; done'`,
		"service a stop_signal=USR1", "service a stopwait_secs=3", "command start service a")
	c.until("a running", func() bool { return c.status("a")[1] == "running" })
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLogAlive(t, d, "shutting down: bringing every service down")
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLogAlive(t, d, "shutdown requested again: cfkd is already shutting down")
	// the service is killed after its stopwait, and the shutdown ends
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd's exit after a SIGTERM: %v\n%s", err, readLog(d.home))
	}
	log := readLog(d.home)
	if strings.Count(log, "shutdown requested again") != 1 || strings.Contains(log, "shutdown refused") {
		t.Errorf("cfkd.log, a shutdown asked twice:\n%s", log)
	}
	noneLeft(t, d.home)
}

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/protocol"
)

// forkServerOf is the pid of cfkd's fork server (REFERENCE §7.6), 0 when
// it has none (the portable build).
func forkServerOf(cfkd int) int {
	for _, pid := range osproc.Pids() {
		if p, ok := osproc.ReadProc(pid); ok && p.Ppid == cfkd && slices.ContainsFunc(osproc.Environ(pid),
			func(kv string) bool { return strings.HasPrefix(kv, "CFK_OSPROC_FORK_SERVER=") }) {
			return pid
		}
	}
	return 0
}

// TestUpgradeWaitsForLaunchesUnfrozen: REFERENCE §13.3, a start asked
// while the check runs (a `start all` of thousands just after `upgrade`)
// was waited for by the freeze: the services it froze first held their
// exits and timers, and every change was refused (`cfkd is upgrading`),
// for as long as the launches took (9 s for 2,000 services). The launches
// under way are waited for before the freeze now, nothing frozen. Here
// one launch is held in the fork server (stopped) after the check passed:
// a declaration is still taken, and the upgrade goes on once it is done.
func TestUpgradeWaitsForLaunchesUnfrozen(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service s cmd=sleep 1000", "service s startwait_secs=0.2", "service p cmd=sleep 1000")
	fs := forkServerOf(d.cmd.Process.Pid)
	if fs == 0 {
		t.Skip("cfkd has no fork server (portable build)")
	}
	dir := t.TempDir()
	started, proceed, checked := filepath.Join(dir, "started"), filepath.Join(dir, "proceed"), filepath.Join(dir, "checked")
	bin := filepath.Join(dir, "cfkd-next")
	// a cfkd whose check waits for the test, and says when it is done
	script := fmt.Sprintf("#!/bin/sh\nif [ \"$1\" = --check-upgrade ]; then\n: > %q\nwhile [ ! -e %q ]; do sleep 0.01; done\n%q \"$@\"\nst=$?\n: > %q\nexit $st\nfi\nexec %q \"$@\"\n",
		started, proceed, cfkdBin, checked, cfkdBin)
	if err := writeExecutable(bin, []byte(script)); err != nil {
		t.Fatal(err)
	}
	version := c.version()
	stopped := false
	cont := func() {
		if stopped {
			syscall.Kill(fs, syscall.SIGCONT)
			stopped = false
		}
	}
	defer cont()
	up := d.dial()
	if err := protocol.WriteRequest(up.conn, "command upgrade "+bin); err != nil {
		t.Fatal(err)
	}
	c.until("the check running", func() bool { _, err := os.Stat(started); return err == nil })
	// s's launch is held in the fork server from now on
	if err := syscall.Kill(fs, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := protocol.WriteRequest(d.dial().conn, "command start service s"); err != nil {
		t.Fatal(err)
	}
	// a launch held in the fork server shows nowhere (s is still
	// stopped): the start is audited once its connection hands it to the
	// controller, and a status asked after it reaches s after it
	logPath := filepath.Join(d.home, "cfkd.log")
	c.until("s's start audited", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "command start service s ")
	})
	c.status("s")
	writeFileE2E(t, proceed, "")
	c.until("the check done", func() bool { _, err := os.Stat(checked); return err == nil })
	// the freeze would follow within milliseconds: for 300 ms, cfkd
	// still takes a change while s's launch is under way
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if r := c.do("service p desc=changed while a launch is under way"); r.Err != nil {
			t.Fatalf("a declaration while s's launch was held, after the check: %v (frozen while waiting for the launch)", r.Err)
		}
	}
	cont()
	r, err := protocol.ReadReply(up.r)
	if err != nil || r.Err != nil || len(r.Lines) != 1 || !strings.HasPrefix(r.Lines[0], "upgrading to cfkd ") {
		t.Fatalf("upgrade: %v %v %q", err, r.Err, r.Lines)
	}
	c.until("the new cfkd adopting the services", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "upgraded in place from cfkd")
	})
	c = d.dial()
	if v := c.version(); v != version {
		t.Fatalf("version after the upgrade %q, want %q", v, version)
	}
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
}

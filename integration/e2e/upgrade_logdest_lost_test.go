package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUpgradeLogDestinationLostKeepsServices: REFERENCE §13.4, a log
// destination of the configuration in force that is lost between the
// check and the exec (its directory removed) stopped the new cfkd: its
// services ran on unsupervised, and one that writes died of SIGPIPE at
// its next line. The new cfkd logs with the defaults now, says why, and
// keeps every service.
func TestUpgradeLogDestinationLostKeepsServices(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home, logs := filepath.Join(dir, "home"), filepath.Join(dir, "logs")
	for _, d := range []string{home, logs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFileE2E(t, filepath.Join(home, "log.config"), "services = file:"+filepath.Join(logs, "svc.log")+"\n")
	// the new binary: a cfkd that the check passes, whose exec loses the
	// services' log directory first
	bin := filepath.Join(dir, "cfkd-next")
	script := fmt.Sprintf("#!/bin/sh\nif [ \"$1\" != --check-upgrade ]; then rm -rf %q; fi\nexec %q \"$@\"\n", logs, cfkdBin)
	if err := writeExecutable(bin, []byte(script)); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, home)
	c := d.dial()
	c.ok(`service t cmd=sh -c 'while :; do echo tick; sleep 0.05; done'`, "service a cmd=sleep 1000", "command start all")
	c.until("t and a running", func() bool { return c.status("t")[1] == "running" && c.status("a")[1] == "running" })
	pids := c.pidsOf()
	if r := c.do("command upgrade " + bin); r.Err != nil {
		t.Fatalf("upgrade: %v", r.Err)
	}
	logPath := filepath.Join(home, "cfkd.log")
	end := time.Now().Add(deadline)
	for {
		b, _ := os.ReadFile(logPath)
		if strings.Contains(string(b), "log config: the configuration in force could not be applied after the upgrade in place") {
			break
		}
		select {
		case <-d.exited:
			t.Fatalf("the new cfkd exited: %v\n%s\nlog: %.3000s", d.err, d.stderr.String(), b)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(end) {
			t.Fatalf("the lost destination not logged\nlog: %.3000s", b)
		}
	}
	c = d.dial()
	// t writes a line every 50 ms: alive and still read 0.5 s later
	lines := func() int { b, _ := os.ReadFile(logPath); return strings.Count(string(b), "service.t.out - tick") }
	n := lines()
	c.until("t's output read by the new cfkd", func() bool { return lines() > n+10 })
	if got := c.pidsOf(); got["t"] != pids["t"] || got["a"] != pids["a"] {
		t.Fatalf("pids after the upgrade %v, were %v", got, pids)
	}
	for _, s := range []string{"t", "a"} {
		if st := c.status(s); st[1] != "running" {
			t.Fatalf("%s after the upgrade: %q", s, st)
		}
	}
}

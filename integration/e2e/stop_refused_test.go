package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStopSendsTermAgain: the tests' cleanup (daemon.stop) sent one
// SIGTERM; one that came while an upgrade ran, refused as REFERENCE §13.5
// says (a test that failed before the new cfkd served, slow under load:
// TestUpgradeSurvivesSignalsDuringExec/USR1 under a loaded machine), left
// cfkd running until the SIGKILL 15 s later, and its services behind. The
// TERM is sent again until cfkd exits: here one comes while a rollback is
// held, and cfkd stops once the rollback is done.
func TestStopSendsTermAgain(t *testing.T) {
	t.Parallel()
	bin := upgradeFaultBin(t)
	hold := filepath.Join(t.TempDir(), "hold")
	if err := os.WriteFile(hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemonBin(t, cfkdBin, "_CFKD_TEST_ADOPT_FAULT=console", "_CFKD_TEST_ROLLBACK_HOLD="+hold)
	c := d.dial()
	c.ok("service a cmd=sleep 1000", "command start service a")
	c.until("a running", func() bool { return c.status("a")[1] == "running" })
	if r := d.dial().do("command upgrade " + bin); r.Err != nil {
		t.Fatalf("upgrade: %v", r.Err)
	}
	waitLogAlive(t, d, "upgrade: the rollback's export was refused: ")
	stopped := make(chan struct{})
	go func() { defer close(stopped); d.stop() }()
	waitLogAlive(t, d, shutdownRefusedLine)
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped: // d.stop says it (t.Errorf) when it had to kill cfkd
	case <-time.After(2 * deadline):
		t.Fatalf("d.stop did not return\nlog:\n%s", readLog(d.home))
	}
}

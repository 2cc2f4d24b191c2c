package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUpgradeRollbackRefusesTerm: REFERENCE §13.5, a shutdown asked while
// an upgrade runs is refused, its rollback included. A new cfkd that fails
// once its tree took the services over (its restore refused, its console
// that does not start) rolls back as an upgrade to the former binary; a
// SIGTERM that came while it did started a shutdown, which refused the
// rollback's export for 5 s: cfkd stopped instead of rolling back. The
// TERM is refused now (logged `shutdown requested`, then `shutdown
// refused: an upgrade is under way ...`): the
// rollback completes, the former cfkd keeps the service (same pid) and
// says `rolled-back`, and a plain SIGTERM to it then shuts it down with
// the service stopped.
func TestUpgradeRollbackRefusesTerm(t *testing.T) {
	t.Parallel()
	bin := upgradeFaultBin(t)
	for _, step := range []string{"restore", "console"} {
		t.Run(step, func(t *testing.T) {
			hold := filepath.Join(t.TempDir(), "hold")
			if err := os.WriteFile(hold, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			d := startDaemonBin(t, cfkdBin, "_CFKD_TEST_ADOPT_FAULT="+step, "_CFKD_TEST_ROLLBACK_HOLD="+hold)
			c := d.dial()
			c.ok("service a cmd=sleep 1000", "command start service a")
			c.until("a running", func() bool { return c.status("a")[1] == "running" })
			pid, old := c.pidsOf()["a"], c.version()
			if r := d.dial().do("command upgrade " + bin); r.Err != nil || len(r.Lines) != 1 || r.Lines[0] != "upgrading to cfkd "+faultVersion {
				t.Fatalf("upgrade: %v %q", r.Err, r.Lines)
			}
			// the new cfkd failed, and rolls back: its export is held
			// (the test build) until the TERM is handled
			waitLogAlive(t, d, "upgrade: the rollback's export was refused: ")
			if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			waitLogAlive(t, d, "shutdown requested (signal terminated)")
			waitLogAlive(t, d, shutdownRefusedLine) // said, not silent
			if err := os.Remove(hold); err != nil {
				t.Fatal(err)
			}
			end := time.Now().Add(deadline)
			for logHas(d.home, "the upgrade in place failed and was rolled back") == 0 || !d.versionIs(old) {
				select {
				case <-d.exited:
					t.Fatalf("cfkd exited instead of rolling back: %v\n%s\nlog:\n%s", d.err, d.stderr.String(), readLog(d.home))
				default:
				}
				if time.Now().After(end) {
					t.Fatalf("no rollback after %v\nlog:\n%s", deadline, readLog(d.home))
				}
				time.Sleep(10 * time.Millisecond)
			}
			c = d.dial()
			if st := c.status("a"); st[1] != "running" || st[2] != pid {
				t.Errorf("a after the rollback: %q, want running as pid %s", st, pid)
			}
			if got := strings.Split(c.ok("command upgraded")[0], "\t"); len(got) != 4 || got[0] != "2" || got[1] != "rolled-back" ||
				!strings.Contains(got[3], "the test build fails at step \""+step+"\"") {
				t.Errorf("command upgraded after the rollback: %q, want 2 execs, rolled-back, why", got)
			}
			if logHas(d.home, "shutting down: bringing every service down") != 0 {
				t.Errorf("the refused TERM began a shutdown:\n%s", readLog(d.home))
			}
			// the former cfkd shuts down as usual
			if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := d.waitExit(); err != nil {
				t.Fatalf("cfkd's exit after a SIGTERM: %v\n%s", err, readLog(d.home))
			}
			if logHas(d.home, "shutdown complete: every service is down") != 1 {
				t.Errorf("cfkd.log does not say the shutdown completed once:\n%s", readLog(d.home))
			}
			noneLeft(t, d.home)
		})
	}
}

// waitLogAlive waits until cfkd.log holds want, failing the test if cfkd
// exits first.
func waitLogAlive(t *testing.T, d *daemon, want string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for logHas(d.home, want) == 0 {
		select {
		case <-d.exited:
			t.Fatalf("cfkd exited before its log said %q: %v\n%s\nlog:\n%s", want, d.err, d.stderr.String(), readLog(d.home))
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("cfkd.log never said %q:\n%s", want, readLog(d.home))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUpgradeRollbackAfterShutdown: a SIGTERM the new cfkd took (its
// relays run once its tree took the services over) before its rollback
// began is a shutdown under way: the rollback does not happen, the
// shutdown goes on and cfkd exits 0, every service stopped. It refused
// the rollback's export for 5 s, and cfkd then exited 1 saying that the
// rollback failed.
func TestUpgradeRollbackAfterShutdown(t *testing.T) {
	t.Parallel()
	bin := upgradeFaultBin(t)
	hold := filepath.Join(t.TempDir(), "hold")
	if err := os.WriteFile(hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemonBin(t, cfkdBin, "_CFKD_TEST_ADOPT_FAULT=console", "_CFKD_TEST_ROLLBACK_START_HOLD="+hold)
	c := d.dial()
	c.ok("service a cmd=sleep 1000", "command start service a")
	c.until("a running", func() bool { return c.status("a")[1] == "running" })
	if r := d.dial().do("command upgrade " + bin); r.Err != nil {
		t.Fatalf("upgrade: %v", r.Err)
	}
	end := time.Now().Add(deadline)
	for !strings.Contains(d.stderr.String(), "holds the rollback's start") {
		select {
		case <-d.exited:
			t.Fatalf("cfkd exited before its rollback: %v\n%s\nlog:\n%s", d.err, d.stderr.String(), readLog(d.home))
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("the rollback never began\nlog:\n%s", readLog(d.home))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLogAlive(t, d, "shutdown complete: every service is down")
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	if err := d.waitExit(); err != nil {
		t.Errorf("cfkd's exit after a shutdown asked before its rollback: %v\n%s\nlog:\n%s", err, d.stderr.String(), readLog(d.home))
	}
	log := readLog(d.home)
	if !strings.Contains(log, "upgrade: a shutdown was asked before the rollback: no rollback, cfkd shuts down") ||
		strings.Contains(log, " to roll back (") || strings.Contains(log, "cfkd stops here") {
		t.Errorf("cfkd.log does not say that the shutdown went on, no rollback:\n%s", log)
	}
	noneLeft(t, d.home)
}

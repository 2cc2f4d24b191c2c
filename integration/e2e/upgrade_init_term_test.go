package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestUpgradeTermDuringNewCfkdsInits: REFERENCE §13.5, a shutdown asked
// while an upgrade runs is refused. The new cfkd caught its signals from
// the first line of its main on, after the package inits of its
// dependencies (protobuf, prometheus, protoactor: about 5 ms): a SIGTERM
// sent then (a systemd stop during a deploy's upgrade ended it once in
// seven) had the Go runtime's default action and ended it, its services
// left unsupervised. cmd/cfkd now catches them in the init of a package
// that comes first (internal/earlysig). The test build holds the new
// cfkd in its package daemon's init (_CFKD_TEST_INIT_HOLD), which comes
// after its dependencies', while the TERM is sent.
func TestUpgradeTermDuringNewCfkdsInits(t *testing.T) {
	bin := upgradeFaultBin(t)
	hold := filepath.Join(t.TempDir(), "hold")
	if err := os.WriteFile(hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("_CFKD_TEST_INIT_HOLD", hold)
	d := startDaemon(t, "")
	c := d.dial()
	before := c.runA()
	apid, err := strconv.Atoi(before)
	if err != nil {
		t.Fatalf("pid of a: %q", before)
	}
	t.Cleanup(func() { syscall.Kill(apid, syscall.SIGKILL) }) // left running when cfkd died

	if r := d.dial().do("command upgrade " + bin); r.Err != nil || len(r.Lines) != 1 || r.Lines[0] != "upgrading to cfkd "+faultVersion {
		t.Fatalf("upgrade: %v %q", r.Err, r.Lines)
	}
	end := time.Now().Add(deadline)
	for {
		if _, err := os.Stat(hold + ".held"); err == nil {
			break
		}
		select {
		case <-d.exited:
			t.Fatalf("cfkd exited before the new one's inits: %v\n%s", d.err, readLog(d.home))
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("the new cfkd never held in its inits\n%s", readLog(d.home))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// the TERM is pending or caught before the hold ends
	time.Sleep(50 * time.Millisecond)
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	for !d.versionIs("cfk " + faultVersion) {
		select {
		case <-d.exited:
			left := "stopped"
			if syscall.Kill(apid, 0) == nil {
				left = "still running, unsupervised"
			}
			t.Fatalf("a SIGTERM during the new cfkd's package inits ended it (%v): service a (pid %d) %s\n%s", d.err, apid, left, readLog(d.home))
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("the new cfkd never answered\n%s", readLog(d.home))
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitLogAlive(t, d, "signal terminated during the upgrade: refused (send it again now)")
	if got := d.dial().pidsOf()["a"]; got != before {
		t.Fatalf("pid of a %s after the upgrade, was %s", got, before)
	}
	// supervised: a TERM now shuts cfkd down, a stopped with it
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd's exit after a SIGTERM: %v\n%s", err, readLog(d.home))
	}
	noneLeft(t, d.home)
}

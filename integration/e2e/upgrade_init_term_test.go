package e2e

import (
	"fmt"
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
	t.Parallel()
	h := startHeldUpgrade(t, nil)
	d := h.d
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// the TERM is pending or caught before the hold ends
	time.Sleep(50 * time.Millisecond)
	h.release(t, func() string {
		left := "stopped"
		if syscall.Kill(h.apid, 0) == nil {
			left = "still running, unsupervised"
		}
		return fmt.Sprintf("a SIGTERM during the new cfkd's package inits ended it (%v): service a (pid %d) %s", d.err, h.apid, left)
	})
	waitLogAlive(t, d, "signal terminated during the upgrade: refused (send it again now)")
	if got := d.dial().pidsOf()["a"]; got != h.before {
		t.Fatalf("pid of a %s after the upgrade, was %s", got, h.before)
	}
	// supervised: a TERM now shuts cfkd down, a stopped with it
	h.shutdown(t)
}

package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A service being stopped when cfkd was upgraded (SIGTERM sent, its
// process not gone yet) left its daemonised orphans running once it
// exited: the new cfkd adopted the process as not stopped by cfkd, so its
// exit was not followed by the scan for what it left (REFERENCE §7.5,
// §13). Without the upgrade they are killed; now with it too.
func TestUpgradeDuringAStopEndsTheOrphans(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	// its TERM trap waits for the test's gate, so the stop outlasts the
	// upgrade however loaded the machine
	trap, open := gatedTermTrap(t)
	c.ok(`service s cmd=`+trap+`; (setsid sleep 1001 </dev/null >/dev/null 2>&1 &); while :; do sleep 0.1; done`,
		"service s stopwait_secs=20", "service s startwait_secs=0.2", "command start service s")
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	var orphan int
	waitFor(t, "the orphan of s", func() bool {
		for _, pid := range procsOf(d.home, "s", 0) {
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); strings.HasPrefix(string(b), "sleep\x001001") {
				orphan = pid
				return true
			}
		}
		return false
	})
	t.Cleanup(func() { syscall.Kill(orphan, syscall.SIGKILL) })
	if l := c.ok("command stop service s"); len(l) == 0 || l[0] != "done 1" { // answered at SIGTERM
		t.Fatalf("stop: %q", l)
	}
	if st := c.status("s")[1]; st != "stopping" {
		t.Fatalf("s is %s, want stopping (its trap waits for the gate)", st)
	}
	d.upgradeTo(newBin, "cfk "+newVersion)
	c = d.dial()
	if st := c.status("s")[1]; st != "stopping" {
		t.Fatalf("s is %s after the upgrade, want stopping (its trap waits for the gate)", st)
	}
	open()
	c.until("s stopped", func() bool { return c.status("s")[1] == "stopped" })
	waitLog(t, d.home, "killing orphan pid "+strconv.Itoa(orphan))
	waitFor(t, "the orphan gone", func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(orphan) + "/stat")
		return err != nil || strings.Contains(string(b), ") Z ")
	})
}

// gatedTermTrap is a shell's TERM trap that ends the shell only once the
// test calls open (or ends), so that a stop lasts as long as the test
// needs.
func gatedTermTrap(t *testing.T) (trap string, open func()) {
	gate := filepath.Join(t.TempDir(), "gate")
	open = func() {
		if err := os.WriteFile(gate, nil, 0o644); err != nil && !os.IsExist(err) {
			t.Error(err)
		}
	}
	t.Cleanup(open)
	return `trap 'while [ ! -e ` + gate + ` ]; do sleep 0.05; done; exit 0' TERM`, open
}

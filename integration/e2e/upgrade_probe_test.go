package e2e

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// An exec: readiness probe running when cfkd upgrades in place is ended
// with the freeze, and the new cfkd probes again: the former cfkd's probe
// is in no state, and it ran on, a child nobody would end, until it
// exited by itself (REFERENCE §2.9: a try that hangs 30 s is killed).
func TestUpgradeEndsAnExecProbeUnderWay(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service p cmd=sleep 1000", "service p ready=exec:exec sleep 7771", "command start service p")
	probes := func() (pids []int) {
		for _, pid := range procsOf(d.home, "p", 0) {
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); strings.HasPrefix(string(b), "sleep\x007771") {
				if st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); !strings.Contains(string(st), ") Z ") {
					pids = append(pids, pid)
				}
			}
		}
		return pids
	}
	var old int
	waitFor(t, "p's probe running", func() bool {
		if ps := probes(); len(ps) == 1 {
			old = ps[0]
		}
		return old != 0
	})
	t.Cleanup(func() {
		for _, pid := range probes() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	d.upgradeTo(newBin, "cfk "+newVersion)
	waitFor(t, "the former cfkd's probe ended, the new one's running", func() bool {
		ps := probes()
		return len(ps) == 1 && ps[0] != old
	})
	if st := d.dial().status("p")[1]; st != "starting" {
		t.Errorf("p is %s, want starting (not ready yet)", st)
	}
}

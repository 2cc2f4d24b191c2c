package e2e

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// An orphan of a stopped service that ignores SIGTERM gets SIGKILL 2 s
// later (REFERENCE §7.5). That wait ran in a goroutine of the cfkd that
// an upgrade in place asked just after the stop replaced: the exec ended
// it, and the orphan ran on under the new cfkd until its shutdown. The
// upgrade now waits for the termination, nothing frozen (§13.3).
func TestUpgradeRightAfterAStopKillsTheOrphanThatIgnoresTERM(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service s cmd=(setsid sh -c 'trap "" TERM; while :; do sleep 0.1; done' </dev/null >/dev/null 2>&1 &); exec sleep 1000`,
		"service s startwait_secs=0.2", "command start service s")
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	var orphan int
	waitFor(t, "the orphan of s", func() bool {
		for _, pid := range procsOf(d.home, "s", 0) {
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); strings.HasPrefix(string(b), "sh\x00-c\x00trap") {
				orphan = pid
				return true
			}
		}
		return false
	})
	t.Cleanup(func() { syscall.Kill(orphan, syscall.SIGKILL) })
	if l := c.ok("command stop service s"); len(l) == 0 || l[0] != "done 1" {
		t.Fatalf("stop: %q", l)
	}
	// the orphan got its SIGTERM, which it ignores: its SIGKILL is 2s away
	waitLog(t, d.home, "killing orphan pid "+strconv.Itoa(orphan))
	d.upgradeTo(newBin, "cfk "+newVersion)
	waitLog(t, d.home, "orphan pid "+strconv.Itoa(orphan)+" (sh) left by service s ignored SIGTERM: sent SIGKILL")
	waitFor(t, "the orphan gone", func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(orphan) + "/stat")
		return err != nil || strings.Contains(string(b), ") Z ")
	})
}

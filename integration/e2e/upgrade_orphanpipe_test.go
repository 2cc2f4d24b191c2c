package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// orphanLine is a line of the orphan of TestUpgradeReadsADestroyedServicesOrphan
// as cfkd.log has it: its pid and its count.
var orphanLine = regexp.MustCompile(`service\.d\.out - orphan (\d+) (\d+)\n`)

// TestUpgradeReadsADestroyedServicesOrphan (REFERENCE §6.4, §7.5,
// §13.2): a process that destroyed service d left (its environment
// cleared: no scan finds it, so its destroy does not end it) still
// writes to d's stdout pipe. The former cfkd logged its lines; so does
// the new cfkd of an upgrade in place, under d, and the orphan runs on.
// The new cfkd closed the pipe: the orphan died of SIGPIPE at its next
// write.
func TestUpgradeReadsADestroyedServicesOrphan(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	script := filepath.Join(t.TempDir(), "leave.sh")
	body := "#!/bin/sh\nenv -i /bin/sh -c 'i=0; while :; do i=$((i+1)); echo \"orphan $$ $i\" || exit 7; sleep 0.02; done' &\nexit 0\n"
	if err := writeExecutable(script, []byte(body)); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(d.home, "cfkd.log")
	lines := func() (pid, last int) {
		b, _ := os.ReadFile(logPath)
		for _, m := range orphanLine.FindAllSubmatch(b, -1) {
			pid, _ = strconv.Atoi(string(m[1]))
			last, _ = strconv.Atoi(string(m[2]))
		}
		return pid, last
	}
	c.ok("service d cmd="+script, "command start service d")
	c.until("the orphan's lines", func() bool { _, n := lines(); return n > 0 })
	orphan, _ := lines()
	t.Cleanup(func() { syscall.Kill(orphan, syscall.SIGKILL) }) // no scan of the home finds it
	c.ok("command destroy service d")
	_, n := lines()
	c.until("the orphan's lines after the destroy", func() bool { _, m := lines(); return m > n+5 })

	d.upgradeTo(newBin, "cfk "+newVersion)
	c = d.dial()
	_, n = lines()
	c.until("the orphan's lines after the upgrade", func() bool { _, m := lines(); return m > n+10 })
	if err := syscall.Kill(orphan, 0); err != nil {
		t.Fatalf("the orphan after the upgrade: %v", err)
	}
	// a service of its name declared again keeps none of them
	c.ok("service d cmd=sleep 1000")
	_, n = lines()
	c.until("more of the orphan's lines", func() bool { _, m := lines(); return m > n+5 })
	if got := c.ok("command tail d"); len(got) != 0 {
		t.Errorf("tail of the d declared again: %q", strings.Join(got, "\n"))
	}
}

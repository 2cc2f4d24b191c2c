package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// REFERENCE §6.4, §13.2: the output pipe of a destroyed service's orphan
// (one cfkd leaves running, §7.5) crosses an upgrade in place as it was
// read before it: its lines are logged, and kept in no tail. It was given
// to a service declared again under that name, whose tail then held the
// orphan's lines (before the upgrade it held none); and when no service
// of that name was declared, it was closed, and the orphan's next write
// killed it (SIGPIPE).
func TestUpgradeKeepsDestroyedServicesOrphansOutOfTails(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	dir := t.TempDir()
	orphaned := func(name string) string {
		return `service ` + name + ` cmd="env -u CONTROL_FREAK_SERVICE setsid sh -c 'echo $$ > ` + filepath.Join(dir, name) +
			`; i=0; while :; do i=$((i+1)); echo ` + name + `-orphan $i; sleep 0.05; done' </dev/null & exec sleep 1000"`
	}
	c.ok(orphaned("a"), orphaned("b"), "command start service a", "command start service b")
	pids := map[string]int{}
	t.Cleanup(func() {
		// from their pid files: an orphan whose wait below failed is
		// killed too (they run in sessions of their own, no stop ends
		// them); the files are removed after this, TempDir's cleanup
		// being older
		for _, name := range []string{"a", "b"} {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	for _, name := range []string{"a", "b"} {
		waitFor(t, "the orphan of "+name, func() bool {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			pids[name] = pid
			return err == nil && pid > 0
		})
	}
	c.ok("command destroy service a", "command destroy service b")
	c.ok("service a cmd=sleep 1000", "command start service a")
	logged := func(name string) int { return strings.Count(readLog(d.home), " - "+name+"-orphan ") }
	n := logged("a")
	c.until("a's orphan logged once a is declared again", func() bool { return logged("a") > n+3 })
	if l := c.ok("command tail a"); len(l) != 0 {
		t.Fatalf("before the upgrade, the tail of a declared again holds %q", l)
	}

	d.upgradeTo(newBin, "cfk "+newVersion)
	c = d.dial()
	na, nb := logged("a"), logged("b")
	c.until("the orphans' lines logged after the upgrade", func() bool { return logged("a") > na+5 && logged("b") > nb+5 })
	if l := c.ok("command tail a"); len(l) != 0 {
		t.Errorf("after the upgrade, the tail of a declared again holds %q: the lines of the orphan of the destroyed a", l)
	}
	if err := syscall.Kill(pids["b"], 0); err != nil {
		t.Errorf("the orphan of the destroyed b: %v", err)
	}
}

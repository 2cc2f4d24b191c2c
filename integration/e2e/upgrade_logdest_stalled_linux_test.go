package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cfk/cfk/internal/testkit"
)

// TestUpgradeNamesTheStalledLogDestination: an upgrade in place waits 2 s
// for the log destinations to take their records, then execs, and what a
// stalled one (a FIFO whose reader stopped reading) held is lost
// (REFERENCE §13.3). cfkd said 'upgrade: a log destination did not take
// its records within 2s: they are lost': not which of its destinations,
// nor how many records. It names it now, with the count, in cfkd's own
// destination.
func TestUpgradeNamesTheStalledLogDestination(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "svc.fifo")
	testkit.MakeFIFO(t, fifo)
	rd, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0) // never read
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	writeFileE2E(t, filepath.Join(home, "log.config"), "services = file:"+fifo+"\n")
	d := startDaemon(t, home)
	c := d.dial()
	c.ok(`service t cmd=sh -c 'while :; do echo a line of the flood that no reader takes; done'`, "command start service t")
	// the flood reaches the FIFO, and goes on: the FIFO is full long
	// before the upgrade's 2 s are over, and what follows waits in cfkd
	c.until("the flood in the FIFO", func() bool {
		n, err := unix.IoctlGetInt(int(rd.Fd()), unix.TIOCINQ)
		return err == nil && n >= 16<<10
	})
	if r := c.do("command upgrade " + cfkdBin); r.Err != nil {
		t.Fatalf("upgrade: %v", r.Err)
	}
	re := regexp.MustCompile(`(?m) WARN cfkd - upgrade: a log destination did not take its records within 2s: up to (\d+) records lost destination=file:` + regexp.QuoteMeta(fifo) + `$`)
	logPath := filepath.Join(home, "cfkd.log")
	end := time.Now().Add(deadline)
	for {
		b, _ := os.ReadFile(logPath)
		if m := re.FindSubmatch(b); m != nil {
			if n, _ := strconv.Atoi(string(m[1])); n == 0 {
				t.Fatalf("no record said lost: %s", m[0])
			}
			if strings.Contains(string(b), "they are lost") {
				t.Errorf("the unnamed warning is still there: %.3000s", b)
			}
			break
		}
		select {
		case <-d.exited:
			t.Fatalf("cfkd exited: %v\n%s\nlog: %.3000s", d.err, d.stderr.String(), b)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(end) {
			t.Fatalf("the stalled destination is not named\nlog: %.3000s", b)
		}
	}
	c = d.dial()
	if st := c.status("t"); st[1] != "running" {
		t.Fatalf("t after the upgrade: %q", st)
	}
}

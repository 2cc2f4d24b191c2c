package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUpgradeTermAfterNewCfkdsFirstLine: REFERENCE §13.5, "while an
// upgrade runs ... a shutdown is refused, SIGTERM's included ... the new
// cfkd catches every signal it handles from its first line on". A SIGTERM
// sent once the new cfkd catches its signals (it logged its start, after
// catchEarly and before its handlers exist) is refused: the new cfkd
// answers, its service kept. It was handed over as a shutdown of the
// tree before the adoption: an empty tree shut down ("every service is
// down"), then the services were adopted and cfkd exited 0, the services
// left running, unsupervised.
func TestUpgradeTermAfterNewCfkdsFirstLine(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	before := c.runA()
	apid, err := strconv.Atoi(before)
	if err != nil {
		t.Fatalf("pid of a: %q", before)
	}
	pid := d.cmd.Process.Pid

	sent := make(chan error, 1)
	go func() {
		end := time.Now().Add(deadline)
		// the exec: /proc/PID/exe is the new binary
		for {
			if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); exe == newBin {
				break
			}
			if time.Now().After(end) {
				sent <- fmt.Errorf("never saw the exec")
				return
			}
			time.Sleep(50 * time.Microsecond)
		}
		// the new cfkd past its first line: it logged its start (after
		// catchEarly, before its handlers exist)
		want := "cfkd " + newVersion + " starting (pid " + strconv.Itoa(pid)
		for {
			if b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log")); strings.Contains(string(b), want) {
				break
			}
			if time.Now().After(end) {
				sent <- fmt.Errorf("the new cfkd never logged its start")
				return
			}
			time.Sleep(50 * time.Microsecond)
		}
		sent <- syscall.Kill(pid, syscall.SIGTERM)
	}()

	if r := d.dial().do("command upgrade " + newBin); r.Err != nil {
		t.Fatalf("upgrade: %v", r.Err)
	}
	select {
	case err := <-sent:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(deadline):
		t.Fatal("no SIGTERM sent")
	}

	end := time.Now().Add(deadline)
	for !d.versionIs("cfk " + newVersion) {
		select {
		case <-d.exited:
			log, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
			left := "stopped"
			if syscall.Kill(apid, 0) == nil {
				left = "still running, unsupervised"
			}
			t.Fatalf("a SIGTERM after the new cfkd's first line, during the upgrade, was not refused: cfkd exited (%v), service a (pid %d) %s\n%s",
				d.err, apid, left, log)
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("the new cfkd never answered\n%s", d.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// said as such (REFERENCE §13.5), not as a shutdown refused
	waitLogAlive(t, d, "signal terminated during the upgrade: refused (send it again now)")
	if n := logHas(d.home, "shutdown re"); n != 0 {
		t.Errorf("the held TERM was taken as a shutdown asked:\n%s", readLog(d.home))
	}
	if got := d.dial().pidsOf()["a"]; got != before {
		t.Fatalf("pid of a %s after the upgrade, was %s", got, before)
	}
	// and a is supervised: the new cfkd stops it
	d.dial().ok("command stop service a")
	for syscall.Kill(apid, 0) == nil {
		if time.Now().After(end) {
			t.Fatalf("service a (pid %d) never stopped", apid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

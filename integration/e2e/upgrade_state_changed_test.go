package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUpgradeAdoptsOnlyTheStateItWrote: REFERENCE §13.2, the new cfkd
// adopts the state the former one wrote, not what HOME/upgrade.state
// says by the time it reads it. The file was read by its path: one
// rewritten between the former cfkd's write and the new cfkd's read (an
// editor, another tool, a second cfkd pointed at the home by mistake) was
// adopted as it was, here a service's command and description changed,
// and service b lost. The test build holds the new cfkd in its package
// inits (_CFKD_TEST_INIT_HOLD), before it reads the state, while the file
// is rewritten in place.
func TestUpgradeAdoptsOnlyTheStateItWrote(t *testing.T) {
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
	t.Cleanup(func() { syscall.Kill(apid, syscall.SIGKILL) }) // left running if cfkd died
	c.ok("service a desc=genuine", "service b cmd=sleep 1000")

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
	// rewritten in place, as an editor saves it: a's description, and b
	// renamed to a name the former cfkd never had
	file := filepath.Join(d.home, "upgrade.state")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the state the new cfkd is to read: %v", err)
	}
	doctored := bytes.ReplaceAll(raw, []byte(`"genuine"`), []byte(`"doctored"`))
	doctored = bytes.ReplaceAll(doctored, []byte(`"Name":"b"`), []byte(`"Name":"x"`))
	if bytes.Equal(doctored, raw) {
		t.Fatalf("nothing to change in the state:\n%s", raw)
	}
	if err := os.WriteFile(file, doctored, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	for !d.versionIs("cfk " + faultVersion) {
		select {
		case <-d.exited:
			t.Fatalf("cfkd exited after the upgrade: %v\n%s", d.err, readLog(d.home))
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("the new cfkd never answered\n%s", readLog(d.home))
		}
		time.Sleep(5 * time.Millisecond)
	}
	c = d.dial()
	if got := strings.Join(c.ok("command desc service a"), "\n"); !strings.Contains(got, "genuine") {
		t.Errorf("desc a after the upgrade: %q, want the description the former cfkd had", got)
	}
	var names []string
	for _, l := range c.ok("command status") {
		names = append(names, strings.Split(l, "\t")[0])
	}
	if strings.Join(names, " ") != "a b" {
		t.Errorf("services after the upgrade: %q, want a and b", names)
	}
	if got := c.pidsOf()["a"]; got != before {
		t.Errorf("pid of a %s after the upgrade, was %s", got, before)
	}
	waitLogAlive(t, d, "was changed after the former cfkd wrote it")
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd's exit after a SIGTERM: %v\n%s", err, readLog(d.home))
	}
	noneLeft(t, d.home)
}

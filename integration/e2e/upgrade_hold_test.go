package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// heldUpgrade is an upgrade in place to the test build, whose new cfkd
// holds in its package daemon's init (_CFKD_TEST_INIT_HOLD) until
// release: what is done meanwhile reaches it before it reads its state
// or catches its signals the way main does.
type heldUpgrade struct {
	d      *daemon
	hold   string
	before string // the pid of service a, running
	apid   int
	end    time.Time // the deadline of the waits
}

// startHeldUpgrade starts a cfkd with service a running, runs prep (nil:
// nothing) on a connection, asks the upgrade, and waits until the new
// cfkd holds.
func startHeldUpgrade(t *testing.T, prep func(c *client)) *heldUpgrade {
	t.Helper()
	bin := upgradeFaultBin(t)
	h := &heldUpgrade{hold: filepath.Join(t.TempDir(), "hold")}
	if err := os.WriteFile(h.hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h.d = startDaemonBin(t, cfkdBin, "_CFKD_TEST_INIT_HOLD="+h.hold)
	c := h.d.dial()
	h.before = c.runA()
	apid, err := strconv.Atoi(h.before)
	if err != nil {
		t.Fatalf("pid of a: %q", h.before)
	}
	h.apid = apid
	t.Cleanup(func() { syscall.Kill(apid, syscall.SIGKILL) }) // left running if cfkd died
	if prep != nil {
		prep(c)
	}
	if r := h.d.dial().do("command upgrade " + bin); r.Err != nil || len(r.Lines) != 1 || r.Lines[0] != "upgrading to cfkd "+faultVersion {
		t.Fatalf("upgrade: %v %q", r.Err, r.Lines)
	}
	h.end = time.Now().Add(deadline)
	for {
		if _, err := os.Stat(h.hold + ".held"); err == nil {
			return h
		}
		select {
		case <-h.d.exited:
			t.Fatalf("cfkd exited before the new one's inits: %v\n%s", h.d.err, readLog(h.d.home))
		default:
		}
		if time.Now().After(h.end) {
			t.Fatalf("the new cfkd never held in its inits\n%s", readLog(h.d.home))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// release lets the new cfkd go on, and waits until it answers; exited
// says why the test fails if cfkd exits meanwhile.
func (h *heldUpgrade) release(t *testing.T, exited func() string) {
	t.Helper()
	if err := os.Remove(h.hold); err != nil {
		t.Fatal(err)
	}
	for !h.d.versionIs("cfk " + faultVersion) {
		select {
		case <-h.d.exited:
			t.Fatalf("%s\n%s", exited(), readLog(h.d.home))
		default:
		}
		if time.Now().After(h.end) {
			t.Fatalf("the new cfkd never answered\n%s", readLog(h.d.home))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// shutdown ends cfkd with a SIGTERM, and checks that nothing is left.
func (h *heldUpgrade) shutdown(t *testing.T) {
	t.Helper()
	if err := h.d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := h.d.waitExit(); err != nil {
		t.Fatalf("cfkd's exit after a SIGTERM: %v\n%s", err, readLog(h.d.home))
	}
	noneLeft(t, h.d.home)
}

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// REFERENCE §7.3: a cfkd started with HUP ignored (`nohup cfkd &`, whose
// shell resends its terminal's hangup to its jobs at logout) keeps it
// ignored: it shut down at the logout. HUP is still caught, not ignored,
// so a service does not inherit an ignored HUP (its `trap ... HUP` would
// be void), and it stays ignored across an upgrade in place, whose exec
// ignores HUP anyway.
func TestNohupKeepsHangupIgnored(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command("sh", "-c", `trap "" HUP; exec "$0" "$@"`, cfkdBin, "--home", home)
	d := runDaemonCmd(t, home, cmd, nil).acceptsOnHome()
	c := d.dial()
	c.ok("service a cmd=sleep 1000", "command start service a")
	c.until("a has a pid", func() bool { return c.status("a")[2] != "" })
	b, err := os.ReadFile("/proc/" + c.status("a")[2] + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigIgn:"); ok {
			if m, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64); m&(1<<(syscall.SIGHUP-1)) != 0 {
				t.Errorf("the service inherited an ignored SIGHUP: SigIgn %s", strings.TrimSpace(v))
			}
		}
	}
	const said = "signal hangup ignored: cfkd was started with it ignored (nohup)"
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, home, said)
	c.ok("service b cmd=sleep 1000")

	if r := d.dial().do("command upgrade " + cfkdBin); r.Err != nil {
		t.Fatalf("upgrade: %v", r.Err)
	}
	waitFor(t, "the new cfkd serving", func() bool { return strings.Count(readLog(home), "admin console listening") == 2 })
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the HUP after the upgrade ignored", func() bool { return strings.Count(readLog(home), said) == 2 })
	d.dial().ok("service c cmd=sleep 1000")
}

package e2e

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// A cfkctl request in flight when cfkd is upgraded in place (a restart of
// a service still stopping) gets a clean close with no reply, and the new
// cfkd carries it on (REFERENCE §13.3). cfkctl said only `reading from
// cfkd: cfkd closed the connection`, which reads as a failure; it now asks
// `command upgraded` and says that an upgrade came meanwhile and carries
// the request on (§8.3).
func TestCfkctlRequestClosedByAnUpgrade(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	// its TERM trap waits for the test's gate: the restart waits for its
	// stop across the upgrade
	trap, open := gatedTermTrap(t)
	c.ok(`service slow cmd=`+trap+`; while :; do sleep 0.1; done`,
		"service slow startwait_secs=0.2", "command start service slow")
	c.until("slow running", func() bool { return c.status("slow")[1] == "running" })
	var stderr bytes.Buffer
	restart := exec.Command(cfkctlBin, "--address", "unix:"+d.sock, "restart", "slow")
	restart.Env, restart.Stderr = childEnv(), &stderr
	if err := restart.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restart.Process.Kill(); restart.Wait() })
	c.until("slow stopping", func() bool { return c.status("slow")[1] == "stopping" })
	d.upgradeTo(newBin, "cfk "+newVersion)
	err := restart.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("cfkctl restart: %v, want exit 1\n%s", err, stderr.String())
	}
	want := "cfkctl: reading from cfkd: cfkd closed the connection: an upgrade in place came meanwhile (upgraded in place from cfkd "
	if got := stderr.String(); !strings.HasPrefix(got, want) ||
		!strings.Contains(got, "); the request was taken, and the cfkd that runs now carries it on: see cfkctl status") {
		t.Fatalf("cfkctl restart said %q, want %q...", got, want)
	}
	open()
	c = d.dial()
	// it was stopping: running again is the restart, carried on
	c.until("slow running again", func() bool { return c.status("slow")[1] == "running" })
}

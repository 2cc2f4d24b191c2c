package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestApplyLeavesToAStopWhatItWaitsToStop: through the real cfkd and
// cfkctl, `cfkctl apply` of a file that changes db while a `stop db`
// waits for app, which requires db, to end (app ignores SIGTERM: its
// SIGKILL comes after stopwait_secs) leaves db to that stop: db is
// launched once, and ends stopped, as the operator asked (REFERENCE
// §1.4, §2.8). The apply restarted db at once, beneath app, launched
// it again, and the stop then stopped that new run once app was down.
func TestApplyLeavesToAStopWhatItWaitsToStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	launches := filepath.Join(dir, "launches")
	conf := func(name, db string) string {
		return writeConf(t, filepath.Join(dir, name), "service db cmd=echo "+db+" >> "+launches+"; exec sleep 1000\n"+
			"service db startwait_secs=0.2\n"+
			"service app cmd=trap '' TERM; sleep 1000 & wait; wait\n"+
			"service app startwait_secs=0.2\n"+
			"service app stopwait_secs=2\n"+
			"service app requires=db\n")
	}
	before, after := conf("before.conf", "before"), conf("after.conf", "after")
	d := startDaemon(t, "", "-c", before)
	c := d.dial()
	d.ctlOK("", "start", "app")
	c.until("db and app running", func() bool {
		return c.status("db")[1] == "running" && c.status("app")[1] == "running"
	})

	stopped := d.async("command stop service db")
	c.until("app stopping", func() bool { return c.status("app")[1] == "stopping" })
	out, errs, code := d.ctl("", "apply", after)
	if code != 0 || out != "~ db: cmd\n" {
		t.Fatalf("cfkctl apply: exit %d, stdout %q, stderr %q; want the plan alone", code, out, errs)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("stop db: %v", err)
	}
	c.until("db stopped, app down (fail: its SIGKILL)", func() bool {
		return c.status("db")[1] == "stopped" && c.status("app")[1] == "fail"
	})
	b, err := os.ReadFile(launches)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(b)); len(got) != 1 || got[0] != "before" {
		t.Fatalf("db's launches: %q, want its first alone (the operator stopped it)", got)
	}
}

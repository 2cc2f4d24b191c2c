package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRestartWaitsForAStopThatWaits: through the real cfkd, a `restart
// service db` while a `stop service db` waits for app, which requires
// db, to end (app ends a second after its SIGTERM) waits for that stop:
// db is signalled once app has ended (REFERENCE §2.8), then started
// again once down, and the restart is answered then; app stays down. The
// restart restarted db at once, beneath app still running its stop, and
// the stop then stopped that new run: db ended stopped, its second
// launch before app's end.
func TestRestartWaitsForAStopThatWaits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	conf := writeConf(t, filepath.Join(dir, "cfk.conf"),
		"service db cmd=echo db >> "+log+"; exec sleep 1000\n"+
			"service db startwait_secs=0.2\n"+
			"service app cmd=trap 'sleep 1; echo app-ended >> "+log+"; exit 0' TERM; sleep 1000 & wait\n"+
			"service app startwait_secs=0.2\n"+
			"service app stopwait_secs=10\n"+
			"service app requires=db\n")
	d := startDaemon(t, "", "-c", conf)
	c := d.dial()
	d.ctlOK("", "start", "app")
	c.until("db and app running", func() bool {
		return c.status("db")[1] == "running" && c.status("app")[1] == "running"
	})

	stopped := d.async("command stop service db")
	c.until("app stopping", func() bool { return c.status("app")[1] == "stopping" })
	restarted := d.async("command restart service db")
	if err := <-stopped; err != nil {
		t.Fatalf("stop db: %v", err)
	}
	if err := <-restarted; err != nil {
		t.Fatalf("restart db: %v", err)
	}
	c.until("db running again, app stopped", func() bool {
		return c.status("db")[1] == "running" && c.status("app")[1] == "stopped"
	})
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "db app-ended db" {
		t.Fatalf("log %q, want db's launch, app's end, db's launch again", got)
	}
}

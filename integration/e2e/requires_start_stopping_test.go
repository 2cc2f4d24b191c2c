package e2e

import (
	"strings"
	"testing"
)

// TestStartOfWhatIsRequiredWhileItStops: through the real cfkd and
// cfkctl, `cfkctl start db app` while a `stop db` waits for db's end (db
// ignores SIGTERM: its SIGKILL comes after stopwait_secs) starts db again
// once down, then app: db's own line says `already up` (compat), and app
// runs. It failed `Service 'app' cannot start: requires 'db': Service
// 'db' did not come back up: fail (Received signal 9)` and left both
// down, where `cfkctl start app` alone started both (REFERENCE §2.8).
func TestStartOfWhatIsRequiredWhileItStops(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	d.ctlOK(`service db cmd=trap '' TERM; sleep 1000 & wait; wait
service db startwait_secs=0.2
service db stopwait_secs=1
service app cmd=sleep 1000
service app startwait_secs=0.2
service app requires=db
`, "load", "-")
	c := d.dial()
	d.ctlOK("", "start", "db")
	c.until("db running", func() bool { return c.status("db")[1] == "running" })

	stopped := d.async("command stop service db")
	c.until("db stopping", func() bool { return c.status("db")[1] == "stopping" })
	_, errs, code := d.ctl("", "start", "db", "app")
	if err := <-stopped; err != nil {
		t.Fatalf("stop db: %v", err)
	}
	if code != 0 || !strings.Contains(errs, "db: Service 'db' is already up") || strings.Contains(errs, "app:") || strings.Contains(errs, "cannot start") {
		t.Fatalf("cfkctl start db app: exit %d, stderr %q: want app started, db's line `already up`", code, errs)
	}
	c.until("db and app running", func() bool {
		return c.status("db")[1] == "running" && c.status("app")[1] == "running"
	})
}

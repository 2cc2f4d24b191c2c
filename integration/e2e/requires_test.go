package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// requiresScript is a service that writes "start NAME" to a file when it
// starts and "stop NAME" when it gets SIGTERM, then exits 0: the file is
// the order in which the services really started and stopped (a line is
// written by the service itself, before cfkd can know it runs or is
// gone).
const requiresScript = `echo "start $1" >> "$2"
trap 'echo "stop $1" >> "$2"; exit 0' TERM
sleep 100 &
wait
`

// TestRequiresOrder: through the real cfkd and cfkctl, a start of web
// starts db, then app, then web (web requires app, app requires db), each
// once the one before runs; a stop of db stops web, then app, then db,
// each once the one before has exited; shutdown stops them in the same
// order. A cycle is refused when declared; a required service that is not
// declared is an error at start (REFERENCE §2.8).
func TestRequiresOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script, order := filepath.Join(dir, "svc.sh"), filepath.Join(dir, "order.log")
	if err := os.WriteFile(script, []byte(requiresScript), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "")
	var conf strings.Builder
	for _, svc := range []struct{ name, requires string }{{"web", "app"}, {"app", "db"}, {"db", ""}} {
		fmt.Fprintf(&conf, "service %s cmd=[\"/bin/sh\", %q, %q, %q]\n", svc.name, script, svc.name, order)
		fmt.Fprintf(&conf, "service %s startwait_secs=0.3\n", svc.name)
		if svc.requires != "" { // web is declared before what it requires: config order does not matter
			fmt.Fprintf(&conf, "service %s requires=%s\n", svc.name, svc.requires)
		}
	}
	d.ctlOK(conf.String(), "load", "-")
	c := d.dial()
	lines := func(n int) []string {
		t.Helper()
		var got []string
		c.until(fmt.Sprintf("%d lines in the order file", n), func() bool {
			b, _ := os.ReadFile(order)
			got = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			return len(b) > 0 && len(got) >= n
		})
		return got
	}
	states := func() []string {
		var out []string
		for _, n := range []string{"db", "app", "web"} {
			out = append(out, c.status(n)[1])
		}
		return out
	}

	// start web: db, then app (0.3 s later, once db runs), then web
	t0 := time.Now()
	d.ctlOK("", "start", "web")
	if took := time.Since(t0); took < 600*time.Millisecond {
		t.Fatalf("start web answered after %v: db and app did not get to run first (startwait 0.3 s each)", took)
	}
	if got := states(); got[0] != "running" || got[1] != "running" || got[2] == "stopped" {
		t.Fatalf("after start web: db, app, web %q", got)
	}
	if got, want := lines(3), []string{"start db", "start app", "start web"}; !slices.Equal(got, want) {
		t.Fatalf("start order %q, want %q", got, want)
	}
	if out := d.ctlOK("", "desc", "web"); !strings.Contains(out, `requires="app"`) {
		t.Fatalf("desc web: %q", out)
	}

	// stop db: web, then app, then db
	d.ctlOK("", "stop", "db")
	c.until("all stopped", func() bool { return slices.Equal(states(), []string{"stopped", "stopped", "stopped"}) })
	if got, want := lines(6)[3:], []string{"stop web", "stop app", "stop db"}; !slices.Equal(got, want) {
		t.Fatalf("stop order %q, want %q", got, want)
	}

	// a cycle is refused; a required service that is not declared is an
	// error at start
	if _, errs, code := d.ctl("service db requires=web\n", "load", "-"); code != 1 ||
		!strings.Contains(errs, "dependency cycle: db -> web -> app -> db") {
		t.Fatalf("cycle: exit %d, stderr %q", code, errs)
	}
	d.ctlOK("service lone cmd=sleep 100\nservice lone requires=nosuch\n", "load", "-")
	if _, errs, code := d.ctl("", "start", "lone"); code != 1 ||
		errs != "Service 'lone' cannot start: requires 'nosuch', which is not declared\n" {
		t.Fatalf("start lone: exit %d, stderr %q", code, errs)
	}

	// shutdown: web, then app, then db
	d.ctlOK("", "start", "web")
	lines(9)
	c.until("all running", func() bool { return slices.Equal(states(), []string{"running", "running", "running"}) })
	d.ctlOK("", "shutdown")
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd exit: %v\n%s", err, d.stderr.String())
	}
	b, _ := os.ReadFile(order)
	got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if want := []string{"start db", "start app", "start web", "stop web", "stop app", "stop db"}; len(got) != 12 ||
		!slices.Equal(got[6:], want) {
		t.Fatalf("after shutdown the order file holds %q, want its last six lines %q", got, want)
	}
}

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRequiresReferencesInAnyOrder: through the real cfkd and cfkctl,
// with app requiring db, `cfkctl stop db app` exits 0 as `stop app db`
// does, each stopping app, then db, once. cfkctl sent one request per
// reference: the stop of db took app down first, then the request for
// app failed `Service 'app' is already down` (exit 1). Now the
// references go in one request, planned together (REFERENCE §1.4, §2.8,
// §8.2); the same for start, restart, up and down, `stop db db` and a
// tag overlapping a name acting on each service once. A service down
// before the request keeps its compat error.
func TestRequiresReferencesInAnyOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script, order := filepath.Join(dir, "svc.sh"), filepath.Join(dir, "order.log")
	if err := os.WriteFile(script, []byte(requiresScript), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "")
	var conf strings.Builder
	for _, n := range []string{"db", "app"} {
		fmt.Fprintf(&conf, "service %s cmd=[\"/bin/sh\", %q, %q, %q]\n", n, script, n, order)
		fmt.Fprintf(&conf, "service %s startwait_secs=0.2\nservice %s tags=t\n", n, n)
	}
	conf.WriteString("service app requires=db\n")
	d.ctlOK(conf.String(), "load", "-")
	c := d.dial()
	seen := 0
	next := func(what string, want ...string) { // the next lines of the order file
		t.Helper()
		var got []string
		c.until(fmt.Sprintf("%d more lines in the order file", len(want)), func() bool {
			b, _ := os.ReadFile(order)
			all := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			got = nil
			if len(b) > 0 && len(all) > seen {
				got = all[seen:]
			}
			return len(got) >= len(want)
		})
		if !slices.Equal(got, want) {
			t.Fatalf("%s: the services wrote %q, want %q", what, got, want)
		}
		seen += len(want)
	}
	states := func(want string) {
		t.Helper()
		c.until("db and app "+want, func() bool { return c.status("db")[1] == want && c.status("app")[1] == want })
	}
	run := func(want int, args ...string) string {
		t.Helper()
		_, errs, code := d.ctl("", args...)
		if code != want {
			t.Fatalf("cfkctl %q: exit %d, want %d; stderr %q", args, code, want, errs)
		}
		return errs
	}

	for _, refs := range [][]string{{"db", "app"}, {"app", "db"}} {
		what := strings.Join(refs, " ")
		run(0, append([]string{"start"}, refs...)...)
		next("start "+what, "start db", "start app")
		states("running")
		run(0, append([]string{"restart"}, refs...)...)
		// db again, then app once db runs again (REFERENCE §2.8), each once
		next("restart "+what, "stop db", "start db", "stop app", "start app")
		states("running")
		run(0, append([]string{"stop"}, refs...)...)
		next("stop "+what, "stop app", "stop db")
		states("stopped")
		run(0, append([]string{"up"}, refs...)...)
		next("up "+what, "start db", "start app")
		states("running")
		run(0, append([]string{"down"}, refs...)...)
		next("down "+what, "stop app", "stop db")
		states("stopped")
	}

	// down before the request: the compat error, as one reference gets it
	if errs := run(1, "stop", "db", "db"); errs != "Service 'db' is already down\n" {
		t.Fatalf("stop db db, db down: stderr %q", errs)
	}
	if errs := run(1, "stop", "app", "db"); errs != "Service 'app' is already down\n" {
		t.Fatalf("stop app db, both down: stderr %q", errs)
	}
	// a tag and the names it selects: each once
	run(0, "start", "db", "@t", "app")
	next("start db @t app", "start db", "start app")
	states("running")
	run(0, "stop", "@t", "db", "db")
	next("stop @t db db", "stop app", "stop db")
	states("stopped")
}

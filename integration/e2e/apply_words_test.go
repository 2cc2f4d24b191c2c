package e2e

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/cfk/cfk/messages"
)

// TestApplyOptionTwiceRefused: cfkd refuses `command apply` with an
// option word given twice, naming it, and changes nothing (REFERENCE
// §1.4); cfkctl apply given a flag twice sends each word once, which cfkd
// takes.
func TestApplyOptionTwiceRefused(t *testing.T) {
	conf := writeConf(t, filepath.Join(t.TempDir(), "old.conf"), "service keep cmd=sleep 100\ncommand start service keep\n")
	d := startDaemon(t, "", "-c", conf)
	c := d.dial()
	c.until("keep up", func() bool { return c.status("keep")[2] != "" })
	pid := c.status("keep")[2]
	data := messages.EncodeApplyData("service fresh cmd=sleep 100\n")
	for _, tc := range []struct{ opts, word string }{
		{"prune prune", "prune"},
		{"dry-run dry-run", "dry-run"},
		{"rolling prune rolling", "rolling"},
	} {
		r := c.do("command apply " + tc.opts + " " + data)
		want := "apply: '" + tc.word + "' given twice"
		if r.Err == nil || r.Err.Error() != want {
			t.Fatalf("%q: %+v, want ERROR: %s", tc.opts, r, want)
		}
	}
	if got := c.ok("command list"); !slices.Equal(got, []string{"keep"}) {
		t.Fatalf("declared after the refusals: %q", got)
	}
	if c.status("keep")[2] != pid {
		t.Fatal("keep was restarted")
	}
	fresh := writeConf(t, filepath.Join(t.TempDir(), "new.conf"), "service fresh cmd=sleep 100\n")
	d.expectApply(0, "+ fresh\n- keep\n", "", "--dry-run", "--dry-run", "--prune", "--prune", "--rolling", "--rolling", fresh)
	if got := c.ok("command list"); !slices.Equal(got, []string{"keep"}) {
		t.Fatalf("declared after the dry run: %q", got)
	}
}

package daemon

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cfk/cfk/actors"
)

// TestUpgradeOutcomeLine: `command upgraded`'s line (REFERENCE §13.4):
// none before any upgrade, then EXECS KIND TIME TEXT on one line; the
// count crosses the next exec one higher, and is read once.
func TestUpgradeOutcomeLine(t *testing.T) {
	o := &outcome{}
	if got := o.get(); got != actors.NoUpgrade {
		t.Errorf("no upgrade: %q, want %q", got, actors.NoUpgrade)
	}
	o = &outcome{execs: 2}
	if got := o.get(); got != "2\tnone\t0\t" {
		t.Errorf("no outcome after 2 execs: %q", got)
	}
	o.set(upgradedRolledBack, "the upgrade in place failed\tand was\nrolled back: why")
	f := strings.Split(o.get(), "\t")
	if len(f) != 4 || f[0] != "2" || f[1] != "rolled-back" || f[3] != "the upgrade in place failed and was rolled back: why" {
		t.Errorf("rolled back: %q", f)
	}
	if n, err := strconv.ParseInt(f[2], 10, 64); err != nil || n <= 0 {
		t.Errorf("rolled back: time %q", f[2])
	}
	t.Setenv(execsEnv, strings.TrimPrefix(execsVar(2), execsEnv+"="))
	if n := execsFromEnv(); n != 3 {
		t.Errorf("execs read back: %d, want 3", n)
	}
	if n := execsFromEnv(); n != 0 {
		t.Errorf("execs read twice: %d, want 0 (unset once read)", n)
	}
}

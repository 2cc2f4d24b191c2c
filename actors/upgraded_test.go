package actors

import (
	"slices"
	"testing"
)

// TestUpgradedAnswersTheLastUpgrade: `command upgraded` answers the line
// of Options.Upgraded (NoUpgrade without one), also while the services
// are frozen for an upgrade (REFERENCE §13.4).
func TestUpgradedAnswersTheLastUpgrade(t *testing.T) {
	t.Parallel()
	if got := newRig(t).ok("command upgraded"); !slices.Equal(got, []string{NoUpgrade}) {
		t.Fatalf("upgraded without Options.Upgraded: %q, want %q", got, NoUpgrade)
	}
	line := "2\trolled-back\t1795274153\tthe upgrade in place failed and was rolled back: why"
	r := newRig(t, func(o *Options) { o.Upgraded = func() string { return line } })
	r.ok("service s cmd=sleep 1")
	if got := r.ok("command upgraded"); !slices.Equal(got, []string{line}) {
		t.Fatalf("upgraded: %q, want %q", got, line)
	}
	res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: true}, deadline).Result()
	if ex, ok := res.(Exported); err != nil || !ok || ex.Err != nil {
		t.Fatalf("freeze: %v %#v", err, res)
	}
	if got := r.ok("command upgraded"); !slices.Equal(got, []string{line}) {
		t.Errorf("upgraded while frozen: %q, want %q", got, line)
	}
	if _, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ThawState{}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
}

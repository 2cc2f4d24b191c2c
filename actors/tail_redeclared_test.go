package actors

import (
	"slices"
	"testing"

	"github.com/cfk/cfk/osproc"
)

// The lines of a destroyed service's runs that reach cfkd once a service
// of the same name is declared (its orphans, writing on while the destroy
// ends them, their pipes still open) are logged, not kept as the new
// service's (REFERENCE §6.4): they were, so that 'command tail o' of a
// service just declared, never started, showed the lines of the one
// destroyed before it.
func TestTailOfARedeclaredServiceKeepsNoLineOfTheDestroyedOne(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.startRunning("o")
	out := r.fake.allLaunches()[0].Spec.StdoutLines
	if out == nil {
		t.Fatal("the launch has no StdoutLines")
	}
	out(100, osproc.RunOf([]byte("before\n")))
	if got := r.ok("command tail o"); !slices.Equal(got, []string{"before"}) {
		t.Fatalf("tail before the destroy: %q", got)
	}
	r.okDone("command destroy service o", 1)
	r.ok("service o cmd=sleep 100")
	// the former run's orphan writes on its pipe
	out(100, osproc.RunOf([]byte("orphan-line\n")))
	if got := r.ok("command tail o"); len(got) != 0 {
		t.Errorf("tail of the new o holds the destroyed o's lines: %q", got)
	}
	// the new declaration's own runs are kept
	r.okDone("command start service o", 1)
	r.fake.waitLaunch(t, 2)
	r.fake.allLaunches()[1].Spec.StdoutLines(101, osproc.RunOf([]byte("new-run\n")))
	if got := r.ok("command tail o"); !slices.Equal(got, []string{"new-run"}) {
		t.Errorf("tail of the new o: %q, want its own run's line", got)
	}
}

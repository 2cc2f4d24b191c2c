package actors

import (
	"fmt"
	"testing"
)

// The names a proxy's run records keep the bounds the maps they replace
// had: at most maxLastPids names with a lastPid, and as many with a
// declaration, each cleared as a whole once full; a name's record goes
// once nothing is left in it.
func TestProxiedNamesBounds(t *testing.T) {
	ns := newProxiedNames()
	for i := range maxLastPids {
		name := fmt.Sprint("s", i)
		ns.sent(name, proxiedRef{attempt: 1}, uint64(i+1))
		ns.entry(name).pid = 100 + i
		ns.exited(name, 100+i)
		ns.forget(name)
	}
	if ns.lastPids != maxLastPids || ns.decls != maxLastPids || len(ns.byName) != maxLastPids {
		t.Fatalf("lastPids %d, decls %d, names %d, want %d each", ns.lastPids, ns.decls, len(ns.byName), maxLastPids)
	}
	// one more exit: the lastPids are cleared, its own kept
	ns.sent("x", proxiedRef{attempt: 1}, 7)
	ns.entry("x").pid = 9
	ns.exited("x", 9)
	if got := ns.of("x"); ns.lastPids != 1 || got.lastPid != 9 || ns.of("s0").lastPid != 0 {
		t.Fatalf("after the bound: lastPids %d, x %+v, s0 %+v", ns.lastPids, got, ns.of("s0"))
	}
	// the declarations were full when x was sent: cleared, x's kept;
	// the names left with nothing are gone
	if got := ns.of("x"); ns.decls != 1 || got.decl != 7 || len(ns.byName) != 1 {
		t.Fatalf("after the bound: decls %d, x %+v, names %d", ns.decls, got, len(ns.byName))
	}
	// an exit of another pid than the one reported changes nothing
	ns.sent("x", proxiedRef{attempt: 2}, 7)
	ns.exited("x", 9)
	if got := ns.of("x"); got.lastPid != 0 || ns.lastPids != 0 || !got.asked || got.ref.attempt != 2 {
		t.Fatalf("x %+v, lastPids %d", got, ns.lastPids)
	}
}

package actors

import (
	"testing"
	"time"
)

// An apply whose restart of a changed service was refused (its new
// declaration cannot start) made the declarations, so the same apply
// again found no changes while the service ran its former process. The
// service's run of a former declaration has a `~` line of its own in
// every plan, and each apply tries the restart again (REFERENCE §1.4,
// §1.6), until it runs its declaration.
func TestApplyRestartsARunOfAFormerDeclaration(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	base := "service s cmd=sleep 100\nservice s startwait_secs=0.02\n"
	r.applyOK("", base, "+ s")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, running)
	refused := "s: Service 's' cannot start: socket 'web' is not bound"
	// its stdin tied to a socket declared but not bound: the restart is refused
	file := base + "service s tie_stdin_to=web\nsocket web host=127.0.0.1\nsocket web service=0\n"
	r.applyOK("", file, "~ s: tie_stdin_to", "+ socket web", refused)
	r.applyOK("dry-run", file, "~ s: (running a former declaration)")
	r.applyOK("", file, "~ s: (running a former declaration)", refused)
	r.applyOK("rolling", file, "~ s: (running a former declaration)", refused)
	// a label changed with it: the run is still a former declaration's
	r.applyOK("", file+"service s desc=web\n", "~ s: desc (running a former declaration)", refused)
	r.expectQuiet("s", 50*time.Millisecond)
	if i := r.info("service s"); !i[0].RunningFormer {
		t.Fatalf("inspect of s running a former declaration: %+v", i[0])
	}
	old := r.fake.launchCount()
	// its cause fixed, the same file restarts it (rolling as the other ~),
	// and then finds nothing to do
	r.ok("command bind web")
	r.applyOK("rolling", file, "~ s: desc (running a former declaration)") // answered once running
	r.expectSeq("s", stopping, stopped, starting, running)
	if n := r.fake.launchCount(); n != old+1 {
		t.Fatalf("%d launches, want 1", n-old)
	}
	r.applyOK("", file, "no changes")
	if i := r.info("service s"); i[0].RunningFormer {
		t.Fatalf("inspect of s restarted: %+v", i[0])
	}
	// a declaration changed outside an apply is a former one too; a
	// label alone is not
	r.ok("service s desc=label")
	r.applyOK("dry-run", file+"service s desc=label\n", "no changes")
	r.ok("service s startwait_secs=0.03")
	file += "service s desc=label\nservice s startwait_secs=0.03\n"
	r.applyOK("dry-run", file, "~ s: (running a former declaration)")
	// a service down runs nothing
	r.okDone("command stop service s", 1)
	r.applyOK("dry-run", file, "no changes")
}

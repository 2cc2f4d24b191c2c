package actors

import (
	"testing"

	"github.com/cfk/cfk/upgrade"
)

// A run of a former declaration (declared anew since its launch, and not
// restarted) is still one after an upgrade in place: the state carries
// the run's declaration, so that inspect's running_former and an apply's
// `(running a former declaration)` survive it (REFERENCE §1.4). A state
// without it (a cfkd before it was carried) takes the current one.
func TestRunOfAFormerDeclarationCrossesAnUpgrade(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	old.ok("service s cmd=sleep 100", "service s startwait_secs=0.02",
		"service c cmd=sleep 100", "service c startwait_secs=0.02")
	old.okDone("command start service s", 1)
	old.expectSeq("s", starting, running)
	old.okDone("command start service c", 1)
	old.expectSeq("c", starting, running)
	old.ok("service s startwait_secs=0.03", "service c desc=label")
	if i := old.info("service s"); !i[0].RunningFormer {
		t.Fatalf("s before the upgrade: %+v, want running a former declaration", i[0])
	}
	ex := old.export(true)
	restored := func(ex Exported) *rig {
		nw := newRig(t, func(o *Options) {
			o.Launcher = &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}}
		})
		if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: &upgrade.State{Services: ex.Services}}, deadline).Result(); err != nil {
			t.Fatal(err)
		}
		return nw
	}
	nw := restored(ex)
	// the restored service tells the controller of its run in an update
	// that raises no event: polled, not waited for with the recorder
	waitFor(t, "s adopted running a former declaration", func() bool { return nw.info("service s")[0].RunningFormer })
	if i := nw.info("service c"); i[0].RunningFormer {
		t.Fatalf("c, whose label alone changed: %+v, want its run taken as its declaration's", i[0])
	}
	nw.applyOK("dry-run", "service s cmd=sleep 100\nservice s startwait_secs=0.03\nservice c cmd=sleep 100\nservice c startwait_secs=0.02\nservice c desc=label\n",
		"~ s: (running a former declaration)")

	// from a cfkd that did not carry it: the current declaration
	for i := range ex.Services {
		ex.Services[i].RunConfig = nil
	}
	before := restored(ex)
	before.wait("s adopted", func() bool { i := before.info("service s"); return len(i) == 1 && i[0].Pid != 0 })
	if i := before.info("service s"); i[0].RunningFormer {
		t.Fatalf("s from a state without its run's declaration: %+v, want the current one taken", i[0])
	}
}

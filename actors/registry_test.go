package actors

import (
	"strings"
	"testing"
)

// TestTreeRegistryIsSmall: the tree's actor system has a registry of
// treeRegistryBuckets buckets (ShrinkRegistry), in which the dead letter
// process and the service actors are found.
func TestTreeRegistryIsSmall(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	sys := r.tree.System
	if n := len(sys.ProcessRegistry.LocalPIDs.LocalPIDs); n != treeRegistryBuckets {
		t.Fatalf("%d buckets, want %d", n, treeRegistryBuckets)
	}
	if _, ok := sys.ProcessRegistry.GetLocal("deadletter"); !ok {
		t.Fatal("the dead letter process was lost")
	}
	for _, name := range []string{"a", "b", "c"} {
		r.ok("service " + name + " cmd=sleep 1")
		pid := r.servicePID(name)
		if _, ok := sys.ProcessRegistry.GetLocal(pid.Id); !ok {
			t.Fatalf("service %s's actor %v is not in the registry", name, pid)
		}
	}
}

// TestDeclarationSpawnsNoActor: a declaration makes no service actor
// (servicePID); the first message a service must get does, with the
// configuration declared by then.
func TestDeclarationSpawnsNoActor(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	actors := func() (ids []string) {
		for _, m := range r.tree.System.ProcessRegistry.LocalPIDs.LocalPIDs {
			for _, id := range m.Keys() {
				if strings.Contains(id, "/service-") {
					ids = append(ids, id)
				}
			}
		}
		return ids
	}
	r.ok("service a cmd=/bin/a", "service b cmd=/bin/b", "service a cmd=/bin/a2", "command status")
	if ids := actors(); len(ids) != 0 {
		t.Fatalf("service actors after declarations and a status: %q", ids)
	}
	r.okDone("command start service a", 1)
	if got := r.fake.waitLaunch(t, 1).Spec.Argv; len(got) != 1 || got[0] != "/bin/a2" {
		t.Fatalf("a launched %q", got)
	}
	if ids := actors(); len(ids) != 1 || !strings.Contains(ids[0], "/service-a-") {
		t.Fatalf("service actors after a's start: %q", ids)
	}
}

package actors

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
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
		res, err := sys.Root.RequestFuture(r.tree.Controller, LookupService{Name: name}, deadline).Result()
		if err != nil {
			t.Fatal(err)
		}
		pid := res.(*actor.PID)
		if _, ok := sys.ProcessRegistry.GetLocal(pid.Id); !ok {
			t.Fatalf("service %s's actor %v is not in the registry", name, pid)
		}
	}
}

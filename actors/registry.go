package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	cmap "github.com/orcaman/concurrent-map"
)

// treeRegistryBuckets is the size of the tree's process registry (see
// ShrinkRegistry): 64 buckets of 32 shards, a few actors a map at 9,000
// services.
const treeRegistryBuckets = 64

// ShrinkRegistry gives sys a process registry of n buckets (of 32 shards
// each) instead of protoactor's 1,024: 32,768 small maps, 2.8 MB that
// every garbage collection marks, Go's forced one every two minutes of an
// idle cfkd included (REFERENCE §12.8), and the first ones of a fresh
// cfkd, which the first declarations meet (its live heap was 3 MB of
// which 2.8 the registry's, each actor spawned then the first entry of
// its own small map). The processes registered at its creation (the dead
// letter process) are moved over. Called right after
// actor.NewActorSystem, before anything else uses the registry.
func ShrinkRegistry(sys *actor.ActorSystem, n int) {
	old := sys.ProcessRegistry.LocalPIDs
	small := &actor.SliceMap{LocalPIDs: make([]cmap.ConcurrentMap, n)}
	for i := range small.LocalPIDs {
		small.LocalPIDs[i] = cmap.New()
	}
	for _, m := range old.LocalPIDs {
		if m.Count() == 0 {
			continue // Items would start a goroutine per shard: 32,768
		}
		for id, p := range m.Items() {
			small.GetBucket(id).Set(id, p)
		}
	}
	sys.ProcessRegistry.LocalPIDs = small
}

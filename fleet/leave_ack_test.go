package fleet

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/fleet/wire"
)

// A LeavingAck counts only for the Leave whose id it echoes: a late one
// of an earlier Leave (an upgrade whose exec failed, then a shutdown)
// ended the wait of the next before its hub had taken it.
func TestLateLeavingAckIsNotTheNextLeavesAck(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	sys, g := spawnGateway(t, &fakeLocal{name: "h1"}, func(gw *gateway) {
		gw.leaving, gw.leftDone, gw.leaveID = map[string]bool{"hub": true}, done, 2
	})
	settled := func() {
		t.Helper()
		if _, err := sys.Root.RequestFuture(g, &actor.Touch{}, 5*time.Second).Result(); err != nil {
			t.Fatal(err)
		}
	}
	sys.Root.Send(g, &wire.LeavingAck{Id: 1, Hub: "hub"})
	settled()
	select {
	case <-done:
		t.Fatal("the acknowledgement of an earlier Leave ended the wait of this one")
	default:
	}
	sys.Root.Send(g, &wire.LeavingAck{Id: 2, Hub: "hub"})
	settled()
	select {
	case <-done:
	default:
		t.Fatal("the acknowledgement of this Leave did not end its wait")
	}
}

package fleet

// A member whose cfkd goes (a shutdown, an upgrade in place) tells the
// hubs connected to it first (REFERENCE §12.3, §12.4): each reports it
// down with why, not as a connection lost.

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/fleet/wire"
)

// Texts of Leave's why: what a hub says of a host that went.
const (
	WhyHostShutDown = "cfkd shut down"
	WhyHostUpgraded = "cfkd is being upgraded in place"
)

// leaveBound is how long Leave waits for the hubs' acknowledgements: a
// hub that does not answer delays the shutdown or the upgrade no longer.
const leaveBound = 500 * time.Millisecond

// leave: the member's cfkd is about to go; done closes once every hub
// told has acknowledged.
type leave struct {
	why  string
	done chan struct{}
}

// Leave tells each hub connected to this member that its cfkd goes, with
// why (WhyHostShutDown, WhyHostUpgraded), and waits for their
// acknowledgements, leaveBound at most. Not from an actor: it waits.
func (n *Node) Leave(why string) {
	if !n.started.Load() || n.gateway == nil {
		return
	}
	done := make(chan struct{})
	n.sys.Root.Send(n.gateway, leave{why: why, done: done})
	t := time.NewTimer(leaveBound)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// leave sends Leaving to every hub that reached this gateway and still
// has its connection to it open (one that left has nobody to tell, and
// dialling it would make protoactor dead-letter for 2 s).
func (g *gateway) leave(m leave) {
	if g.leftDone != nil {
		close(g.leftDone) // a Leave before: its waiter has given up
	}
	g.leaving, g.leftDone = map[string]bool{}, m.done
	g.leaveID++
	for hub, to := range g.hubs {
		if !g.hubConnected(hub) {
			continue
		}
		if g.out.post(outMsg{to: to, from: g.self, msg: &wire.Leaving{Id: g.leaveID, Host: g.name, Why: m.why}}) {
			g.leaving[hub] = true
		}
	}
	g.leaveAcked("")
}

// leaveAcked takes hub's acknowledgement; done closes with the last.
func (g *gateway) leaveAcked(hub string) {
	delete(g.leaving, hub)
	if len(g.leaving) == 0 && g.leftDone != nil {
		close(g.leftDone)
		g.leftDone = nil
	}
}

// heard notes where hub's messages come from (where a Leaving goes).
func (g *gateway) heard(hub string, from *actor.PID) {
	if from != nil {
		g.hubs[hub] = from
	}
}

// hostLeaving: host said its cfkd goes (wire.Leaving): the hub says why
// once the connection goes, and acknowledges.
func (h *hub) hostLeaving(m *wire.Leaving) {
	i, ok := h.byName[m.Host]
	if !ok {
		return
	}
	h.leaving[h.inv[i].Addr] = m.Why
	h.post(i, &wire.LeavingAck{Id: m.Id, Hub: h.name})
}

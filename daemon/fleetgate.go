package daemon

import (
	"fmt"
	"sync/atomic"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// fleetGate is what the tree's admin connections hand `command fleet` to
// on a member of a fleet (--fleet-listen): the hub's handler, or
// actors.ErrNotFleetHub on a member without an inventory; and, once the
// new cfkd of an upgrade in place could not make its member or listen
// (REFERENCE §13.4: it runs on without them), why, to every `command
// fleet`: the lasting status of what its log and events said once.
type fleetGate struct {
	hub actors.FleetHandler // nil: not a hub
	end func(why string)    // the hub's EndRequests (nil: not a hub)
	// leave: the member's Leave (nil: no member)
	leave func(why string) []string
	// stayed: the member's Stayed (nil: no member)
	stayed func(hubs []string)
	down   atomic.Pointer[error]
}

var _ actors.FleetHandler = (*fleetGate)(nil)

// fleetHandler is the tree's Options.Fleet: nil without --fleet-listen
// (a true nil: the connections answer actors.ErrNotFleetHub), else g.
func fleetHandler(g *fleetGate) actors.FleetHandler {
	if g == nil {
		return nil
	}
	return g
}

// newFleetGate is the gate of member n (nil without --fleet-listen;
// n is nil when the member could not be made).
func newFleetGate(ff FleetFlags, n *fleet.Node) *fleetGate {
	if ff.Listen == "" {
		return nil
	}
	g := &fleetGate{}
	if n != nil && n.Handler() != nil {
		g.hub, g.end = n.Handler(), n.Handler().EndRequests
	}
	if n != nil {
		g.leave, g.stayed = n.Leave, n.Stayed
	}
	return g
}

// endRequests has a hub answer its requests in flight now, the hosts
// that have not answered down with why (fleet.WhyHubShutDown,
// fleet.WhyHubUpgraded): before the console's drain, which would close
// their connections unanswered (REFERENCE §7.4, §12.4). Nothing on a
// cfkd that is no hub (g nil, or no hub).
func (g *fleetGate) endRequests(why string) {
	if g != nil && g.end != nil {
		g.end(why)
	}
}

// left tells the hubs connected to this member that its cfkd goes, why
// (fleet.WhyHostShutDown, fleet.WhyHostUpgraded), so that they say so
// rather than `connection lost` (REFERENCE §12.3); it waits for their
// acknowledgements half a second at most. It returns the addresses of
// the hubs told (none without a member).
func (g *fleetGate) left(why string) []string {
	if g != nil && g.leave != nil {
		return g.leave(why)
	}
	return nil
}

// stay tells hubs, which left told, that this cfkd goes on after all (an
// upgrade's exec failed).
func (g *fleetGate) stay(hubs []string) {
	if g != nil && g.stayed != nil && len(hubs) > 0 {
		g.stayed(hubs)
	}
}

// fail records that the member does not listen, and says so: an error of
// category cfkd, so an event of kind cfkd too (REFERENCE §1.6).
func (g *fleetGate) fail(ff FleetFlags, err error, log logrus.FieldLogger) {
	why := fmt.Errorf("this cfkd is out of its fleet since its upgrade in place: %w: its services run on; "+
		"once that is fixed, upgrade again (cfkctl upgrade) to listen on %s again", err, ff.Listen)
	g.down.Store(&why)
	log.Errorf("fleet: the new cfkd of the upgrade in place does not listen on %s: "+
		"cfkd runs on without its fleet, every service kept (the hubs see it down); once that is fixed, upgrade again (cfkctl upgrade) to listen again: %v", ff.Listen, err)
}

// why is what a `command fleet` is refused with, nil when it goes on.
func (g *fleetGate) why() error {
	if e := g.down.Load(); e != nil {
		return *e
	}
	if g.hub == nil {
		return actors.ErrNotFleetHub
	}
	return nil
}

// Request implements actors.FleetHandler.
func (g *fleetGate) Request(f messages.Fleet, answer func(messages.Reply)) {
	if err := g.why(); err != nil {
		answer(messages.ErrorReply(err))
		return
	}
	g.hub.Request(f, answer)
}

// Stream implements actors.FleetHandler.
func (g *fleetGate) Stream(f messages.Fleet, admin bool, b actors.Backlog, onCut func()) (*actors.Feed, error) {
	if err := g.why(); err != nil {
		return nil, err
	}
	return g.hub.Stream(f, admin, b, onCut)
}

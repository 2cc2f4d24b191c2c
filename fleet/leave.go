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
	// WhyHostLeft is what a hub says of a host that said it goes with a
	// text the hub does not know (a newer cfkd's, or a peer's own)
	WhyHostLeft = "cfkd said it goes"
)

// leaveBound is how long Leave waits for the hubs' acknowledgements: a
// hub that does not answer delays the shutdown or the upgrade no longer.
const leaveBound = 500 * time.Millisecond

// leave: the member's cfkd is about to go; told gets the addresses of
// the hubs told, done closes once every one has acknowledged.
type leave struct {
	why  string
	told chan []string // buffered: the gateway never waits on it
	done chan struct{}
}

// Leave tells each hub connected to this member that its cfkd goes, with
// why (WhyHostShutDown, WhyHostUpgraded), and waits for their
// acknowledgements, leaveBound at most. Not from an actor: it waits. It
// returns the addresses of the hubs told, for the new cfkd of an upgrade
// to tell them it is back (Back).
func (n *Node) Leave(why string) []string {
	if !n.started.Load() || n.gateway == nil {
		return nil
	}
	m := leave{why: why, told: make(chan []string, 1), done: make(chan struct{})}
	n.sys.Root.Send(n.gateway, m)
	t := time.NewTimer(leaveBound)
	defer t.Stop()
	select {
	case <-m.done:
	case <-t.C:
		n.cfg.Log.WithField("category", logCategory).Warnf("fleet: a hub told that cfkd goes (%s) did not acknowledge it within %v: going on", why, leaveBound)
	}
	select {
	case told := <-m.told:
		return told
	default:
		return nil
	}
}

// Back tells the hubs at addrs (those the former cfkd of an upgrade in
// place told it was leaving) that this member serves again: each
// subscribes its streams here at once. Through the outbox: a hub that
// left meanwhile only has its Back dead-lettered.
func (n *Node) Back(addrs []string) { n.back(addrs, false) }

// Stayed tells the hubs at addrs, which Leave told, that this cfkd goes
// on after all (an upgrade's exec failed): they forget why it would go,
// which they would have said of its next connection lost.
func (n *Node) Stayed(addrs []string) { n.back(addrs, true) }

func (n *Node) back(addrs []string, stayed bool) {
	if !n.started.Load() || n.gateway == nil {
		return
	}
	for _, a := range addrs {
		to := &actor.PID{Address: a, Id: hubName}
		n.out.post(outMsg{to: to, from: n.gateway, msg: &wire.Back{Host: n.creds.ID.Name, Stayed: stayed}})
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
	var told []string
	for hub, to := range g.hubs {
		if !g.hubConnected(hub) {
			continue
		}
		if g.out.post(outMsg{to: to, from: g.self, msg: &wire.Leaving{Id: g.leaveID, Host: g.name, Why: m.why}}) {
			g.leaving[hub] = true
			told = append(told, to.Address)
		}
	}
	m.told <- told
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
	why := m.Why
	if why != WhyHostShutDown && why != WhyHostUpgraded {
		// the hub says of a host only words it knows: the text is the
		// hub's verdict, in every request's `down` (REFERENCE §12.6)
		why = WhyHostLeft
	}
	h.leaving[h.inv[i].Addr] = why
	h.post(i, &wire.LeavingAck{Id: m.Id, Hub: h.name})
}

// hostBack: host's new cfkd serves again (wire.Back, after an upgrade in
// place): each stream's subscription there is made now, where it waited
// for its retry (Config.Timeout), the host's events meanwhile lost. One
// the hub still holds is of the former cfkd, which took it with it, or
// one its retry made at the new cfkd already: it is told to end.
func (h *hub) hostBack(m *wire.Back) {
	i, ok := h.byName[m.Host]
	if !ok {
		return
	}
	addr := h.inv[i].Addr
	if m.Stayed {
		delete(h.leaving, addr) // what it said it would do
		return                  // the same cfkd: its streams go on
	}
	if h.up[addr] && h.leaving[addr] != "" {
		// protoactor has not said yet that the former cfkd's connection
		// is lost (the Back came first): what goes there now is lost
		// with it, the streams subscribe again when it is said
		// (endpointLost), and the loss is said as the upgrade
		h.back[addr] = true
	} else {
		delete(h.leaving, addr) // what it said of its former cfkd
	}
	for _, s := range h.streams {
		for _, sub := range s.subs {
			if sub.host != i {
				continue
			}
			if sub.retry != nil {
				sub.retry.Stop()
			}
			if c := sub.call; c != nil {
				// the former cfkd's, which took it with it, or one the
				// retry made at the new cfkd before this Back came: that
				// one is ended there, or it would hold one of the hub's
				// streams at the host for as long as it runs (an
				// Unsubscribe of the former's is ignored)
				h.forget(c)
				h.unsubscribe(c.host, c.id)
				sub.call = nil
			}
			h.subscribe(sub)
		}
	}
}

// resubscribeAt subscribes at once each stream's part at the hosts at
// addr that waits for its retry: the loss of a former cfkd's connection,
// said after its successor said it is back (hub.back), failed what was
// sent there since; the successor serves.
func (h *hub) resubscribeAt(addr string) {
	for _, s := range h.streams {
		for _, sub := range s.subs {
			if h.inv[sub.host].Addr != addr || sub.call != nil {
				continue
			}
			if sub.retry != nil {
				sub.retry.Stop()
			}
			h.subscribe(sub)
		}
	}
}

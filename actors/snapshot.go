package actors

import (
	"sort"
	"time"

	"github.com/cfk/cfk/messages"
)

// SnapshotRequest asks the controller for what it knows of the services
// (the records `command inspect` writes, REFERENCE §1.6), the proxies and
// the sockets. It is for readers outside the actor system that ask often
// and must never make an actor wait (cfkd's HTTP server, REFERENCE §10):
// the controller answers at once, in its Receive, by a send on Reply that
// never blocks (Reply must have room for one value: a channel of capacity
// 1 made for the request). No future and no process id per request.
type SnapshotRequest struct {
	// Names, when not nil, picks these services only (a name that is not
	// declared is left out: it was destroyed, or never was); nil picks
	// them all.
	Names []string
	Reply chan<- Snapshot
}

// Snapshot answers SnapshotRequest. Its slices are the caller's: nothing
// in them is shared with the controller but immutable strings and the
// services' tag and requires lists (never mutated: a declaration replaces
// them).
type Snapshot struct {
	At       time.Time
	Services []messages.ServiceInfo // in name order
	Proxies  []ProxyInfo            // in name order
	Sockets  []SocketInfo           // in name order
}

// ProxyInfo is a proxy in a Snapshot: the proxystatus line (REFERENCE §1.6).
type ProxyInfo struct {
	Name string
	Up   bool
	Pid  int // 0 when down
	// Former: its process runs a former declaration (its change takes
	// effect at its next run, REFERENCE §1.4)
	Former bool
}

// SocketInfo is a socket in a Snapshot.
type SocketInfo struct {
	Name  string
	Bound bool
}

// snapshot answers a SnapshotRequest. Its cost is a copy of each record
// picked: for 9,000 services, a few milliseconds of the controller's time.
func (c *Controller) snapshot(m SnapshotRequest) {
	s := Snapshot{At: time.Now()}
	waits := c.startWaits()
	if m.Names == nil {
		all := c.selectServices(messages.Selector{Kind: messages.SelectAll})
		s.Services = make([]messages.ServiceInfo, 0, len(all))
		for _, e := range all {
			s.Services = append(s.Services, c.infoOf(e, waits))
		}
	} else {
		for _, n := range m.Names {
			if e := c.services[n]; e != nil {
				s.Services = append(s.Services, c.infoOf(e, waits))
			}
		}
		sort.Slice(s.Services, func(i, j int) bool { return s.Services[i].Name < s.Services[j].Name })
	}
	for n, p := range c.proxies {
		s.Proxies = append(s.Proxies, ProxyInfo{Name: n, Up: p.running, Pid: p.procPid, Former: p.runsFormer()})
	}
	sort.Slice(s.Proxies, func(i, j int) bool { return s.Proxies[i].Name < s.Proxies[j].Name })
	for n, e := range c.sockets {
		s.Sockets = append(s.Sockets, SocketInfo{Name: n, Bound: e.file != nil})
	}
	sort.Slice(s.Sockets, func(i, j int) bool { return s.Sockets[i].Name < s.Sockets[j].Name })
	select {
	case m.Reply <- s:
	default:
		c.log.Warn("controller: a snapshot request had no room for its answer: dropped")
	}
}

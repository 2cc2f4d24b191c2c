package actors

import (
	"time"

	"github.com/cfk/cfk/notify"
)

// This file routes sd_notify datagrams (REFERENCE §2.9): the listener's
// goroutine sends each one to the controller, which knows every service's
// pid and hands it to the service whose process is the sender or leads
// the sender's process group (a `systemd-notify` run by the service's
// shell). A datagram from anyone else is dropped.
//
// A service's process may say READY=1 as soon as it runs, before the
// service actor has its pid and told the controller (Launch returns after
// the exec): a datagram from no known pid is kept, at most maxUnrouted for
// unroutedFor each, and routed when a service's new pid is told
// (trackPid). Without it such a run was stopped as not ready. One whose
// sender was reaped before it was read (Gone) is not kept: the pid it
// would be routed by later is another process's.

// notifyReceived is a datagram, from the listener to the controller, then
// from the controller to its service.
type notifyReceived struct {
	msg notify.Message
	// kept: it came before its sender's pid was known (routeKept), so
	// its sender may be an earlier process of that pid, another user's
	kept bool
}

// The bounds of the datagrams kept for a pid not known yet; how often a
// datagram of a sender already reaped is logged at most.
const (
	maxUnrouted = 256
	unroutedFor = 10 * time.Second
	goneEvery   = 10 * time.Second
)

type unroutedNotify struct {
	m  notifyReceived
	at time.Time
}

// routeNotify hands a datagram to the service it is from, or keeps it
// until its sender's pid is told.
func (c *Controller) routeNotify(m notifyReceived) {
	if c.routeTo(m) {
		return
	}
	if m.msg.Gone {
		// reaped before its read: no group to go by, and its pid, if
		// told later, would be another process's (REFERENCE §2.9)
		if now := time.Now(); now.Sub(c.goneSaid) >= goneEvery {
			c.goneSaid = now
			c.log.WithField("pid", m.msg.Pid).Warn("notify datagram dropped: its sender had exited and been reaped before cfkd read it, " +
				"so no service can be told its own (a client that sends and exits at once, as systemd-notify --no-block run as a user other than root)")
		}
		return
	}
	if len(c.unrouted) >= maxUnrouted {
		c.evictUnrouted()
	}
	c.unrouted = append(c.unrouted, unroutedNotify{m: m, at: time.Now()})
	c.log.WithField("pid", m.msg.Pid).Debug("notify datagram from no service's process yet: kept a while")
}

// evictUnrouted drops the oldest datagram kept of the uid that has the
// most kept: a user whose processes flood the shared socket (REFERENCE
// §2.9) evicts its own, not another user's READY=1.
func (c *Controller) evictUnrouted() {
	counts := map[int]int{}
	top := -1
	for _, u := range c.unrouted {
		uid := u.m.msg.Uid
		counts[uid]++
		if top < 0 || counts[uid] > counts[top] {
			top = uid
		}
	}
	for i, u := range c.unrouted {
		if u.m.msg.Uid == top {
			n := len(c.unrouted)
			copy(c.unrouted[i:], c.unrouted[i+1:])
			c.unrouted[n-1] = unroutedNotify{} // the slot left holds no map
			c.unrouted = c.unrouted[:n-1]
			return
		}
	}
}

// routeTo sends m to the service whose process sent it or leads its
// sender's group; false when no service has that pid.
func (c *Controller) routeTo(m notifyReceived) bool {
	for _, pid := range []int{m.msg.Pid, m.msg.Pgid} {
		if name, ok := c.byPid[pid]; ok && pid != 0 {
			if e := c.services[name]; e != nil {
				c.sys.Root.Send(c.servicePID(e), m)
				return true
			}
		}
	}
	return false
}

// routeKept routes the datagrams kept for pid, now told, and forgets the
// ones kept for too long.
func (c *Controller) routeKept(pid int) {
	now, kept := time.Now(), c.unrouted[:0]
	for _, u := range c.unrouted {
		switch {
		case u.m.msg.Pid == pid || u.m.msg.Pgid == pid:
			u.m.kept = true
			c.routeTo(u.m)
		case now.Sub(u.at) < unroutedFor:
			kept = append(kept, u)
		}
	}
	clear(c.unrouted[len(kept):])
	c.unrouted = kept
}

// trackPid keeps byPid up to date with a service's runtime.
func (c *Controller) trackPid(name string, old, pid int) {
	if old == pid {
		return
	}
	if old != 0 && c.byPid[old] == name {
		delete(c.byPid, old)
	}
	if pid != 0 {
		c.byPid[pid] = name
		if len(c.unrouted) > 0 {
			c.routeKept(pid)
		}
	}
}

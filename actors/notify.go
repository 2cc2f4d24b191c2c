package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/notify"
)

// This file routes sd_notify datagrams (REFERENCE §2.9): the listener's
// goroutine sends each one to the controller, which knows every service's
// pid and hands it to the service whose process is the sender or leads
// the sender's process group (a `systemd-notify` run by the service's
// shell). A datagram from anyone else is dropped.

// notifyReceived is a datagram, from the listener to the controller, then
// from the controller to its service.
type notifyReceived struct{ msg notify.Message }

// routeNotify hands a datagram to the service it is from.
func (c *Controller) routeNotify(ctx actor.Context, m notifyReceived) {
	for _, pid := range []int{m.msg.Pid, m.msg.Pgid} {
		if name, ok := c.byPid[pid]; ok && pid != 0 {
			if e := c.services[name]; e != nil {
				ctx.Send(c.servicePID(e), m)
				return
			}
		}
	}
	c.log.WithField("pid", m.msg.Pid).Debug("notify datagram from no service's process: dropped")
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
	}
}

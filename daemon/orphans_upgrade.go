package daemon

import (
	"syscall"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/osproc"
)

var _ actors.ServiceAdopter = (*orphanKiller)(nil)

// AdoptService registers pid, the process of service name that the cfkd
// an upgrade in place replaced launched (REFERENCE §13), and tracks it as
// Launch tracks a service's process: once cfkd stopped it and it exited,
// the orphans it left are terminated (REFERENCE §7.5). stopping: that
// cfkd was stopping it already (it signalled the process).
func (k *orphanKiller) AdoptService(name string, pid int, group, stopping bool, onExit func(int, syscall.WaitStatus)) *osproc.Process {
	t := k.track(name, group, stopping, onExit)
	p := k.Launcher.Adopt(pid, group, t.onExit)
	t.registered(p)
	return p
}

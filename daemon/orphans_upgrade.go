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
// the orphans it left are terminated (REFERENCE §7.5).
func (k *orphanKiller) AdoptService(name string, pid int, group bool, onExit func(int, syscall.WaitStatus)) *osproc.Process {
	sp := &serviceProc{name: name}
	var proc *osproc.Process
	p := k.Launcher.Adopt(pid, group, func(pid int, ws syscall.WaitStatus) {
		k.mu.Lock()
		sp.exited = true
		stopped := sp.stopped
		if proc != nil {
			delete(k.procs, proc)
		}
		k.mu.Unlock()
		if stopped {
			g := 0
			if group {
				g = pid
			}
			k.afterStop(stoppedExit{name: name, group: g, deliver: func() { onExit(pid, ws) }})
			return
		}
		onExit(pid, ws)
	})
	k.mu.Lock()
	if !sp.exited {
		proc = p
		k.procs[p] = sp
	}
	k.mu.Unlock()
	return p
}

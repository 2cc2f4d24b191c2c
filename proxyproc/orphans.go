package proxyproc

import (
	"time"

	"github.com/cfk/cfk/osproc"
)

// stopExited handles a stop line for a name whose latest child exited
// before the proxy read it, the proxy not having stopped it: cfkd asked to
// stop that run (a `started` that came after the service's stop, which
// cfkd kills at once: REFERENCE §4.5; a stop crossing an exit), so its end
// is a stopped run's, and the orphans it left are ended, as after the stop
// of a live child. That child's exit, reaped first, kept them: a service
// that exits on its own keeps its daemons (a forking service) until it is
// stopped. No start line of that name came since that child's (it would
// have dropped the record), so no later run is taken for its.
func (p *Proxy) stopExited(e exitedChild) {
	delete(p.exited, e.name)
	p.logf("out", "stopping %s: it had exited (pid %d)", e.name, e.pid)
	p.endOrphans(p.adoptedOrphans(), e.child, e.pid, false)
}

// adoptedOrphans lists the orphans the proxy adopted (none with a
// Launcher that cannot end them). It reads the proxy's list of children:
// its cost grows with their number, so drainExits takes it once for a
// whole batch of exits.
func (p *Proxy) adoptedOrphans() []osproc.Orphan {
	oe, ok := p.cfg.Launcher.(orphanEnder)
	if !ok {
		return nil
	}
	return oe.AdoptedOrphans()
}

// endOrphans ends what child c (pid), which the proxy stopped and which
// has exited, left behind, among adopted (adoptedOrphans, listed after
// that exit): the proxy is a child subreaper (osproc.New), so
// the daemons a service started are adopted by the proxy, not by cfkd,
// and cfkd's scan for them (REFERENCE §7.5) cannot see them. Those that
// carry the child's CONTROL_FREAK_SERVICE get SIGTERM, then SIGKILL after
// Config.Grace, as cfkd ends a direct service's, and are logged (when
// signalled, the stop's SIGTERM reached the child's group: its members
// only if they need SIGKILL).
//
// It runs in the loop, before the child's `stopped` is written (or, for a
// child that exited before the stop line that asked for its end was read,
// at that line: stopExited): the targets are taken before the proxy reads
// the next start line of that name, so a daemon of the next run is never
// taken for one of this run's. Taking them reads
// the proxy's list of children (a few), and no fork is under way (the
// loop forks). The signals and the wait for SIGKILL run in a goroutine of
// its own; Run waits for it before it returns. During a shutdown they get
// what is left of its grace (100 ms at least), so
// that the proxy exits within about its grace, as cfkd expects.
func (p *Proxy) endOrphans(adopted []osproc.Orphan, c *child, pid int, signalled bool) {
	oe, ok := p.cfg.Launcher.(orphanEnder)
	if !ok {
		return
	}
	var mine []osproc.Orphan
	for _, o := range adopted {
		if o.Service == c.name {
			mine = append(mine, o)
		}
	}
	if len(mine) == 0 {
		return
	}
	comm := make(map[int]string, len(mine))
	for _, o := range mine {
		comm[o.Pid] = o.Comm
		if !signalled || !c.group || o.Pgid != pid {
			p.logf("err", "killing orphan pid %d (%s) left by service %s", o.Pid, o.Comm, c.name)
		}
	}
	ts := oe.TargetOrphans(mine)
	name, grace := c.name, p.cfg.Grace
	if !p.deadline.IsZero() {
		// a shutdown: cfkd gives the proxy little more than the grace to
		// exit (REFERENCE §4.5), then SIGKILLs it; what it ends must be
		// over by then, or it passes to cfkd unended
		grace = max(min(grace, time.Until(p.deadline)), 100*time.Millisecond)
	}
	p.ending.Add(1)
	go func() {
		defer p.ending.Done()
		killed, survived := osproc.Terminate(ts, grace)
		for _, o := range killed {
			p.logf("err", "orphan pid %d (%s) left by service %s ignored SIGTERM: sent SIGKILL", o, comm[o], name)
		}
		for _, o := range survived {
			p.logf("err", "orphan pid %d (%s) left by service %s survived SIGKILL", o, comm[o], name)
		}
	}()
}

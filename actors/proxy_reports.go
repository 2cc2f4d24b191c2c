package actors

// The proxy's reports of its services' processes (REFERENCE §4.3, §4.5):
// a started answers the oldest start still awaiting its pid, an exit the
// start whose process it was; what a start the service gave up left is
// killed or ended here.

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
	"github.com/sirupsen/logrus"
)

// awaiting returns the oldest start of name whose started has not come.
func (p *Proxy) awaiting(name string) *proxiedStart {
	for _, st := range p.starts[name] {
		if st.pid == 0 {
			return st
		}
	}
	return nil
}

// reported says whether pid is a process the proxy reported started for
// service name already, and has not reported stopped.
func (p *Proxy) reported(name string, pid int) bool {
	if p.names.of(name).pid == pid {
		return true
	}
	for _, st := range p.starts[name] {
		if st.pid == pid {
			return true
		}
	}
	return false
}

// answered takes the start whose process pid exited out of the
// outstanding ones: the one with that pid, else (an exit the proxy reports
// without a started: the original proxy's child reaped before fork
// returned, or cfk-proxy's start it could not run, pid 0) the oldest one
// awaiting its started. nil when there is none.
func (p *Proxy) answered(name string, pid int) *proxiedStart {
	list := p.starts[name]
	i := -1
	for j, st := range list {
		if pid != 0 && st.pid == pid {
			i = j
			break
		}
	}
	if i < 0 {
		for j, st := range list {
			if st.pid == 0 {
				i = j
				break
			}
		}
	}
	if i < 0 {
		return nil
	}
	st := list[i]
	if len(list) == 1 {
		delete(p.starts, name)
	} else {
		p.starts[name] = append(list[:i:i], list[i+1:]...)
	}
	return st
}

// started answers the oldest start of the service still awaiting its pid
// (the proxy handles its commands in order).
func (p *Proxy) started(ctx actor.Context, m proxyReportedStarted) {
	if m.run != p.run {
		p.formerRunf("'%s' started, pid %d", m.name, m.pid)
		m.proc.Close()
		return
	}
	st := p.awaiting(m.name)
	ended := errors.Is(m.handleErr, osproc.ErrEnded) // nothing to kill, no pid to fear
	switch {
	case m.pid != 0 && p.reported(m.name, m.pid):
		// the same started twice (a proxy's bug): that pid is a process
		// of the service already (it runs, or its start is answered),
		// not a stray, nor the answer to a later start
		p.strayf(logrus.WarnLevel, nil, "proxy '%s' reported '%s' started again (pid %d): ignored", p.cfg.Name, m.name, m.pid)
		m.proc.Close()
		return
	case st == nil && ended:
		p.strayf(logrus.ErrorLevel, nil, "proxy '%s' started unknown service '%s' (pid %d): it had already ended", p.cfg.Name, m.name, m.pid)
		return
	case st == nil && m.proc == nil:
		// no handle (not the proxy's child, no pidfds): nothing is
		// killed, and the log does not say it is (REFERENCE §4.5)
		p.strayf(logrus.ErrorLevel, m.handleErr, "proxy '%s' started unknown service '%s' (pid %d): no handle on it, cfkd will not signal it", p.cfg.Name, m.name, m.pid)
		return
	case st == nil:
		// nobody supervises it (a start a former cfkd of state version 6
		// or older gave up before an upgrade in place, whose started came
		// after the exec; a proxy's bug):
		// killed through the handle, as a stray is, never by a bare pid
		p.strayf(logrus.ErrorLevel, nil, "proxy '%s' started unknown service '%s' (pid %d): killing it", p.cfg.Name, m.name, m.pid)
		p.killStray(m.proc, m.pid, m.handleErr)
		return
	case st.left:
		// a start the service gave up: nobody supervises its process,
		// killed through the handle (never by a bare pid)
		st.pid, st.unheld = m.pid, lostHandle(m)
		p.startAnswered(ctx, st.seq)
		if ended {
			// the proxy stopped it already (it read the stop line)
			p.log.Infof("proxy '%s' started '%s' (pid %d) for a start the service gave up: it had already ended", p.cfg.Name, m.name, m.pid)
			return
		}
		if m.proc == nil {
			p.log.WithError(m.handleErr).Warnf("proxy '%s' started '%s' (pid %d) for a start the service gave up: no handle on it, cfkd will not signal it", p.cfg.Name, m.name, m.pid)
			return
		}
		p.log.Warnf("proxy '%s' started '%s' (pid %d) for a start the service gave up: killing it", p.cfg.Name, m.name, m.pid)
		p.killStray(m.proc, m.pid, m.handleErr)
		return
	case errors.Is(m.handleErr, osproc.ErrNoHandle):
		// no pidfds on this system (REFERENCE §11): expected, every time
		p.log.Debugf("proxy '%s' reported pid %d for '%s': no handle on it (%v), cfkd will not signal it", p.cfg.Name, m.pid, m.name, m.handleErr)
	case ended:
		// it exited already (the proxy stopped it: a stop line right
		// after its start line): nothing to signal, no pid to fear,
		// and its exit, which the proxy reports, says the rest
		p.log.Debugf("proxy '%s' reported pid %d for '%s': it had ended before cfkd could take a handle on it", p.cfg.Name, m.pid, m.name)
	case m.handleErr != nil:
		p.log.WithError(m.handleErr).Warnf("proxy '%s' reported pid %d for '%s': no handle on it, cfkd will not signal it", p.cfg.Name, m.pid, m.name)
	}
	st.pid, st.unheld = m.pid, lostHandle(m)
	p.startAnswered(ctx, st.seq)
	p.names.entry(m.name).pid = m.pid
	p.names.tidy(m.name)
	ctx.Send(st.ref.pid, proxyServiceStarted{attempt: st.ref.attempt, pid: m.pid, proc: m.proc, proxy: p.cfg.Name, from: p.self,
		ended: ended})
}

// killStray SIGKILLs the process of a start given up, through its handle;
// with none (no pidfds, REFERENCE §11) it is left alone.
func (p *Proxy) killStray(proc *osproc.Process, pid int, handleErr error) {
	defer proc.Close()
	if proc == nil {
		p.log.WithError(handleErr).Debugf("proxy '%s': no handle on pid %d: not killed", p.cfg.Name, pid)
		return
	}
	if err := p.opts.Launcher.Signal(proc, syscall.SIGKILL); err != nil && !errors.Is(err, osproc.ErrDone) {
		p.log.WithError(err).Warnf("proxy '%s': cannot kill pid %d", p.cfg.Name, pid)
	}
}

// stopped hands the exit to the service, as the reaper does for a direct
// child (REFERENCE §4.5).
func (p *Proxy) stopped(ctx actor.Context, m proxyReportedStopped) {
	if m.run != p.run {
		p.formerRunf("the exit of '%s', pid %d", m.name, m.pid)
		return
	}
	defer p.forgetIfGone(m.name)
	st := p.answered(m.name, m.pid)
	if st == nil {
		p.strayf(logrus.ErrorLevel, nil, "proxy '%s' reported the exit of unknown service '%s' (pid %d)", p.cfg.Name, m.name, m.pid)
		return
	}
	if st.pid == 0 { // no started before it: this answers the start
		p.startAnswered(ctx, st.seq)
	}
	if m.pid == 0 {
		// cfk-proxy (or the Python proxy) could not fork it at all (its
		// bad status line is logged, its log says why): the start is
		// refused now, not taken for one that runs without a pid
		if !st.left {
			ctx.Send(st.ref.pid, proxyStartRefused{attempt: st.ref.attempt,
				err: fmt.Errorf("proxy '%s' could not start it (its log, proxy.%s.err, says why)", p.cfg.Name, p.cfg.Name)})
		}
		return
	}
	p.names.exited(m.name, m.pid) // its last lines come with that pid
	if !st.stopAsked && m.pid > 0 && len(p.starts[m.name]) == 0 {
		// the latest process of the name exited with no stop line: the
		// proxy keeps what it left until one comes (endLeftovers)
		p.alone[m.name] = true
	}
	if st.left {
		p.log.Debugf("proxy '%s': exit of '%s' (pid %d) from a start the service gave up", p.cfg.Name, m.name, m.pid)
		p.endGivenUp(m.name, st)
		return
	}
	if st.pid == 0 {
		// an exit with no started before it (the original proxy's child
		// reaped before its fork returned): the exit says the pid, which
		// the service must know to take the exit for its run's
		ctx.Send(st.ref.pid, proxyServiceStarted{attempt: st.ref.attempt, pid: m.pid, proxy: p.cfg.Name, from: p.self})
	}
	exit := messages.ProcessExited{Pid: m.pid, Status: m.status, Reported: m.reported}
	if ender, ok := p.opts.Launcher.(ProxiedStopEnder); ok && st.stopAsked && m.pid > 0 {
		// a process cfkd stopped: what it left is ended first, as the
		// reaper does for a direct child's (REFERENCE §7.5)
		root, svc, self, name := ctx.ActorSystem().Root, st.ref.pid, p.self, m.name
		p.delivering[name]++
		ender.AfterProxiedStop(name, m.pid, func() {
			root.Send(svc, exit)
			root.Send(self, proxyExitDelivered{name: name})
		})
		return
	}
	ctx.Send(st.ref.pid, exit)
}

// endLeftovers: service name, down, is asked to end what its runs left
// (a stop while it is down or in backoff, its destroy: REFERENCE §7.5).
// When its latest process of this run exited on its own, no stop line
// sent for it nor start line since, the proxy is sent that stop line: a
// proxy that is a child subreaper (cfk-proxy) holds the daemons of that
// child, which cfkd's scan cannot see, and ends them at that line
// (REFERENCE §4.6). One that is none left them to cfkd, whose scan ends
// them; a line it reads after the child's exit is answered by nothing.
func (p *Proxy) endLeftovers(ctx actor.Context, name string) {
	if p.state != proxyIsUp || !p.alone[name] {
		return
	}
	delete(p.alone, name)
	p.log.Debugf("proxy '%s': '%s' is stopped, its process had exited: stop line sent, for what it left", p.cfg.Name, name)
	p.sendCommand(ctx, proxywire.Command{Command: proxywire.CommandStop, Name: name})
}

// strayf logs a status line that parses but changes nothing, one about a
// service or a process cfkd did not start (a proxy's bug): once a second
// at most, the next record saying how many were not, as a bad status
// line (REFERENCE §4.5). A proxy that loops on such a line wrote a
// million records to cfkd's log in 5 s (114 MB), each an event.
func (p *Proxy) strayf(lvl logrus.Level, err error, format string, args ...any) {
	ok, muted := p.strayStatus.Allow()
	if !ok {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if muted > 0 {
		msg += mutedLastSecond(muted, "more such status lines")
	}
	l := p.log
	if err != nil {
		l = l.WithError(err)
	}
	l.Log(lvl, msg)
}

// formerRunf logs a status line of a former run of the proxy (one taken
// for gone after its grace writes on, REFERENCE §4.5), which is ignored:
// a stray's record, bounded alike (strayf).
func (p *Proxy) formerRunf(format string, args ...any) {
	p.strayf(logrus.WarnLevel, nil, "proxy '%s' sent a status line of a former run of it ("+format+"): ignored",
		append([]any{p.cfg.Name}, args...)...)
}

package actors

// The launch of the proxy process (REFERENCE §4.1): checked in the
// actor, forked and exec'd on a worker of launchPool, whose outcome
// comes back as a message.

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// runUp runs the proxy unless it is up already (proxyup): answered to
// once it runs, or with why it cannot.
func (p *Proxy) runUp(ctx actor.Context, to *actor.PID) {
	switch {
	case p.halted:
		p.answer(ctx, to, errors.New("cfkd is shutting down"))
	case p.state == proxyIsUp:
		p.answer(ctx, to, nil)
	case p.state == proxyIsStopping:
		p.answer(ctx, to, fmt.Errorf("proxy '%s' is stopping", p.cfg.Name))
	case p.state == proxyIsLaunching && len(p.waiting) > 0:
		// a proxydown came during the launch: it shuts it down once up
		p.answer(ctx, to, fmt.Errorf("proxy '%s' is stopping", p.cfg.Name))
	case p.state == proxyIsLaunching:
		p.upWait = append(p.upWait, to)
	default:
		if err := p.launch(ctx); err != nil {
			p.answer(ctx, to, err)
			return
		}
		p.upWait = append(p.upWait, to)
	}
}

// proxyLaunched is the outcome of a proxy's launch, from its worker.
type proxyLaunched struct {
	run  uint64
	proc *osproc.Process
	err  error
	pp   *pipes
}

// launch runs the proxy process (REFERENCE §4.1): what can be checked
// here is, and an error returned; the fork and exec, which wait (a fork
// slot, the PATH, the exec of a binary on a slow file system), run on a
// worker of launchPool, whose outcome comes back as proxyLaunched.
func (p *Proxy) launch(ctx actor.Context) error {
	name := p.cfg.Name
	if !p.cfg.HasCmd() {
		return fmt.Errorf("Proxy '%s' can't run: no command", name)
	}
	argv, err := osproc.Argv(p.cfg.Cmd, p.cfg.Argv)
	if err != nil {
		return fmt.Errorf("Proxy '%s' can't run: %w", name, err)
	}
	pp, err := openPipes()
	if err != nil {
		return fmt.Errorf("Proxy '%s' can't run: %w", name, err)
	}
	files, vars := pp.childFiles(p.files)
	p.runFiles = p.files // what the process holds (the table is never mutated)
	p.runCfg = p.cfg
	spec := osproc.Spec{
		Argv: argv, Env: mergeEnv(p.opts.Env, p.cfg.Env, vars),
		Setsid: true, ExtraFiles: files, Tag: ProxyTag(p.cfg.Name),
		Stdout: p.outputLogger(logrus.InfoLevel), Stderr: p.outputLogger(logrus.ErrorLevel),
	}
	p.run++
	p.prog = proxyProgress{began: time.Now()}
	run, self, root, l := p.run, p.self, ctx.ActorSystem().Root, p.opts.Launcher
	p.transition(ctx, proxyIsLaunching)
	statusDone := pp.statusDone
	launchPool.Schedule(func() {
		proc, err := l.Launch(spec, func(pid int, ws syscall.WaitStatus) {
			// the status lines it wrote before it ended first (the exits
			// of the services it stopped, REFERENCE §4.5): the reaper may
			// see its end before the status reader has read them, and the
			// lines of a run that ended are dropped
			go func() {
				t := time.NewTimer(proxyStatusDrain)
				defer t.Stop()
				select {
				case <-statusDone:
				case <-t.C:
				}
				root.Send(self, proxyExited{run: run, pid: pid, ws: ws})
			}()
		})
		pp.closeChild()
		root.Send(self, proxyLaunched{run: run, proc: proc, err: err, pp: pp})
	})
	return nil
}

// launched takes a launch's outcome: up, with what waited for it sent on
// (the starts queued, the proxyups), or down, with them refused; a
// proxydown or a halt that came meanwhile shuts it down now.
func (p *Proxy) launched(ctx actor.Context, m proxyLaunched) {
	if m.run != p.run || p.state != proxyIsLaunching { // cannot be: nothing else ends a launch
		p.log.Errorf("proxy '%s': the outcome of launch %d came in state %s", p.cfg.Name, m.run, p.state)
		if m.proc != nil {
			p.opts.Launcher.Signal(m.proc, syscall.SIGKILL) // nobody would supervise it
		}
		m.pp.closeAll()
		return
	}
	name := p.cfg.Name
	if m.err != nil {
		m.pp.closeAll()
		if errors.Is(m.err, osproc.ErrCancelled) { // cfkd's shutdown: no failure (REFERENCE §7.4)
			p.log.Infof("proxy '%s' not started: %v", name, m.err)
		} else {
			p.log.WithError(m.err).Errorf("proxy '%s' cannot run", name)
		}
		err := fmt.Errorf("Proxy '%s' can't run: %w", name, m.err)
		p.early = nil
		p.transition(ctx, proxyIsDown)
		p.failQueued(ctx, err)
		p.answerUps(ctx, err)
		p.answerDowns(ctx)
		return
	}
	p.proc = m.proc
	root, self, launcher, proxyPid := ctx.ActorSystem().Root, p.self, p.opts.Launcher, m.proc.Pid
	p.cmds, p.pr = startPipeGoroutines(root, self, m.run, m.pp, func(pid int) (*osproc.Process, error) {
		return launcher.Handle(pid, proxyPid)
	})
	p.log.WithField("pid", m.proc.Pid).Infof("proxy '%s' running", name)
	p.transition(ctx, proxyIsUp)
	asked := len(p.upWait) > 0
	p.answerUps(ctx, nil)
	queued := p.queued
	p.queued = nil
	for _, q := range queued {
		if q.later { // for the next run
			q.later = false
			p.queued = append(p.queued, q)
			continue
		}
		p.startService(ctx, q)
	}
	if early := p.early; early != nil { // it exited already
		p.early = nil
		p.exited(ctx, *early)
		return
	}
	if len(p.waiting) > 0 { // a proxydown or a halt came while it launched
		p.stopServices(ctx, p.halted)
		p.shutdown(ctx)
		return
	}
	if !asked {
		// run for starts that were all dropped meanwhile: an auto proxy
		// with no service up is shut down, as when its last one goes
		p.shutdownIfIdle(ctx)
	}
}

// refusal refuses the start attempt for err, the proxy's launch's
// failure, or another reason it cannot run the start: a launch that
// failed for want of cfkd's own resources (fds, a fork) is cfkd's
// shortage, and the service waits in backoff and tries again, as a
// direct service does (REFERENCE §2.1, §4.5); it went to fail, never
// started again once the resource was freed.
func (p *Proxy) refusal(attempt uint64, err error) proxyStartRefused {
	if short := shortage(err); short != nil {
		return proxyStartRefused{attempt: attempt, err: fmt.Errorf("Proxy '%s' can't run: %w", p.cfg.Name, short), why: refusedShort}
	}
	return proxyStartRefused{attempt: attempt, err: err}
}

// answerUps answers the proxyups that waited for a launch's outcome.
func (p *Proxy) answerUps(ctx actor.Context, err error) {
	for _, to := range p.upWait {
		p.answer(ctx, to, err)
	}
	p.upWait = nil
}

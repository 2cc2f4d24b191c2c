package actors

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
	"github.com/sirupsen/logrus"
)

// proxiedRef is a service a proxy was asked to start, and which start.
type proxiedRef struct {
	pid     *actor.PID
	attempt uint64
}

// proxyState is what the proxy process is doing.
type proxyState int

const (
	proxyIsDown proxyState = iota
	proxyIsUp
	proxyIsStopping // asked to stop, not gone yet
)

func (s proxyState) String() string { return [...]string{"down", "up", "stopping"}[s] }

// proxyTransitions is the proxy process's lifecycle: every transition
// there is, with what causes it. transition makes no other.
var proxyTransitions = map[[2]proxyState]string{
	{proxyIsDown, proxyIsUp}:       "the process was launched (proxyup, or a start under an auto proxy)",
	{proxyIsUp, proxyIsStopping}:   "shutdown: command pipe closed, SIGTERM, grace armed",
	{proxyIsUp, proxyIsDown}:       "the process exited",
	{proxyIsStopping, proxyIsDown}: "the process exited, or the grace elapsed (SIGKILL sent)",
}

// Proxy is the actor of one proxy (proxy/NAME under the controller): it
// owns the proxy process, its three pipes and their goroutines (REFERENCE §4).
type Proxy struct {
	opts  Options
	log   *logrus.Entry
	cfg   messages.ProxyConfig
	self  *actor.PID
	files map[string]*os.File // the bound sockets (never mutated)

	state  proxyState
	halted bool
	run    uint64 // bumped by every run and every end of one
	proc   *osproc.Process
	cmds   chan<- []byte // the writer's queue while up
	timer  *time.Timer

	svcs    map[string]proxiedRef // the services it was asked to start, by name
	up      map[string]bool       // those that are up
	pids    map[string]int        // their pids, as reported
	queued  []proxyStartRequest   // starts that came while stopping
	waiting []proxyDown           // answered once gone

	pr  *pipeRun     // the pipe goroutines of the run, while up
	upg proxyUpgrade // an upgrade in place (proxy_upgrade.go)
}

func newProxy(opts Options, cfg messages.ProxyConfig, files map[string]*os.File) *Proxy {
	return &Proxy{
		opts: opts, cfg: cfg, files: files,
		log:  opts.Log.WithField("proxy", cfg.Name),
		svcs: map[string]proxiedRef{}, up: map[string]bool{}, pids: map[string]int{},
	}
}

// Receive implements actor.Actor.
func (p *Proxy) Receive(ctx actor.Context) {
	if p.upgradeMessage(ctx, ctx.Message()) {
		return
	}
	p.handle(ctx, ctx.Message())
}

// handle handles one message (Receive's, or one replayed on thaw).
func (p *Proxy) handle(ctx actor.Context, msg any) {
	switch m := msg.(type) {
	case *actor.Started:
		p.self = ctx.Self()
	case configureProxy:
		p.cfg = m.cfg
	case messages.SocketsChanged:
		p.files = m.Files
	case proxyUp:
		p.answer(ctx, m.to, p.runUp(ctx))
	case proxyDown:
		p.down(ctx, m)
	case proxyStartRequest:
		p.startService(ctx, m)
	case proxyStopRequest:
		if p.state == proxyIsUp {
			p.sendCommand(ctx, proxywire.Command{Command: proxywire.CommandStop, Name: m.name})
		}
	case proxiedServiceDown:
		delete(p.up, m.name)
		p.shutdownIfIdle(ctx)
	case proxyReportedStarted:
		p.started(ctx, m)
	case proxyReportedStopped:
		p.stopped(ctx, m)
	case proxyLogLine:
		if m.run == p.run {
			p.logLine(m.line)
		}
	case proxyBadStatus:
		if m.run == p.run {
			p.log.WithError(m.err).Error("proxy sent a bad status line")
		}
	case proxyPipeBroken:
		if m.run == p.run && p.state == proxyIsUp {
			p.log.WithError(m.err).Errorf("proxy '%s': command pipe broken: shutting it down", p.cfg.Name)
			p.shutdown(ctx)
		}
	case proxyExited:
		p.exited(ctx, m)
	case proxyGraceElapsed:
		if m.run == p.run && p.state == proxyIsStopping {
			p.log.Warnf("Proxy '%s' didn't clean after itself?", p.cfg.Name)
			p.signal(syscall.SIGKILL)
			p.gone(ctx)
		}
	case *actor.Stopping:
		p.cancelTimer()
	case *actor.Stopped, *actor.Restarting:
	default:
		p.log.WithField("message", fmt.Sprintf("%T", m)).Warn("proxy: unknown message ignored")
	}
}

func (p *Proxy) answer(ctx actor.Context, to *actor.PID, err error) {
	if to != nil {
		ctx.Send(to, messages.Reply{Err: err})
	}
}

// runUp runs the proxy unless it is up already (proxyup).
func (p *Proxy) runUp(ctx actor.Context) error {
	switch {
	case p.halted:
		return errors.New("cfkd is shutting down")
	case p.state == proxyIsUp:
		return nil
	case p.state == proxyIsStopping:
		return fmt.Errorf("proxy '%s' is stopping", p.cfg.Name)
	}
	return p.launch(ctx)
}

// launch runs the proxy process (REFERENCE §4.1).
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
	spec := osproc.Spec{
		Argv: argv, Env: mergeEnv(p.opts.Env, p.cfg.Env, vars),
		Setsid: true, ExtraFiles: files, Tag: ProxyTag(p.cfg.Name),
		Stdout: p.outputLogger(logrus.InfoLevel), Stderr: p.outputLogger(logrus.ErrorLevel),
	}
	p.run++
	run, self, root := p.run, p.self, ctx.ActorSystem().Root
	proc, err := p.opts.Launcher.Launch(spec, func(pid int, ws syscall.WaitStatus) {
		root.Send(self, proxyExited{run: run, pid: pid, ws: ws})
	})
	pp.closeChild()
	if err != nil {
		pp.closeAll()
		p.log.WithError(err).Errorf("proxy '%s' cannot run", name)
		return fmt.Errorf("Proxy '%s' can't run: %w", name, err)
	}
	p.proc = proc
	launcher, proxyPid := p.opts.Launcher, proc.Pid
	p.cmds, p.pr = startPipeGoroutines(root, self, run, pp, func(pid int) (*osproc.Process, error) {
		return launcher.Handle(pid, proxyPid)
	})
	p.log.WithField("pid", proc.Pid).Infof("proxy '%s' running", name)
	p.transition(ctx, proxyIsUp)
	return nil
}

// startService sends the start command (REFERENCE §4.5): an auto proxy that is
// down is run first; a noauto one refuses.
func (p *Proxy) startService(ctx actor.Context, m proxyStartRequest) {
	name := m.cfg.Name
	line, err := proxywire.EncodeCommand(startCommand(m.cfg))
	if err != nil { // not from a declaration that parsed
		ctx.Send(m.svc, proxyStartRefused{attempt: m.attempt, err: err})
		return
	}
	switch p.state {
	case proxyIsStopping:
		p.queued = append(p.queued, m)
		return
	case proxyIsDown:
		switch {
		case p.halted:
			err = errors.New("cfkd is shutting down")
		case p.cfg.NoAuto:
			err = fmt.Errorf("Proxy is not running, not starting service '%s'", name)
		default:
			err = p.launch(ctx)
		}
		if err != nil {
			ctx.Send(m.svc, proxyStartRefused{attempt: m.attempt, err: err})
			return
		}
	}
	p.svcs[name], p.up[name] = proxiedRef{pid: m.svc, attempt: m.attempt}, true
	delete(p.pids, name)
	p.send(ctx, line)
}

// send queues a command line for the writer. A full queue means the proxy
// does not read its commands: it is shut down.
func (p *Proxy) send(ctx actor.Context, line []byte) {
	select {
	case p.cmds <- line:
	default:
		p.log.Errorf("proxy '%s' does not read its commands (%d pending): shutting it down", p.cfg.Name, cmdQueueSize)
		p.shutdown(ctx)
	}
}

func (p *Proxy) started(ctx actor.Context, m proxyReportedStarted) {
	svc, ok := p.svcs[m.name]
	switch {
	case m.run != p.run:
		m.proc.Close()
		return
	case !ok:
		m.proc.Close()
		p.log.Errorf("proxy '%s' started unknown service '%s' (pid %d)", p.cfg.Name, m.name, m.pid)
		return
	case errors.Is(m.handleErr, osproc.ErrNoHandle):
		// no pidfds on this system (REFERENCE §11): expected, every time
		p.log.Debugf("proxy '%s' reported pid %d for '%s': no handle on it (%v), cfkd will not signal it", p.cfg.Name, m.pid, m.name, m.handleErr)
	case m.handleErr != nil:
		p.log.WithError(m.handleErr).Warnf("proxy '%s' reported pid %d for '%s': no handle on it, cfkd will not signal it", p.cfg.Name, m.pid, m.name)
	}
	p.pids[m.name] = m.pid
	ctx.Send(svc.pid, proxyServiceStarted{attempt: svc.attempt, pid: m.pid, proc: m.proc})
}

// stopped hands the exit to the service, as the reaper does for a direct
// child (REFERENCE §4.5).
func (p *Proxy) stopped(ctx actor.Context, m proxyReportedStopped) {
	if m.run != p.run {
		return
	}
	svc, ok := p.svcs[m.name]
	if !ok {
		p.log.Errorf("proxy '%s' reported the exit of unknown service '%s' (pid %d)", p.cfg.Name, m.name, m.pid)
		return
	}
	if p.pids[m.name] == m.pid {
		delete(p.pids, m.name)
	}
	ctx.Send(svc.pid, messages.ProcessExited{Pid: m.pid, Status: m.status})
}

// shutdownIfIdle shuts an auto proxy down once none of its services is up.
func (p *Proxy) shutdownIfIdle(ctx actor.Context) {
	if p.state == proxyIsUp && !p.cfg.NoAuto && len(p.up) == 0 {
		p.log.Infof("proxy '%s': no service up any more", p.cfg.Name)
		p.shutdown(ctx)
	}
}

func (p *Proxy) down(ctx actor.Context, m proxyDown) {
	if m.halt {
		p.halted = true
		p.failQueued(ctx, errors.New("cfkd is shutting down"))
	}
	p.waiting = append(p.waiting, m)
	if p.state == proxyIsDown {
		p.answerDowns(ctx)
		return
	}
	p.shutdown(ctx)
}

// shutdown closes the command pipe, sends SIGTERM, and gives the proxy
// Options.ProxyGrace to exit (REFERENCE §4.5).
func (p *Proxy) shutdown(ctx actor.Context) {
	if p.state != proxyIsUp {
		return
	}
	p.log.Infof("shutting down proxy '%s'", p.cfg.Name)
	p.transition(ctx, proxyIsStopping)
	close(p.cmds)
	p.cmds = nil
	p.signal(syscall.SIGTERM)
	root, self, run := ctx.ActorSystem().Root, p.self, p.run
	p.cancelTimer()
	p.timer = time.AfterFunc(p.opts.ProxyGrace, func() { root.Send(self, proxyGraceElapsed{run: run}) })
}

func (p *Proxy) exited(ctx actor.Context, m proxyExited) {
	if m.run != p.run || p.state == proxyIsDown {
		return
	}
	name, ws := p.cfg.Name, m.ws
	l := p.log.WithField("pid", m.pid)
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		l.Infof("proxy '%s' exited", name)
	case ws.Signaled() && ws.Signal() == syscall.SIGTERM:
		l.Infof("proxy '%s' gracefully killed", name)
	default:
		l.Errorf("proxy '%s' abnormal termination: %s", name, lifecycle.FailReason(ws))
	}
	if p.state == proxyIsUp {
		close(p.cmds) // the writer closes the command pipe
		p.cmds = nil
	}
	p.gone(ctx)
}

// gone: the proxy process is no more (or considered so). Every service
// that was up under it fails; starts queued meanwhile run it again.
func (p *Proxy) gone(ctx actor.Context) {
	p.cancelTimer()
	// the controller first: a service failed by the proxy's end finds the
	// proxy down in status (`NAME!`) as soon as its own fail is published
	p.transition(ctx, proxyIsDown)
	p.run++ // what the old pipes still say is stale
	for name := range p.up {
		svc := p.svcs[name]
		ctx.Send(svc.pid, proxyStopped{attempt: svc.attempt})
	}
	p.svcs, p.up, p.pids = map[string]proxiedRef{}, map[string]bool{}, map[string]int{}
	p.answerDowns(ctx)
	queued := p.queued
	p.queued = nil
	for _, m := range queued {
		p.startService(ctx, m)
	}
}

// answerDowns answers the proxydown requests and tells the controller
// of a halted proxy (shutdown).
func (p *Proxy) answerDowns(ctx actor.Context) {
	for _, d := range p.waiting {
		p.answer(ctx, d.to, nil)
		if d.halt {
			ctx.Send(ctx.Parent(), proxyHalted{name: p.cfg.Name})
		}
	}
	p.waiting = nil
}

func (p *Proxy) failQueued(ctx actor.Context, err error) {
	for _, m := range p.queued {
		ctx.Send(m.svc, proxyStartRefused{attempt: m.attempt, err: err})
	}
	p.queued = nil
}

// transition is the one place where the proxy's state changes: it
// tells the controller (a stopping proxy still counts as running there,
// so that starts queue for its next run), then publishes the change.
func (p *Proxy) transition(ctx actor.Context, to proxyState) {
	from := p.state
	if _, ok := proxyTransitions[[2]proxyState{from, to}]; !ok {
		p.log.Errorf("proxy '%s': no transition %s → %s (a bug): state kept", p.cfg.Name, from, to)
		return
	}
	p.state = to
	pid := 0
	if p.proc != nil {
		pid = p.proc.Pid
	}
	if to == proxyIsDown {
		p.proc, pid = nil, 0
	}
	ctx.Send(ctx.Parent(), proxyUpdated{name: p.cfg.Name, running: to != proxyIsDown, pid: pid})
	ctx.ActorSystem().EventStream.Publish(messages.ProxyStateChanged{
		Name: p.cfg.Name, From: from.String(), To: to.String(), Running: to == proxyIsUp, Pid: pid,
	})
}

func (p *Proxy) signal(sig syscall.Signal) {
	if p.proc == nil {
		return
	}
	if err := p.opts.Launcher.Signal(p.proc, sig); err != nil && !errors.Is(err, osproc.ErrDone) {
		p.log.WithError(err).Warnf("cannot send %v to proxy '%s'", sig, p.cfg.Name)
	}
}

func (p *Proxy) cancelTimer() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
}

// logLine logs one `TYPE:SVCNAME:MESSAGE` line (REFERENCE §4.4): as the output
// of service SVCNAME (with its pid), or of the proxy itself for `-`.
func (p *Proxy) logLine(line string) {
	l, err := proxywire.ParseLogLine(line)
	if err != nil {
		p.log.WithError(err).Errorf("proxy '%s' sent a bad log line", p.cfg.Name)
		return
	}
	lvl := logrus.InfoLevel
	if l.Stream == "err" {
		lvl = logrus.ErrorLevel
	}
	if l.Service == "-" {
		p.opts.ServiceLog.WithFields(logrus.Fields{"category": "proxy." + p.cfg.Name + "." + l.Stream, "proxy": p.cfg.Name}).Log(lvl, l.Message)
		return
	}
	fields := logrus.Fields{"category": "service." + l.Service + "." + l.Stream, "service": l.Service, "proxy": p.cfg.Name}
	if pid := p.pids[l.Service]; pid != 0 {
		fields["pid"] = pid
	}
	p.opts.ServiceLog.WithFields(fields).Log(lvl, l.Message)
	p.opts.tail.add(l.Service, []byte(l.Message)) // `command tail` (REFERENCE §4.4)
}

// outputLogger logs what the proxy process writes on its own stdout and
// stderr, under the proxy's category.
func (p *Proxy) outputLogger(lvl logrus.Level) func(int, []byte) {
	stream := "out"
	if lvl == logrus.ErrorLevel {
		stream = "err"
	}
	return proxyOutputLogger(p.opts.ServiceLog, p.cfg.Name, stream)
}

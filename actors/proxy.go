package actors

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
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

// proxiedStart is one start command sent to the proxy, outstanding until
// the proxy reports the exit of its process: pid is 0 until the proxy
// reports it started; left is set once the service gave that start up
// (it went down, or started again), from then on its reports are strays;
// stopAsked once cfkd sent the proxy a stop of the service after this
// start: its exit is then handed over after the scan for the orphans it
// left (ProxiedStopEnder). seq numbers it among the starts sent to the
// run, asked is when the service last asked whether the proxy gets on
// toward it (at first: when it was sent; proxy_progress.go).
type proxiedStart struct {
	ref       proxiedRef
	pid       int
	left      bool
	stopAsked bool
	seq       uint64
	asked     time.Time
	sent      uint64   // when it was sent (osproc.BootTicks: proxy_lost.go)
	next      uint64   // when the service's next start was sent, 0: none yet (endGivenUp)
	line      *cmdLine // its start line, taken back by a stop while not written
	unheld    bool     // its pid came, but cfkd has no handle on that process
}

// proxyState is what the proxy process is doing.
type proxyState int

const (
	proxyIsDown proxyState = iota
	proxyIsUp
	proxyIsStopping  // asked to stop, not gone yet
	proxyIsLaunching // its fork and exec run on a worker of launchPool
)

func (s proxyState) String() string {
	return [...]string{"down", "up", "stopping", "launching"}[s]
}

// shown is the state the controller and the events see: a proxy being
// launched is down until it runs (REFERENCE §1.6 names no other state).
func (s proxyState) shown() proxyState {
	if s == proxyIsLaunching {
		return proxyIsDown
	}
	return s
}

// proxyTransitions is the proxy process's lifecycle: every transition
// there is, with what causes it. transition makes no other.
var proxyTransitions = map[[2]proxyState]string{
	{proxyIsDown, proxyIsLaunching}: "a launch (proxyup, or a start under an auto proxy): the fork and exec run on a worker of launchPool, never in Receive",
	{proxyIsLaunching, proxyIsUp}:   "the process was launched: pipes read, starts queued meanwhile sent, proxyups answered",
	{proxyIsLaunching, proxyIsDown}: "the launch failed: starts queued meanwhile refused, proxyups answered with why",
	{proxyIsUp, proxyIsStopping}:    "shutdown: command pipe closed, SIGTERM, grace armed",
	{proxyIsUp, proxyIsDown}:        "the process exited",
	{proxyIsStopping, proxyIsDown}:  "the process exited, or the grace elapsed (SIGKILL sent)",
}

// Proxy is the actor of one proxy (proxy/NAME under the controller): it
// owns the proxy process, its three pipes and their goroutines (REFERENCE §4).
type Proxy struct {
	// badStatus: a bad status line is logged once a second at most (a
	// proxy that floods garbage must not flood cfkd's log); strayStatus:
	// alike, a status line that parses but names nothing cfkd started
	// (proxy_reports.go: strayf); badLog: a bad log line, alike
	badStatus   RecordLimit
	strayStatus RecordLimit
	badLog      RecordLimit
	opts        Options
	log         *logrus.Entry
	cfg         messages.ProxyConfig
	// runCfg: the declaration the process of the run was launched with
	// (after an upgrade in place, the one it had then)
	runCfg messages.ProxyConfig
	self   *actor.PID
	files  map[string]*os.File // the bound sockets (never mutated)
	// runFiles are the sockets its process got at its launch, and holds
	runFiles map[string]*os.File

	state  proxyState
	halted bool
	run    uint64 // bumped by every run and every end of one
	proc   *osproc.Process
	cmds   chan<- *cmdLine // the writer's queue while up
	// backlog: the command lines the queue could not take yet, in order;
	// backlogMoved: when one last moved to the queue (proxy_backlog.go)
	// inflight: the seqs of the start lines in the queue or written, not
	// answered yet (proxyStartWindow); heldNames, heldStops: the lines
	// in the backlog by service, its stop lines; stallArmed: the queue
	// was found full, backlogTimer runs
	backlog      []*cmdLine
	backlogMoved time.Time
	backlogTimer *time.Timer
	inflight     []uint64
	heldNames    map[string]int
	heldStops    int
	stallArmed   bool
	timer        *time.Timer
	// holds: the services in backoff that hold an auto proxy up until
	// their retry (proxy_hold.go)
	holds     proxyHolds
	holdTimer *time.Timer

	// names: what this run knows of each service name (proxy_names.go):
	// the latest start it was asked for, the pid reported, the last one
	// reported stopped, the declaration it was last started for
	names   proxiedNames
	starts  map[string][]*proxiedStart // the outstanding starts, by name, in the order sent
	up      map[string]bool            // the services up under it
	queued  []proxyStartRequest        // starts that came while stopping or launching
	waiting []proxyDown                // answered once gone
	upWait  []*actor.PID               // proxyups answered once launched
	early   *proxyExited               // the exit of the run being launched, come before its launch's outcome
	// delivering counts, by name, the exits of processes cfkd stopped that
	// wait for the scan for their orphans (ProxiedStopEnder): the end of
	// the proxy does not fail those services, whose exit is on its way
	delivering map[string]int
	// lost: by run, the starts a run that ended never reported, ended
	// once its process exits (proxy_lost.go)
	lost map[uint64]lostRun
	// endedRun: the names of the run that ended last, for the log lines
	// it wrote before its end that are read after it (proxy_loglines.go)
	endedRun endedRun
	// unreaped: by run, the pipes of a run taken for gone before its
	// process exited (its grace elapsed): their read ends are closed at
	// its exit, as a reaped run's are at its end (pipeRun.closeReads)
	unreaped map[uint64]*pipeRun
	// alone: the services whose latest process of this run exited with
	// no stop line sent for it, and no start line sent since: a stop of
	// the service, down, sends the proxy that stop line
	// (proxiedEndLeftovers), which ends the daemons that process left
	alone map[string]bool

	pr   *pipeRun      // the pipe goroutines of the run, while up
	upg  proxyUpgrade  // an upgrade in place (proxy_upgrade.go)
	prog proxyProgress // what the run answered, and when (proxy_progress.go)
	mute proxyMute     // its status or log pipe closed while it runs (proxy_mute.go)
}

func newProxy(opts Options, cfg messages.ProxyConfig, files map[string]*os.File) *Proxy {
	p := &Proxy{
		opts: opts, cfg: cfg, files: files,
		log:   opts.Log.WithField("proxy", cfg.Name),
		names: newProxiedNames(), up: map[string]bool{},
		alone:  map[string]bool{},
		starts: map[string][]*proxiedStart{}, delivering: map[string]int{},
	}
	// the count of the last second of a flood of such lines, which no
	// record comes to carry once the proxy stopped writing them: logged
	// on its own (REFERENCE §4.4, §4.5). Late runs on a timer's
	// goroutine: it reads neither p.cfg nor anything the actor writes.
	log, name := p.log, cfg.Name
	p.badStatus.Late = func(muted int) {
		log.Error(mutedSince(muted, "bad status lines from proxy '"+name+"'"))
	}
	p.strayStatus.Late = func(muted int) {
		log.Warn(mutedSince(muted, "status lines from proxy '"+name+"' that changed nothing"))
	}
	p.badLog.Late = func(muted int) {
		log.Error(mutedSince(muted, "bad log lines from proxy '"+name+"'"))
	}
	return p
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
		if m.Req != 0 && p.state != proxyIsDown && p.runFiles[m.Unbind] != nil {
			// an unbind waits for it: the running proxy process holds a
			// copy of every socket bound at its launch, so the socket
			// would go on listening there
			ctx.Send(ctx.Parent(), messages.SocketReply{Req: m.Req, Err: fmt.Errorf("proxy %s (%s), whose process holds every bound socket: proxydown it first", p.cfg.Name, p.state)})
			return
		}
		p.files = m.Files
		if m.Req != 0 { // an unbind waits for it: the old table is never used again
			ctx.Send(ctx.Parent(), messages.SocketReply{Req: m.Req})
		}
	case proxyUp:
		p.runUp(ctx, m.to)
	case proxyLaunched:
		p.launched(ctx, m)
	case proxyDown:
		p.down(ctx, m)
	case proxyStartRequest:
		p.startService(ctx, m)
	case proxyStopRequest:
		switch p.state {
		case proxyIsUp:
			if p.takeBack(ctx, m.name) {
				break // the proxy never heard of that start
			}
			p.sendCommand(ctx, proxywire.Command{Command: proxywire.CommandStop, Name: m.name})
			delete(p.alone, m.name)
			for _, st := range p.starts[m.name] { // the proxy stops the latest, and there is one at most that runs
				st.stopAsked = true
			}
		case proxyIsStopping, proxyIsLaunching: // its start waits in the queue: it never goes
			p.dropQueued(ctx, m.name, fmt.Errorf("stopped before proxy '%s' ran it", p.cfg.Name))
		}
		if m.svc != nil {
			// after the refusal of a start dropped or taken back: the
			// stop is answered with the service stopped (REFERENCE §4.5)
			ctx.Send(m.svc, proxyStopHeard{attempt: m.attempt})
		}
	case proxiedServiceDown:
		p.serviceDown(ctx, m.name, m.retry)
	case proxyHoldExpired:
		if m.run == p.run {
			p.shutdownIfIdle(ctx)
		}
	case proxiedEndLeftovers:
		p.endLeftovers(ctx, m.name)
	case proxiedStartKilled:
		for _, st := range p.starts[m.name] {
			if st.pid == m.pid {
				st.left = true
			}
		}
	case proxyPidWait:
		p.pidWait(ctx, m)
	case proxyReportedStarted:
		p.started(ctx, m)
		freeSlot(m.slot)
	case proxyReportedStopped:
		p.stopped(ctx, m)
		freeSlot(m.slot)
	case proxyLogLine:
		switch m.run {
		case p.run:
			p.logLine(m.line, &p.names)
		case p.endedRun.run:
			p.logLine(m.line, &p.endedRun.names)
		}
		freeSlot(m.slot)
	case proxyBadStatus:
		freeSlot(m.slot) // a former run's too: logged alike (REFERENCE §4.5)
		if ok, muted := p.badStatus.Allow(); ok {
			msg := "proxy sent a bad status line"
			if muted > 0 {
				msg += mutedLastSecond(muted, "more")
			}
			p.log.WithError(m.err).Error(msg)
		}
	case proxyStatusClosed:
		p.pipeClosed(ctx, m.run)
	case proxyLogClosed:
		p.pipeClosed(ctx, m.run)
	case proxyStatusSilent:
		p.statusSilent(ctx, m)
	case proxyPipeBroken:
		if m.run == p.run && p.state == proxyIsUp {
			p.log.WithError(m.err).Errorf("proxy '%s': command pipe broken: shutting it down", p.cfg.Name)
			p.shutdown(ctx)
		}
	case proxyExited:
		p.exited(ctx, m)
	case proxyExitDelivered:
		if p.delivering[m.name]--; p.delivering[m.name] <= 0 {
			delete(p.delivering, m.name)
		}
	case proxyBacklogTick:
		p.moveBacklog(ctx, m)
	case proxyGraceElapsed:
		if m.run == p.run && p.state == proxyIsStopping {
			p.log.Warnf("Proxy '%s' didn't clean after itself?", p.cfg.Name)
			p.signal(syscall.SIGKILL)
			p.gone(ctx, false)
		}
	case *actor.Stopping:
		p.cancelTimer()
		p.mute.cancel()
		if p.backlogTimer != nil {
			p.backlogTimer.Stop()
		}
		p.stopHolds()
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

// startService sends the start command (REFERENCE §4.5): an auto proxy that is
// down is run first; a noauto one refuses.
func (p *Proxy) startService(ctx actor.Context, m proxyStartRequest) {
	name := m.cfg.Name
	line, err := proxywire.EncodeCommand(startCommand(m.cfg))
	if err != nil { // too long for a proxy (an env_file too large), or a bug
		ctx.Send(m.svc, proxyStartRefused{attempt: m.attempt, err: err})
		return
	}
	switch p.state {
	case proxyIsLaunching:
		if p.halted {
			ctx.Send(m.svc, proxyStartRefused{attempt: m.attempt, err: osproc.ErrCancelled})
			return
		}
		// after a proxydown that waits for the launch, a start waits for
		// the end of the run, as one during stopping does
		m.later = len(p.waiting) > 0
		p.queued = append(p.queued, m)
		return
	case proxyIsStopping:
		p.queued = append(p.queued, m)
		return
	case proxyIsDown:
		switch {
		case p.halted:
			err = osproc.ErrCancelled
		case p.cfg.NoAuto:
			err = fmt.Errorf("Proxy is not running, not starting service '%s'", name)
		default:
			err = p.launch(ctx)
		}
		if err != nil {
			ctx.Send(m.svc, p.refusal(m.attempt, err))
			return
		}
		p.queued = append(p.queued, m) // sent once it runs
		return
	}
	if tie := m.cfg.TieStdinTo; tie != "" && p.runFiles[tie] == nil {
		// bound after the proxy's launch: its process never had it, and
		// would run the service with /dev/null as fd 0 (REFERENCE §4.1)
		ctx.Send(m.svc, proxyStartRefused{attempt: m.attempt, err: boundAfterProxy(tie, p.cfg.Name)})
		return
	}
	ref := proxiedRef{pid: m.svc, attempt: m.attempt}
	p.names.sent(name, ref, m.decl)
	p.up[name] = true
	delete(p.holds, name)
	delete(p.alone, name) // a stop line from now on is this start's
	sent := osproc.BootTicks()
	for _, st := range p.starts[name] {
		st.left = true // a service has one start at a time: this one
		if st.next == 0 {
			st.next = sent // what this one's run forks is not the former's
		}
	}
	p.prog.sent++
	cl := &cmdLine{b: line, name: name, seq: p.prog.sent}
	p.starts[name] = append(p.starts[name], &proxiedStart{ref: ref, seq: p.prog.sent, asked: time.Now(), sent: sent, line: cl})
	p.send(ctx, cl)
}

// serviceDown: service name is down. The starts it made are given up (what
// the proxy reports of them is a stray's), one still queued is dropped
// (nobody would supervise its process), and an auto proxy with no service
// up any more is shut down.
func (p *Proxy) serviceDown(ctx actor.Context, name string, retry time.Time) {
	delete(p.up, name)
	if retry.IsZero() {
		delete(p.holds, name) // down for good
	} else {
		p.hold(name, retry)
	}
	for _, st := range p.starts[name] {
		st.left = true
	}
	kept := p.queued[:0]
	for _, q := range p.queued {
		if q.cfg.Name == name {
			p.log.Debugf("proxy '%s': queued start of '%s' dropped: the service is down", p.cfg.Name, name)
			continue
		}
		kept = append(kept, q)
	}
	clear(p.queued[len(kept):])
	p.queued = kept
	p.forgetIfGone(name)
	p.shutdownIfIdle(ctx)
}

// forgetIfGone drops the record of service name once it is down and no
// process of it is left to report (no start outstanding, no pid): a
// proxy that stays up would otherwise keep one for every service ever
// started under it (and the service's actor with it), and name them all
// in every upgrade's state. A start of it makes the record again.
func (p *Proxy) forgetIfGone(name string) {
	if !p.up[name] && p.names.of(name).pid == 0 && len(p.starts[name]) == 0 {
		p.names.forget(name)
	}
}

// shutdownIfIdle shuts an auto proxy down once none of its services is
// up, nor holds it up for its retry (proxy_hold.go).
func (p *Proxy) shutdownIfIdle(ctx actor.Context) {
	if p.state == proxyIsUp && !p.cfg.NoAuto && len(p.up) == 0 {
		if until := p.heldUntil(time.Now()); !until.IsZero() {
			p.armHold(ctx, until)
			return
		}
		p.log.Infof("proxy '%s': no service up any more", p.cfg.Name)
		p.shutdown(ctx)
	}
}

func (p *Proxy) down(ctx actor.Context, m proxyDown) {
	if m.halt {
		p.halted = true
		p.failQueued(ctx, osproc.ErrCancelled) // the starts it held: not started
	}
	p.waiting = append(p.waiting, m)
	switch p.state {
	case proxyIsDown:
		p.answerDowns(ctx)
		return
	case proxyIsLaunching: // once launched (launched)
		return
	}
	p.stopServices(ctx, m.halt)
	p.shutdown(ctx)
}

// stopServices: an operator's proxydown (not a halt) stops the services
// up under the proxy, as `stop` does (REFERENCE §4.5): their exits, which
// the proxy reports as it stops them, are stops, whatever the status (one
// that needed the proxy's SIGKILL or exited 143 was a crash, respawned at
// once, and its start ran the proxy again). Each hears it before the exit
// this actor hands it; the stop line it then asks for finds the proxy
// stopping, and goes nowhere. The starts queued while it stops, for its
// next run, came before this proxydown: they are stopped too (their stops
// drop them), or they would run it again once gone; the starts that come
// after it wait, as documented. The controller sends those it sees run
// under the proxy a stop of its own too (proxyCommand), which a restart's
// plan knows of: whichever comes second finds the service stopping.
func (p *Proxy) stopServices(ctx actor.Context, halt bool) {
	if (p.state != proxyIsUp && p.state != proxyIsStopping) || halt {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(p.up)) {
		ctx.Send(p.names.of(name).ref.pid, messages.StopService{})
	}
	if p.state == proxyIsStopping {
		for _, q := range p.queued {
			ctx.Send(q.svc, messages.StopService{})
		}
	}
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
	p.dropCommands()
	p.signal(syscall.SIGTERM)
	root, self, run := ctx.ActorSystem().Root, p.self, p.run
	p.cancelTimer()
	p.timer = time.AfterFunc(p.opts.ProxyGrace, func() { root.Send(self, proxyGraceElapsed{run: run}) })
}

func (p *Proxy) exited(ctx actor.Context, m proxyExited) {
	if lr, ok := p.lost[m.run]; ok { // a run taken for gone before its end
		delete(p.lost, m.run)
		p.endLost(lr)
	}
	if pr, ok := p.unreaped[m.run]; ok { // alike: its lines are drained
		delete(p.unreaped, m.run)
		pr.closeReads()
	}
	if m.run != p.run || p.state == proxyIsDown {
		return
	}
	if p.state == proxyIsLaunching { // the reaper was faster than the launch's worker
		p.early = &m
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
		p.dropCommands()
	}
	p.gone(ctx, true)
}

// gone: the proxy process is no more (reaped), or considered so. Every
// service that was up under it fails; what it may have forked for the
// starts it never reported is ended once it is reaped; starts queued
// meanwhile run it again.
func (p *Proxy) gone(ctx actor.Context, reaped bool) {
	p.cancelTimer()
	p.mute.cancel()
	p.loseStarts(p.run, reaped)
	// the controller first: a service failed by the proxy's end finds the
	// proxy down in status (`NAME!`) as soon as its own fail is published
	p.transition(ctx, proxyIsDown)
	if p.pr != nil {
		if reaped {
			p.pr.closeReads()
		} else {
			if p.unreaped == nil {
				p.unreaped = map[uint64]*pipeRun{}
			}
			p.unreaped[p.run] = p.pr
		}
	}
	p.run++ // what the old pipes still say is stale
	if w := p.upg.exportWait; w != nil {
		// a freezing export waited for the old run's goroutines, whose
		// word is stale now: refused, and the upgrade with it
		p.upg.exportWait, p.upg.waiting, p.upg.carry = nil, 0, nil
		ctx.Send(ctx.Parent(), proxyExported{req: w.req, err: fmt.Errorf("proxy '%s' ended during the export: try again", p.cfg.Name)})
		p.closeFrozenPipes()
	}
	if p.upg.restart {
		// thawed while the goroutines of the run that ended still stopped:
		// they were to start again once all had; there is nothing to restart
		p.upg.restart, p.upg.waiting, p.upg.carry = false, 0, nil
		p.closeFrozenPipes()
	}
	for name := range p.up {
		if p.delivering[name] > 0 {
			continue // stopped by cfkd: its exit comes after the scan for its orphans
		}
		svc := p.names.of(name).ref
		ctx.Send(svc.pid, proxyStopped{attempt: svc.attempt, muted: p.mute.muted})
	}
	p.mute = proxyMute{}
	p.endedRun = endedRun{run: p.run - 1, names: p.names}
	p.names, p.up = newProxiedNames(), map[string]bool{}
	clear(p.alone) // a next run's process never ran theirs
	p.starts = map[string][]*proxiedStart{}
	p.answerDowns(ctx)
	queued := p.queued
	p.queued = nil
	for _, m := range queued {
		p.startService(ctx, m)
	}
}

// closeFrozenPipes closes cfkd's ends of the pipes of the run that ended,
// whose goroutines stop, or stopped, without closing them (a freeze).
func (p *Proxy) closeFrozenPipes() {
	if p.pr != nil {
		p.pr.cmdW.Close()
		p.pr.statusR.Close()
		p.pr.logR.Close()
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

// takeBack: a stop of service name whose start line waits in cfkd, not
// written to the proxy yet (a proxy that preloads, or that reads slowly
// hundreds of starts, REFERENCE §4.5), takes that line back, and the start
// is refused: the service is stopped at once, and no stop line is sent.
// false when the proxy was sent the start (the stop line follows).
func (p *Proxy) takeBack(ctx actor.Context, name string) bool {
	list := p.starts[name]
	if len(list) == 0 {
		return false
	}
	st := list[len(list)-1] // the service's current start, if any
	if st.left || st.pid != 0 || st.ref != p.names.of(name).ref || st.line == nil || !p.unqueue(ctx, st.line) {
		return false
	}
	p.starts[name] = list[:len(list)-1] // never answered: the proxy never read it
	if len(p.starts[name]) == 0 {
		delete(p.starts, name)
	}
	ctx.Send(st.ref.pid, proxyStartRefused{attempt: st.ref.attempt, err: fmt.Errorf("stopped before proxy '%s' was sent its start", p.cfg.Name)})
	return true
}

// dropQueued refuses the queued starts of service name with err.
func (p *Proxy) dropQueued(ctx actor.Context, name string, err error) {
	kept := p.queued[:0]
	for _, m := range p.queued {
		if m.cfg.Name != name {
			kept = append(kept, m)
			continue
		}
		ctx.Send(m.svc, proxyStartRefused{attempt: m.attempt, err: err})
	}
	p.queued = kept
}

func (p *Proxy) failQueued(ctx actor.Context, err error) {
	for _, m := range p.queued {
		ctx.Send(m.svc, p.refusal(m.attempt, err))
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
	if to != proxyIsUp {
		p.stopHolds() // a hold is for a run that goes on
	}
	if from.shown() == to.shown() { // a launch begun, or failed: down all along
		return
	}
	u := proxyUpdated{name: p.cfg.Name, running: to != proxyIsDown, pid: pid}
	if u.running {
		run := p.runCfg
		u.run, u.sockets = &run, socketNames(p.runFiles)
	}
	ctx.Send(ctx.Parent(), u)
	ctx.ActorSystem().EventStream.Publish(messages.ProxyStateChanged{
		Name: p.cfg.Name, From: from.shown().String(), To: to.String(), Running: to == proxyIsUp, Pid: pid,
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

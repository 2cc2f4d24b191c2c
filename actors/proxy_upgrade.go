package actors

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/internal/nowait"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
	"github.com/sirupsen/logrus"
)

// This file is a proxy's side of an upgrade in place (REFERENCE §13). A
// proxy that is up crosses with its process (cfkd's child, adopted as a
// service's) and its three pipes. Freezing stops the pipe goroutines
// without closing the pipes: the readers at a read deadline, each handing
// back what it read and did not emit (proxyPipeFrozen comes after every
// line it sent before), the writer once it wrote what was queued. Once all
// three are stopped the proxy answers its state and stashes what comes
// after; a second export adds the exits and the services' requests that
// came meanwhile. Thaw restarts the goroutines with what they had read and
// replays the stash. A proxy stopping, or waiting for the pid of a
// service up under it, or with starts queued, refuses (try again). Every
// start whose process's exit the proxy has not reported crosses (state
// version 7), a start the service gave up included, its pid awaited or
// not: the new cfkd kills its late started and ends what its process
// left, as this one would have (REFERENCE §4.5, §7.5). So does the
// declaration each name was last started for (ProxiedService.Decl), and
// the pid of its process last reported stopped (ProxiedService.LastPid,
// a name asked nothing any more included: Gone): the new cfkd keeps the
// lines of a name where this one would have (REFERENCE §4.4, §6.4).

// ProxyTag is the osproc.Spec.Tag of a proxy process.
func ProxyTag(name string) string { return "proxy:" + name }

// Messages of an upgrade, for a proxy.
type (
	exportProxy struct {
		req    uint64
		freeze bool
	}
	proxyExported struct {
		req uint64
		px  upgrade.Proxy
		err error
	}
	thawProxy       struct{}
	proxyPipeFrozen struct {
		run   uint64
		which string // cmd, status, log
		rest  []byte
	}
	restoreProxy struct {
		px    upgrade.Proxy
		proc  *osproc.Process // nil: not running, or its exit is in px.Exits
		files [3]*os.File     // cmd, status, log
		svcs  map[string]*actor.PID
		// decls: by name, the declaration (Tail.declare) each was last
		// started for, formerTailGen for a former one's (destroyed since)
		decls map[string]uint64
	}
)

// proxyUpgrade is a proxy's upgrade state.
type proxyUpgrade struct {
	exportWait *exportProxy // waiting for the pipe goroutines to stop
	waiting    int          // goroutines not stopped yet
	// restart: thawed while its goroutines were stopping; they start again
	// once all have stopped
	restart bool
	carry   map[string][]byte
	frozen  bool
	stash   []any
}

// pipeRun is what the goroutines of one run of a proxy use: its ends of
// the pipes, the writer's queue, and how to stop the writer.
type pipeRun struct {
	cmdW, statusR, logR *os.File
	q                   chan *cmdLine
	stopWriter          chan struct{}
	logSlots            chan struct{} // a log line read and not yet taken by the actor holds one

	// mu guards freezing and closed: a reader at EOF either closed its
	// pipe before a freeze (which then does not wait for it, and the
	// export is refused), or reports itself frozen to it, its end left open
	mu       sync.Mutex
	freezing bool
	closed   []string // the readers that ended at EOF, their end closed
	// statusDone (nil after an upgrade in place) is closed when the
	// status reader ends at EOF (pipes.statusDone)
	statusDone chan struct{}
	// wantRoom: the actor has lines its queue could not take (its
	// backlog); the writer sends it a proxyBacklogTick when it takes the
	// next line
	wantRoom atomic.Bool
	// ending: the run ended (closeReads): its readers read what has
	// arrived without waiting, then end, closing their pipes
	ending atomic.Bool
}

// start starts the writer and the readers of run, the readers' streams
// beginning with the carries.
func (pr *pipeRun) start(root *actor.RootContext, self *actor.PID, run uint64, handle func(pid int) (*osproc.Process, error), statusCarry, logCarry []byte) {
	pr.stopWriter = make(chan struct{})
	pr.mu.Lock()
	pr.freezing, pr.closed = false, nil
	pr.mu.Unlock()
	frozen := func(which string) func([]byte) {
		return func(rest []byte) { root.Send(self, proxyPipeFrozen{run: run, which: which, rest: rest}) }
	}
	go writeCommandsUntil(root, self, run, pr.cmdW, pr.q, &pr.wantRoom, pr.stopWriter, func() { frozen("cmd")(nil) })
	statusSlots := make(chan struct{}, maxProxyStatusLines)
	go readLinesFrom(pr.statusR, statusCarry, statusLineEnd, statusEmitter(root, self, run, handle, statusSlots, pr.stopWriter), pr.atEOF("status", frozen("status"), func() { root.Send(self, proxyStatusClosed{run: run}) }))
	pr.logSlots = make(chan struct{}, maxProxyLogLines)
	slots, stop := pr.logSlots, pr.stopWriter
	go readLinesFrom(pr.logR, logCarry, logLineEnd, func(line []byte) {
		takeSlot(slots, stop)
		root.Send(self, proxyLogLine{run: run, line: string(line), slot: slots})
	}, pr.atEOF("log", frozen("log"), func() { root.Send(self, proxyLogClosed{run: run}) }))
}

// atEOF is what a reader does at the end of its pipe: once a freeze
// began, it reports itself frozen (with rest) and keeps its end open for
// the export; else it notes its pipe closed (closed is true: it closes its
// end), and calls shut (nil: nothing) unless the run ended. Once the run
// ended (closeReads), it reads what has arrived without waiting, then
// meets its end.
func (pr *pipeRun) atEOF(which string, frozen func(rest []byte), shut func()) readerEnd {
	return readerEnd{frozen: frozen, ending: &pr.ending, eof: func(rest []byte) (closed bool) {
		pr.mu.Lock()
		defer pr.mu.Unlock()
		if pr.freezing {
			frozen(rest)
			return false
		}
		pr.closed = append(pr.closed, which)
		if which == "status" && pr.statusDone != nil {
			close(pr.statusDone) // its lines are all sent: the proxy's end may follow them
			pr.statusDone = nil
		}
		if shut != nil && !pr.ending.Load() {
			shut() // the proxy closed it, or is ending (proxy_mute.go)
		}
		return true
	}}
}

// isClosed says whether the reader of the pipe which ("status", "log")
// ended at EOF.
func (pr *pipeRun) isClosed(which string) bool {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return slices.Contains(pr.closed, which)
}

// closedPipe names a pipe whose reader ended at EOF ("" when none): the
// proxy closed it, or is ending.
func (pr *pipeRun) closedPipe() string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if len(pr.closed) == 0 {
		return ""
	}
	return pr.closed[0]
}

// freeze stops the goroutines: each one still running sends
// proxyPipeFrozen; it returns how many will.
func (pr *pipeRun) freeze() int {
	pr.mu.Lock()
	pr.freezing = true
	n := 3 - len(pr.closed)
	pr.mu.Unlock()
	close(pr.stopWriter)
	past := time.Unix(1, 0)
	pr.statusR.SetReadDeadline(past)
	pr.logR.SetReadDeadline(past)
	return n
}

// closeReads ends the readers of the status and log pipes of a run whose
// process exited, once the status lines it wrote were drained (REFERENCE
// §4.5: its end waits for them, 0.5 s at most): each reads what has
// arrived on its pipe, without waiting for more (the log lines the run
// wrote before its end, which its reader may not have reached yet: a
// close lost them), hands it on, then closes its end; what is written
// there since is not read. A process it left holding their write ends (a
// daemon it started, a service forked with them) no longer holds two of
// cfkd's fds until its own end: a proxy in a crash loop whose runs each
// left one would exhaust them.
func (pr *pipeRun) closeReads() {
	pr.ending.Store(true)
	past := time.Unix(1, 0) // wakes a reader waiting in a read
	pr.statusR.SetReadDeadline(past)
	pr.logR.SetReadDeadline(past)
}

// carryReader reads carry, then r; once ending holds (nil: never), what
// has arrived on r without waiting, up to endReadMax bytes, then the end
// of input.
type carryReader struct {
	carry  []byte
	r      *os.File
	ending *atomic.Bool
	read   int // bytes read once ending held
}

// endReadMax bounds what the reader of an ended run reads: what its pipe
// held at the end (1 MiB, Linux's pipe-max-size), not a flood that a
// process it left goes on writing.
const endReadMax = 1 << 20

func (c *carryReader) Read(b []byte) (int, error) {
	if len(c.carry) > 0 {
		n := copy(b, c.carry)
		c.carry = c.carry[n:]
		return n, nil
	}
	if c.ending == nil || !c.ending.Load() {
		n, err := c.r.Read(b)
		if n > 0 || err == nil || c.ending == nil || !c.ending.Load() {
			return n, err
		}
	}
	if c.read >= endReadMax {
		return 0, io.EOF
	}
	n, _ := nowait.Read(c.r, b[:min(len(b), endReadMax-c.read)])
	if n <= 0 {
		return 0, io.EOF
	}
	c.read += n
	return n, nil
}

// writeCommandsUntil is writeCommands that also stops, without closing w,
// once stop is closed: after writing what was queued by then.
func writeCommandsUntil(root *actor.RootContext, self *actor.PID, run uint64, w *os.File, q <-chan *cmdLine, wantRoom *atomic.Bool, stop <-chan struct{}, stopped func()) {
	broken := false
	write := func(line []byte) {
		if broken {
			return
		}
		if _, err := w.Write(line); err != nil {
			broken = true
			root.Send(self, proxyPipeBroken{run: run, err: err})
		}
	}
	// next is the next queued line; once stop is closed, only one queued
	// by then (none left: stopped, and the loop ends)
	stopping := false
	next := func() (line *cmdLine, ok, more bool) {
		if !stopping {
			select {
			case line, ok = <-q:
				return line, ok, true
			case <-stop:
				stopping = true
			}
		}
		select {
		case line, ok = <-q:
			return line, ok, true
		default:
			stopped()
			return nil, false, false
		}
	}
	for {
		line, ok, more := next()
		if !more {
			return
		}
		if !ok {
			w.Close()
			return
		}
		if wantRoom.CompareAndSwap(true, false) {
			root.Send(self, proxyBacklogTick{run: run}) // the queue has room
		}
		if line.claim() { // not a start taken back (Proxy.unqueue)
			write(line.b)
		}
	}
}

// upgradeMessage handles the upgrade's messages and, while frozen, stashes
// the others; it reports whether msg was taken.
func (p *Proxy) upgradeMessage(ctx actor.Context, msg any) bool {
	switch m := msg.(type) {
	case exportProxy:
		p.exportAsked(ctx, m)
	case proxyPipeFrozen:
		if m.run != p.run || (p.upg.exportWait == nil && !p.upg.restart) {
			return true
		}
		p.upg.carry[m.which] = m.rest
		if p.upg.waiting--; p.upg.waiting == 0 && p.upg.restart {
			p.upg.restart = false
			if p.state != proxyIsDown && p.pr != nil {
				p.restartPipes(ctx, p.upg.carry["status"], p.upg.carry["log"])
			}
			p.upg.carry = nil
		} else if p.upg.waiting == 0 {
			w := *p.upg.exportWait
			p.upg.exportWait = nil
			p.upg.frozen = true
			p.exportNow(ctx, w)
		}
	case thawProxy:
		p.thaw(ctx)
	case restoreProxy:
		p.restore(ctx, m)
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
		return false
	default:
		if p.upg.frozen {
			p.upg.stash = append(p.upg.stash, msg)
			return true
		}
		return false
	}
	return true
}

// exportAsked answers an export: at once when down, frozen already, or
// not freezing; else once the pipe goroutines stopped.
func (p *Proxy) exportAsked(ctx actor.Context, m exportProxy) {
	switch {
	case p.state == proxyIsLaunching && !p.upg.frozen:
		ctx.Send(ctx.Parent(), proxyExported{req: m.req, err: fmt.Errorf("proxy '%s' is being launched: try again", p.cfg.Name)})
		return
	case p.upg.frozen || !m.freeze || p.state == proxyIsDown:
		if m.freeze {
			p.upg.frozen = true
		}
		p.exportNow(ctx, m)
		return
	case p.upg.exportWait != nil:
		ctx.Send(ctx.Parent(), proxyExported{req: m.req, err: fmt.Errorf("proxy '%s' is being exported", p.cfg.Name)})
		return
	case p.upg.restart: // its goroutines stop still, from an export thawed before they did
		ctx.Send(ctx.Parent(), proxyExported{req: m.req, err: fmt.Errorf("proxy '%s' is busy (thawing): try again", p.cfg.Name)})
		return
	}
	if err := p.busy(); err != nil {
		ctx.Send(ctx.Parent(), proxyExported{req: m.req, err: err})
		return
	}
	p.upg.exportWait, p.upg.carry = &m, map[string][]byte{}
	if p.upg.waiting = p.pr.freeze(); p.upg.waiting == 0 { // cannot be: the readers' pipes were open just now
		p.upg.exportWait = nil
		p.upg.frozen = true
		p.exportNow(ctx, m)
	}
}

// busy says why the proxy cannot cross now.
func (p *Proxy) busy() error {
	if p.state == proxyIsStopping {
		return fmt.Errorf("proxy '%s' is stopping", p.cfg.Name)
	}
	if len(p.queued) > 0 || len(p.waiting) > 0 {
		return fmt.Errorf("proxy '%s' is busy (starts queued): try again", p.cfg.Name)
	}
	if w := p.pr.closedPipe(); w != "" {
		return fmt.Errorf("proxy '%s' is ending (it closed its %s pipe): try again", p.cfg.Name, w)
	}
	for name := range p.up {
		if p.names.of(name).pid == 0 {
			return fmt.Errorf("proxy '%s' is starting '%s': try again", p.cfg.Name, name)
		}
	}
	return nil
}

// exportNow answers the proxy's state.
func (p *Proxy) exportNow(ctx actor.Context, m exportProxy) {
	if p.upg.frozen && p.state != proxyIsDown {
		if w := p.pr.closedPipe(); w != "" { // closed between busy and the freeze
			ctx.Send(ctx.Parent(), proxyExported{req: m.req, err: fmt.Errorf("proxy '%s' is ending (it closed its %s pipe): try again", p.cfg.Name, w)})
			return
		}
	}
	px := upgrade.Proxy{Config: p.cfg, Running: p.state != proxyIsDown, Run: p.run, CmdFd: -1, StatusFd: -1, LogFd: -1}
	if p.proc != nil {
		px.Pid = p.proc.Pid
	}
	for name, n := range p.names.byName {
		switch {
		case n.asked:
			px.Services = append(px.Services, upgrade.ProxiedService{Name: name, Attempt: n.ref.attempt, Up: p.up[name], Pid: n.pid,
				Decl: n.decl, LastPid: n.lastPid, Starts: exportStarts(p.starts[name])})
		case n.lastPid != 0:
			// asked nothing any more, its last lines may still come
			px.Services = append(px.Services, upgrade.ProxiedService{Name: name, Decl: n.decl, LastPid: n.lastPid, Gone: true,
				Starts: []upgrade.ProxiedStart{}})
		}
	}
	if p.upg.frozen && px.Running {
		px.CmdFd, px.StatusFd, px.LogFd = upgrade.FdOf(p.pr.cmdW), upgrade.FdOf(p.pr.statusR), upgrade.FdOf(p.pr.logR)
		px.StatusCarry, px.LogCarry = p.upg.carry["status"], p.upg.carry["log"]
		px.PendingCmds = p.pendingCommands()
	}
	for _, msg := range p.upg.stash {
		switch s := msg.(type) {
		case proxyExited:
			if s.run == p.run {
				px.Exits = append(px.Exits, upgrade.Exit{Pid: s.pid, Status: s.ws})
			}
		case proxyStartRequest:
			// its env: the env_file's variables are the start's alone
			px.Requests = append(px.Requests, upgrade.ProxyRequest{Kind: "start", Name: s.cfg.Name, Attempt: s.attempt, Env: s.cfg.Env})
		case proxyStopRequest:
			px.Requests = append(px.Requests, upgrade.ProxyRequest{Kind: "stop", Name: s.name})
		case proxiedServiceDown:
			r := upgrade.ProxyRequest{Kind: "down", Name: s.name}
			if !s.retry.IsZero() {
				r.Retry = s.retry.UnixNano()
			}
			px.Requests = append(px.Requests, r)
		}
	}
	ctx.Send(ctx.Parent(), proxyExported{req: m.req, px: px})
}

// pending takes the lines queued for the writer (stopped: nobody else
// reads q) and puts them back.
func pending(q chan *cmdLine) []*cmdLine {
	var out []*cmdLine
	for {
		select {
		case l := <-q:
			out = append(out, l)
		default:
			for _, l := range out {
				q <- l
			}
			return out
		}
	}
}

// thaw restarts what freeze stopped and replays the stash.
func (p *Proxy) thaw(ctx actor.Context) {
	if p.upg.exportWait != nil {
		// still stopping: the goroutines answer later; the export is
		// dropped, and they start again once all have (upgradeMessage)
		p.upg.exportWait = nil
		p.upg.restart = true
	}
	wasFrozen := p.upg.frozen
	p.upg.frozen = false
	if wasFrozen && p.state != proxyIsDown && p.pr != nil && p.upg.carry != nil {
		p.restartPipes(ctx, p.upg.carry["status"], p.upg.carry["log"])
	}
	if !p.upg.restart {
		p.upg.carry = nil
	}
	stash := p.upg.stash
	p.upg.stash = nil
	for _, m := range stash {
		p.handle(ctx, m)
	}
}

// restartPipes starts the goroutines of the current run again.
func (p *Proxy) restartPipes(ctx actor.Context, statusCarry, logCarry []byte) {
	p.pr.statusR.SetReadDeadline(time.Time{})
	p.pr.logR.SetReadDeadline(time.Time{})
	launcher, proxyPid := p.opts.Launcher, 0
	if p.proc != nil {
		proxyPid = p.proc.Pid
	}
	p.pr.start(ctx.ActorSystem().Root, p.self, p.run, func(pid int) (*osproc.Process, error) {
		return launcher.Handle(pid, proxyPid)
	}, statusCarry, logCarry)
}

// restore takes the proxy over from the former cfkd.
func (p *Proxy) restore(ctx actor.Context, m restoreProxy) {
	px := m.px
	p.cfg, p.run = px.Config, px.Run
	if !px.Running {
		// down at the freeze: a start that came once frozen launches it
		// (the controller sends them behind this: replayRequests)
		return
	}
	p.state, p.proc = proxyIsUp, m.proc
	// the starts of the services up were all answered (an export waits
	// for that): loaded; one given up may still await its pid
	now := time.Now()
	p.prog = proxyProgress{began: now, last: now}
	// which sockets its process got is not carried: held to be all those
	// bound now (an unbind of one is refused while it runs)
	p.runFiles = p.files
	for _, s := range px.Services {
		pid := m.svcs[s.Name]
		if s.Gone || pid == nil && len(s.Starts) == 0 {
			// asked nothing any more, or declared no more with no start
			// of it carried: only what its last lines need, if any
			if s.LastPid != 0 {
				n := p.names.entry(s.Name)
				p.names.setDecl(n, m.decls[s.Name])
				p.names.setLastPid(n, s.LastPid)
				p.names.tidy(s.Name)
			}
			continue
		}
		ref := proxiedRef{pid: pid, attempt: s.Attempt}
		n := p.names.entry(s.Name)
		n.asked, n.ref = true, ref
		p.names.setDecl(n, m.decls[s.Name])
		if s.Up && pid != nil {
			p.up[s.Name] = true
		}
		n.pid = s.Pid
		p.names.setLastPid(n, s.LastPid)
		if len(s.Starts) > 0 {
			p.starts[s.Name] = restoreStarts(pid, s.Starts, now)
		} else if s.Starts == nil && s.Pid != 0 {
			// a former cfkd's state before version 7: the start of the
			// pid reported only (exported once it was: busy), with no
			// clock to tell what its process left by
			p.starts[s.Name] = []*proxiedStart{{ref: ref, pid: s.Pid, left: !s.Up}}
		}
		p.forgetIfGone(s.Name) // one down with no process (a former cfkd's state named those)
	}
	q := make(chan *cmdLine, cmdQueueSize)
	p.cmds = q
	p.pr = &pipeRun{cmdW: m.files[0], statusR: m.files[1], logR: m.files[2], q: q}
	p.requeue(ctx, px.PendingCmds)
	p.restartPipes(ctx, px.StatusCarry, px.LogCarry)
	p.runCfg = p.cfg // not carried: taken as its declaration's
	run := p.runCfg
	ctx.Send(ctx.Parent(), proxyUpdated{name: p.cfg.Name, running: true, pid: px.Pid, run: &run, sockets: socketNames(p.runFiles)})
	// what came after the former cfkd froze, in order: the exits, then
	// the services' requests, which the controller sends behind this
	// (Controller.replayRequests)
	for _, e := range px.Exits {
		p.handle(ctx, proxyExited{run: p.run, pid: e.Pid, ws: e.Status})
	}
}

// exportStarts is the outstanding starts of a service, as the state
// carries them (never nil: a state of version 7 names them all).
func exportStarts(list []*proxiedStart) []upgrade.ProxiedStart {
	out := make([]upgrade.ProxiedStart, 0, len(list))
	for _, st := range list {
		out = append(out, upgrade.ProxiedStart{Attempt: st.ref.attempt, Pid: st.pid, Left: st.left, StopAsked: st.stopAsked,
			Sent: st.sent, Next: st.next, Unheld: st.unheld})
	}
	return out
}

// restoreStarts makes the outstanding starts of the service of actor svc
// again (REFERENCE §13.2): a given-up one keeps the times that tell what
// its process left (endGivenUp), a stopped one that its exit is a stop's
// (ProxiedStopEnder). Their seq is 0: the progress of the run begins
// again at the adoption, and each of them comes before any start sent
// from now on. A service declared no more (svc nil: destroyed, its
// start given up before its stop's end) gave them all up: nobody
// supervises what the proxy reports of them, and what their processes
// left is still ended.
func restoreStarts(svc *actor.PID, list []upgrade.ProxiedStart, now time.Time) []*proxiedStart {
	out := make([]*proxiedStart, 0, len(list))
	for _, s := range list {
		out = append(out, &proxiedStart{ref: proxiedRef{pid: svc, attempt: s.Attempt}, pid: s.Pid, left: s.Left || svc == nil, stopAsked: s.StopAsked,
			asked: now, sent: s.Sent, next: s.Next, unheld: s.Unheld})
	}
	return out
}

// proxyOutputLogger logs what proxy name's process writes on its stream
// ("out" or "err"), under the proxy's category: Proxy.outputLogger, and
// the output of a proxy adopted by the controller.
func proxyOutputLogger(log *logrus.Logger, name, stream string) func(int, []byte) {
	lvl := logrus.InfoLevel
	if stream == "err" {
		lvl = logrus.ErrorLevel
	}
	return func(pid int, line []byte) {
		log.WithFields(logrus.Fields{"category": "proxy." + name + "." + stream, "proxy": name, "pid": pid}).Log(lvl, string(line))
	}
}

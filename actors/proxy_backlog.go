package actors

import (
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/proxywire"
)

// This file is the proxy actor's backlog of command lines (REFERENCE
// §4.2): the lines cfkd does not write to the proxy yet wait here, and
// are moved to the writer's queue (cmdQueueSize) as they may go. A start
// line waits while proxyStartWindow start lines written to the run are
// not answered yet: a proxy handles its starts in order, one fork at a
// time, and a start line it holds cannot be taken back by a stop, while
// one held here can (takeBack): a `stop` of hundreds of services whose
// starts are under way then forks none of those the proxy has not
// reached. A stop line goes ahead of the lines of other services held
// here (cfkd counts its stopwait from writing it, REFERENCE §4.5); the
// lines of one service keep their order, and the start lines theirs, as
// a proxy answers starts in the order they came. A proxy that is slow to
// read (one that preloads an application before it reads its first
// command, while hundreds of services under it are started) is not a
// stuck one: only a proxy whose queue stays full for
// Options.ProxyCommandStall, or that lets maxBacklog lines pile up, is
// shut down.

// maxBacklog bounds the command lines a proxy lets pile up past its queue.
const maxBacklog = 1 << 16

// proxyStartWindow bounds the start lines written to a run of a proxy and
// not answered yet (started, or stopped with no started): cfk-proxy forks
// them in a fraction of stopwait_secs, the Python proxy in about a second.
const proxyStartWindow = 32

// proxyBacklogTick moves the backlog of run to the writer's queue: sent by
// the writer when it takes a line from a queue the actor waits on
// (pipeRun.wantRoom), so that nothing polls; or, with stall, once
// Options.ProxyCommandStall has passed since the queue was found full.
type proxyBacklogTick struct {
	run   uint64
	stall bool
}

// send queues a command line for the writer, or holds it in the backlog:
// behind the lines held already, but a stop line of a service none of
// whose lines is held, which goes ahead of them.
func (p *Proxy) send(ctx actor.Context, line *cmdLine) {
	if (len(p.backlog) == 0 && p.windowOpen(line)) || (line.stop && p.heldNames[line.name] == 0) {
		if p.release(line) {
			return
		}
		p.queueFull(ctx)
	}
	p.backlog = append(p.backlog, line)
	p.held(line, 1)
	if len(p.backlog) >= maxBacklog {
		p.log.Errorf("proxy '%s' does not read its commands (%d pending): shutting it down", p.cfg.Name, cmdQueueSize+len(p.backlog))
		p.shutdown(ctx)
	}
}

// windowOpen: line is no start, or one more may be written
// (proxyStartWindow).
func (p *Proxy) windowOpen(line *cmdLine) bool {
	return line.seq == 0 || len(p.inflight) < proxyStartWindow
}

// held counts line in (n 1) or out of (n -1) the backlog.
func (p *Proxy) held(line *cmdLine, n int) {
	if p.heldNames == nil {
		p.heldNames = make(map[string]int)
	}
	if p.heldNames[line.name] += n; p.heldNames[line.name] == 0 {
		delete(p.heldNames, line.name)
	}
	if line.stop {
		p.heldStops += n
	}
}

// release puts line in the writer's queue: false when it is full. The
// writer is asked for a tick before the second try: a line it takes
// after a try that found the queue full is a tick, and none is missed.
func (p *Proxy) release(line *cmdLine) bool {
	for try := 0; try < 2; try++ {
		select {
		case p.cmds <- line:
			line.released = true
			if line.seq != 0 {
				p.inflight = append(p.inflight, line.seq)
			}
			return true
		default:
		}
		if p.pr != nil {
			p.pr.wantRoom.Store(true)
		}
	}
	return false
}

// startAnswered: the proxy answered start seq, and, as it answers them in
// order, every start written before it; the window lets more go.
func (p *Proxy) startAnswered(ctx actor.Context, seq uint64) {
	p.prog.answer(seq)
	n := 0
	for n < len(p.inflight) && p.inflight[n] <= seq {
		n++
	}
	if n > 0 {
		p.inflight = slices.Delete(p.inflight, 0, n)
		p.fill(ctx)
	}
}

// queueFull: the writer's queue took no line; the stall timer runs from
// now, unless it runs already.
func (p *Proxy) queueFull(ctx actor.Context) {
	if p.stallArmed {
		return
	}
	p.stallArmed = true
	p.backlogMoved = time.Now()
	p.armStall(ctx, p.opts.ProxyCommandStall)
}

// moveBacklog moves what the writer's queue takes of the backlog; a proxy
// whose queue stayed full for Options.ProxyCommandStall is shut down.
func (p *Proxy) moveBacklog(ctx actor.Context, m proxyBacklogTick) {
	if m.run != p.run || p.cmds == nil {
		return
	}
	if !m.stall || !p.stallArmed {
		p.fill(ctx)
		return
	}
	if len(p.cmds) < cap(p.cmds) {
		p.fill(ctx) // it read: the timer stops, or runs again
		return
	}
	if idle := time.Since(p.backlogMoved); idle < p.opts.ProxyCommandStall {
		p.armStall(ctx, p.opts.ProxyCommandStall-idle)
		return
	}
	p.log.Errorf("proxy '%s' does not read its commands (%d pending): shutting it down", p.cfg.Name, cmdQueueSize+len(p.backlog))
	p.shutdown(ctx)
}

// fill moves to the writer's queue, in order, the backlog's lines that
// may go: the starts while the window is open; a line of a service
// another of whose lines stays, never; a stop line past lines of other
// services that stay. It stops at a full queue.
func (p *Proxy) fill(ctx actor.Context) {
	var (
		stays   map[string]bool // services one of whose lines stays
		waiting bool            // a line other than a stop stays: only stops pass it
		full    bool
		n       int // lines kept
	)
	for i, l := range p.backlog {
		if full || (waiting && p.heldStops == 0) {
			n += copy(p.backlog[n:], p.backlog[i:])
			break
		}
		if !stays[l.name] && (l.stop || (!waiting && p.windowOpen(l))) {
			if p.release(l) {
				p.held(l, -1)
				p.backlogMoved = time.Now()
				continue
			}
			full = true
		}
		if stays == nil {
			stays = make(map[string]bool)
		}
		stays[l.name] = true
		waiting = waiting || !l.stop
		p.backlog[n] = l
		n++
	}
	clear(p.backlog[n:])
	p.backlog = p.backlog[:n]
	if len(p.backlog) == 0 {
		p.backlog = nil
	}
	switch {
	case full:
		p.queueFull(ctx)
	case p.stallArmed:
		p.stallArmed = false
		if p.backlogTimer != nil {
			p.backlogTimer.Stop()
		}
	}
}

func (p *Proxy) armStall(ctx actor.Context, after time.Duration) {
	if p.backlogTimer != nil {
		p.backlogTimer.Stop()
	}
	root, self, run := ctx.ActorSystem().Root, p.self, p.run
	p.backlogTimer = time.AfterFunc(after, func() { root.Send(self, proxyBacklogTick{run: run, stall: true}) })
}

// dropCommands forgets the writer's queue and the backlog: the run ends.
func (p *Proxy) dropCommands() {
	p.cmds, p.backlog = nil, nil
	p.inflight, p.heldNames, p.heldStops = nil, nil, 0
	p.stallArmed = false
	if p.backlogTimer != nil {
		p.backlogTimer.Stop()
	}
}

// pendingCommands are the lines not written yet: the writer's queue, then
// the backlog (an upgrade's export).
func (p *Proxy) pendingCommands() [][]byte {
	var out [][]byte
	for _, l := range append(pending(p.pr.q), p.backlog...) {
		if l.state.Load() == lineQueued { // not a start taken back
			out = append(out, l.b)
		}
	}
	return out
}

// unqueue takes back line, not written yet: false when the writer has
// taken it.
func (p *Proxy) unqueue(ctx actor.Context, line *cmdLine) bool {
	if !line.drop() {
		return false
	}
	if !line.released {
		if i := slices.Index(p.backlog, line); i >= 0 {
			p.backlog = slices.Delete(p.backlog, i, i+1)
			p.held(line, -1)
			p.fill(ctx) // it held the lines of others behind it
		}
		return true
	}
	// in the writer's queue, which skips it: never answered
	if i := slices.Index(p.inflight, line.seq); line.seq != 0 && i >= 0 {
		p.inflight = slices.Delete(p.inflight, i, i+1)
		p.fill(ctx)
	}
	return true
}

// requeue queues lines again, in order (an upgrade's restore): none is
// a start of the window's, which begins again with this run.
func (p *Proxy) requeue(ctx actor.Context, lines [][]byte) {
	for _, l := range lines {
		cl := &cmdLine{b: l}
		if c, err := proxywire.ParseCommand(l); err == nil {
			cl.name, cl.stop = c.Name, c.Command == proxywire.CommandStop
		}
		p.send(ctx, cl)
	}
}

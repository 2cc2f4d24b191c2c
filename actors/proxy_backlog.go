package actors

import (
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// This file is the proxy actor's backlog of command lines (REFERENCE
// §4.2): the lines the writer's queue (cmdQueueSize) cannot take yet wait
// here, in order, and are moved to the queue as the proxy reads. A proxy
// that is slow to read (one that preloads an application before it reads
// its first command, while hundreds of services under it are started) is
// not a stuck one: only a proxy that takes none of them for
// Options.ProxyCommandStall, or lets maxBacklog of them pile up, is shut
// down.

// maxBacklog bounds the command lines a proxy lets pile up past its queue.
const maxBacklog = 1 << 16

// proxyBacklogTick moves the backlog of run to the writer's queue: sent by
// the writer when it takes a line from a queue the actor waits on
// (pipeRun.wantRoom), so that nothing polls; or, with stall, once
// Options.ProxyCommandStall has passed since the backlog began or last
// moved.
type proxyBacklogTick struct {
	run   uint64
	stall bool
}

// send queues a command line for the writer, behind the backlog if there
// is one.
func (p *Proxy) send(ctx actor.Context, line *cmdLine) {
	if len(p.backlog) == 0 {
		select {
		case p.cmds <- line:
			return
		default:
		}
		p.backlogMoved = time.Now()
		p.armStall(ctx, p.opts.ProxyCommandStall)
	}
	p.backlog = append(p.backlog, line)
	if len(p.backlog) >= maxBacklog {
		p.log.Errorf("proxy '%s' does not read its commands (%d pending): shutting it down", p.cfg.Name, cmdQueueSize+len(p.backlog))
		p.shutdown(ctx)
		return
	}
	if len(p.backlog) == 1 {
		p.fill()
	}
}

// moveBacklog moves what the writer's queue takes of the backlog; a proxy
// that took none for Options.ProxyCommandStall is shut down.
func (p *Proxy) moveBacklog(ctx actor.Context, m proxyBacklogTick) {
	if m.run != p.run || p.cmds == nil || len(p.backlog) == 0 {
		return
	}
	if !m.stall {
		p.fill()
		return
	}
	if idle := time.Since(p.backlogMoved); idle < p.opts.ProxyCommandStall {
		p.armStall(ctx, p.opts.ProxyCommandStall-idle)
		return
	}
	p.log.Errorf("proxy '%s' does not read its commands (%d pending): shutting it down", p.cfg.Name, cmdQueueSize+len(p.backlog))
	p.shutdown(ctx)
}

// fill moves the backlog to the writer's queue while it has room. The
// writer is asked for a tick first, then the queue is tried: a line it
// takes after a try that found the queue full is a tick, and none is
// missed. An empty backlog stops the stall timer.
func (p *Proxy) fill() {
	for len(p.backlog) > 0 {
		p.pr.wantRoom.Store(true)
		n := 0
	loop:
		for _, line := range p.backlog {
			select {
			case p.cmds <- line:
				n++
			default:
				break loop
			}
		}
		if n == 0 {
			return
		}
		clear(p.backlog[:n])
		p.backlog = p.backlog[n:]
		p.backlogMoved = time.Now()
	}
	p.backlog = nil
	if p.backlogTimer != nil {
		p.backlogTimer.Stop()
	}
}

func (p *Proxy) armStall(ctx actor.Context, after time.Duration) {
	if p.backlogTimer != nil {
		p.backlogTimer.Stop()
	}
	root, self, run := ctx.ActorSystem().Root, p.self, p.run
	p.backlogTimer = time.AfterFunc(after, func() { root.Send(self, proxyBacklogTick{run: run, stall: true}) })
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
func (p *Proxy) unqueue(line *cmdLine) bool {
	if !line.drop() {
		return false
	}
	if i := slices.Index(p.backlog, line); i >= 0 {
		p.backlog = slices.Delete(p.backlog, i, i+1)
	} // in the writer's queue, it skips it
	return true
}

// requeue puts lines back in the writer's queue q, the backlog taking
// what it cannot (an upgrade's restore).
func (p *Proxy) requeue(ctx actor.Context, q chan *cmdLine, lines [][]byte) {
	for i, l := range lines {
		select {
		case q <- &cmdLine{b: l}:
			continue
		default:
		}
		for _, l := range lines[i:] {
			p.backlog = append(p.backlog, &cmdLine{b: l})
		}
		p.backlogMoved = time.Now()
		p.armStall(ctx, p.opts.ProxyCommandStall)
		p.fill()
		return
	}
}

package osproc

import (
	"golang.org/x/sys/unix"
)

// An upgrade in place (upgrade.go, REFERENCE §13) stops the output poller
// between two reads and takes its pipes as they are: each one's fd, the
// partial line it holds and the bytes a hold kept unfed. The poller
// goroutine parks in resumeHeld, where every platform's loop comes when
// its wake-up is written, so that nothing reads a pipe until thaw.

// pipeMeta says whose pipe it is: the pid and stream it was opened for,
// and the Spec.Tag and Spec.Owner of the launch.
type pipeMeta struct {
	pid    int
	stream string
	tag    string
	owner  uint64
}

// freezeReq is a freeze under way: parked is closed by the poller
// goroutine once it no longer reads; thaw by Thaw, which first resets
// p.frz, so that p.frz is set from freeze to thaw, a freeze right after
// a thaw asks a park of its own, and a second thaw finds nothing to do.
type freezeReq struct {
	parked, thaw chan struct{}
}

// addWith is add with the pipe's owner, and carry: bytes read from the pipe
// before (by a former cfkd) but not cut into lines yet, fed before anything
// read from fd. On error fd is closed already.
func (p *poller) addWith(fd int, out output, meta pipeMeta, carry []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		unix.Close(fd)
		return errStopped
	}
	max := out.max
	if max <= 0 {
		max = MaxLine
	}
	op := &outPipe{fd: fd, lines: lineSplitter{max: max, emit: out.emit, emitRun: out.run}, meta: meta}
	p.pipes[fd] = op
	if len(carry) > 0 {
		// as a pipe held and resumed: the poller goroutine feeds the
		// carry, then watches the fd (resumeHeld)
		op.keepPending(carry)
		op.held, op.holdGen, op.resumedGen = true, 1, 1
		p.queueResumed(op)
		return nil
	}
	if err := p.watch(op); err != nil {
		delete(p.pipes, fd)
		unix.Close(fd)
		return err
	}
	return nil
}

// freeze parks the poller goroutine and returns every pipe it has, fds
// still open and registered: thaw resumes reading them, or the process
// execs a cfkd that adopts them. It returns nil if frozen already (not
// thawed since) or stopping. Right after a thaw, the poller goroutine may
// still be leaving its park: the wake below brings it back to
// parkIfFrozen, where it parks for this freeze.
func (p *poller) freeze() []FrozenPipe {
	p.mu.Lock()
	if p.frz != nil || p.stopping {
		p.mu.Unlock()
		return nil
	}
	fr := &freezeReq{parked: make(chan struct{}), thaw: make(chan struct{})}
	p.frz = fr
	// a wake always: one on its way for p.resumed may already have been
	// taken by a resumeHeld past its parkIfFrozen, which then takes the
	// list and goes back to waiting; an extra one finds an empty list
	p.wakeForResume()
	p.mu.Unlock()
	<-fr.parked
	p.coolHot() // the hot pipes back: the poller goroutine, parked, starts none
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]FrozenPipe, 0, len(p.pipes))
	for fd, op := range p.pipes {
		carry := append(append([]byte(nil), op.lines.partial...), op.pending...)
		out = append(out, FrozenPipe{Pid: op.meta.pid, Stream: op.meta.stream, Tag: op.meta.tag, Owner: op.meta.owner, Fd: fd, Carry: carry})
	}
	return out
}

// thaw lets a frozen poller read again, once freeze returned; with
// nothing frozen (never, or thawed already) it does nothing. It resets
// p.frz itself, under p.mu, before it lets the poller goroutine go: the
// freeze is over for the next freeze and thaw at once, whenever that
// goroutine leaves its park.
func (p *poller) thaw() {
	p.mu.Lock()
	fr := p.frz
	p.frz = nil
	p.mu.Unlock()
	if fr != nil {
		close(fr.thaw)
	}
}

// parkIfFrozen is called by the poller goroutine when woken: with a
// freeze asked, it parks until thaw (which has reset p.frz already: it
// parks once per freeze).
func (p *poller) parkIfFrozen() {
	p.mu.Lock()
	fr := p.frz
	p.mu.Unlock()
	if fr == nil {
		return
	}
	close(fr.parked)
	<-fr.thaw
}

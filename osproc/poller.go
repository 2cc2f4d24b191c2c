package osproc

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// poller is the one output poller of a Launcher: one goroutine that owns the
// read ends of every output pipe of the children, as raw non-blocking fds
// (no os.File, no Go poller), waits until some are readable, and cuts what
// it reads into lines with one lineSplitter per pipe.
//
// How it waits is the platform's (REFERENCE §11): on Linux an epoll
// instance (poller_epoll.go); on macOS, FreeBSD and a Linux build with
// -tags cfkportable, poll(2) (poller_poll.go). Both are level-triggered and
// share everything else here: the reads, the lines, the holds.
//
// Each round it waits (no timeout: it sleeps in the kernel until a pipe or
// its wake-up is ready; but poll(2) refused: poller_poll.go) and reads once, into one shared buffer, from each
// ready pipe. What a read leaves in a pipe is read next round, after every
// other ready pipe had its turn, so a child flooding its output cannot
// starve the others. At EOF (the writers are gone; a hang-up reads as EOF
// once the pipe is empty) or on a read error, the partial line is emitted
// and the pipe removed and closed.
//
// Memory: per pipe only its small state and its partial line (nil between
// lines); the read buffer is shared by all of them.
//
// Backpressure (REFERENCE §6.2): the poller never waits for the callbacks'
// destinations. A callback that finds its destination full calls
// HoldOutput: the poller then stops feeding that pipe after the line being
// emitted, keeps the rest of the read (pending, at most one read) and stops
// watching the pipe (unwatch: out of epoll, or out of the poll set; not a
// mask of 0, which would still report a hang-up). Nothing reads it any
// more, so once the pipe is full the child's writes block, and only this
// child's. When the destination has room, it calls the resume function
// HoldOutput returned (from any goroutine): that queues the pipe on
// resumed and wakes the poller; the poller then feeds the pending bytes
// (which may hold the pipe again) and watches the pipe again. A resume is
// matched to its hold by a number (holdGen), so that a resume that comes
// before the poller stopped watching the pipe, or twice, or for a pipe
// closed since, is harmless. No timer, no polling: a held pipe costs
// nothing until its resume.
//
// Time: the poller reads the clock once per read(2) and keeps it in
// readNanos while it emits that read's lines (LineTime).
//
// fd numbers: only the goroutine that reads a registered pipe (the
// poller goroutine, or the pipe's hot reader: hot_linux.go) closes it,
// and it removes it from the map and unwatches it, under mu, before
// closing it.
// So until the close no new pipe can have its number, and after it the old
// pipe is known to no one: an event, a registration or a partial line of a
// closed pipe can never be taken for one of a new pipe that got its number
// (one wait reports an fd at most once, and a pipe is closed while its own
// event is handled, so the rest of the batch cannot hold a stale event for
// its number). (For epoll the unwatch also matters because epoll tracks
// the open file, not the fd: a child forked meanwhile holds a copy of the
// read end until its exec, and a closed but not deleted fd would stay in
// epoll.)
type poller struct {
	pollSys // how it waits: the platform's (poller_epoll.go, poller_poll.go)

	log logrus.FieldLogger
	buf []byte // the read buffer of every pipe (readSize)
	big []byte // that of the grown pipes (grownRead), made for the first
	// grown counts the pipes grown (growPipe) and open: at most
	// maxGrown (a field for the tests, set before any pipe).
	grown    atomic.Int32
	maxGrown int32
	done     chan struct{}  // closed when run returns
	hotWG    sync.WaitGroup // the hot readers running (hot_linux.go)

	// feeding is the pipe whose lines are being emitted, nil between
	// reads: only the poller goroutine uses it (HoldOutput checks that it
	// runs there).
	feeding *outPipe

	mu       sync.Mutex
	pipes    map[int]*outPipe // the registered pipes, by fd (held ones too)
	stopping bool             // no more pipes are accepted
	resumed  []*outPipe       // pipes whose resume came, for the poller goroutine
	// ended is, per tag and stream (endedKey), the held pipe of an ended
	// run kept until its resume (heldEnded): one, whatever the number of
	// runs that ended meanwhile
	ended map[string]*outPipe
	frz   *freezeReq // a freeze asked, until thawed (poller_freeze.go)
}

// outPipe is the read end of one output pipe and its partial line. Its
// splitter, pending and pendingAt are only used by the goroutine that
// reads it: the poller goroutine, or its hot reader while hot.
type outPipe struct {
	fd    int
	lines lineSplitter
	// pending is what was read but not fed when the pipe was held (nil
	// otherwise), read at pendingAt (Unix ns); it is in pbuf, a buffer of
	// pendingBufs.
	pending   []byte
	pendingAt int64
	pbuf      *[]byte
	// growAsked is set at the first read that filled the read buffer
	// while fewer than maxGrown pipes were grown: the pipe was asked to
	// grow to grownPipe (growPipe), once; grown if it did: it is then
	// read grownRead at a time.
	growAsked, grown bool

	// guarded by poller.mu
	held       bool   // not watched until resumed
	ended      bool   // held, its writers gone: out of the poll set, in ended
	hot        bool   // read by a hot reader, not watched (hot_linux.go)
	holdGen    uint64 // holds asked so far (HoldOutput)
	resumedGen uint64 // the latest hold whose resume came

	meta pipeMeta // whose pipe it is, for Freeze (poller_freeze.go)
}

// pollers maps the identity of each poller goroutine (pollerKey: a thread
// id, or a goroutine id) to its poller, for HoldOutput.
var pollers sync.Map // pollerKey → *poller

// readNanos is the time (Unix ns) of the read whose lines a poller is
// emitting, 0 while none is.
var readNanos atomic.Int64

// LineTime is the time to record for a line an output callback
// (Spec.Stdout, Spec.Stderr) was given: the time of the read(2) that got
// it, as the poller reads the clock once per read, not per line. Elsewhere
// (when no poller is emitting) it is time.Now(). A caller on another
// goroutine while a poller emits gets that read's time: earlier than its
// call by at most the time the poller takes to emit one read's lines.
func LineTime() time.Time {
	if hotReaders && hotRunning.Load() > 0 {
		if h := callerHot(); h != nil && h.feeding {
			return time.Unix(0, h.at) // a hot reader's own read
		}
	}
	if ns := readNanos.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Now()
}

// HoldOutput is the backpressure of an output callback (Spec.Stdout,
// Spec.Stderr) whose destination cannot take more for now: called during
// the callback, it makes the poller stop reading the pipe the line came
// from, after that line (in the batch form, Spec.StdoutLines, after the
// lines the callback took of its run: the others are kept), so that the
// child's writes block once the pipe is full. The pipe is read again once
// resume is called, from any goroutine, once at most (a second call, or
// one after the pipe is gone, does nothing). ok is false, and nothing is held, when the caller is not an
// output callback run by a poller while it feeds a read (another
// goroutine; a last line emitted at EOF or at Close): the caller must
// then do without (drop, or keep the line).
func HoldOutput() (resume func(), ok bool) {
	p := callerPoller()
	var op *outPipe
	switch {
	case p != nil:
		op = p.feeding // we run on the poller's goroutine: it is ours to read
	case hotReaders:
		if h := callerHot(); h != nil && h.feeding {
			p, op = h.p, h.op // a hot reader's: it feeds only its pipe
		}
	}
	if op == nil {
		return nil, false
	}
	p.mu.Lock()
	op.holdGen++
	gen := op.holdGen
	p.mu.Unlock()
	op.lines.held = true
	return func() { p.resume(op, gen) }, true
}

// startPoller starts the poller goroutine on sys (the platform's waiting
// means, made by newPoller) and returns once it is registered in pollers,
// so that HoldOutput finds it.
func startPoller(sys pollSys, log logrus.FieldLogger) *poller {
	p := &poller{
		pollSys:  sys,
		log:      log,
		buf:      make([]byte, readSize),
		maxGrown: maxGrown,
		done:     make(chan struct{}),
		pipes:    make(map[int]*outPipe),
		ended:    make(map[string]*outPipe),
	}
	started := make(chan struct{})
	go p.run(started)
	<-started
	return p
}

// resume ends hold number gen of op: the poller goroutine is woken to read
// op again, unless a later hold is pending.
func (p *poller) resume(op *outPipe, gen uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen <= op.resumedGen || p.stopping {
		return
	}
	op.resumedGen = gen
	p.queueResumed(op)
}

var errStopped = errors.New("output poller stopped")

// add hands fd, the non-blocking read end of a pipe, to the poller: from now
// on it belongs to the poller, which calls emit, from its goroutine, for
// every line read (see lineSplitter), and closes fd at EOF. On error fd is
// closed already (the writers then get EPIPE).
func (p *poller) add(fd int, emit func(line []byte)) error {
	return p.addWith(fd, output{emit: emit}, pipeMeta{}, nil)
}

// coalesceBelow and coalesceDelay: after a round that read less than
// coalesceBelow bytes, the poller waits coalesceDelay before the next.
// A service writing a line at a time then finds its pipe not empty, and
// the kernel wakes a reader only for a write to an empty pipe: it writes
// on without waking cfkd for each line, and cfkd reads many lines a
// time. It costs a line at most coalesceDelay of latency, and nothing when
// nothing is written (the wait is after a read, never a loop).
const (
	coalesceBelow = 16 << 10
	coalesceDelay = 200 * time.Microsecond
)

// bufOf is the poller goroutine's read buffer for op: p.big for a grown
// pipe, p.buf for the others.
func (p *poller) bufOf(op *outPipe) []byte {
	if op.grown {
		return p.big
	}
	return p.buf
}

// readOnce reads what one read gives from op, and removes op at EOF or on
// error. It returns the bytes read.
func (p *poller) readOnce(op *outPipe) int {
	buf := p.bufOf(op)
	n, err := unix.Read(op.fd, buf)
	if n == len(p.buf) && !op.growAsked && p.grown.Load() < p.maxGrown {
		// a full read: the child writes faster than one read a round
		// takes; a larger pipe lets it write on while we format, and
		// larger reads take its lines with fewer wake-ups
		op.growAsked = true
		if growPipe(op.fd, grownPipe) == nil {
			op.grown = true
			p.grown.Add(1)
			if p.big == nil {
				p.big = make([]byte, grownRead)
			}
		}
	}
	switch {
	case n > 0:
		held := p.feed(op, buf[:n], time.Now().UnixNano())
		if hotReaders && !held && op.grown && n >= readSize {
			// a grown pipe (grown by this read, or before) that gave
			// 64 KiB at once: a flood, for a reader of its own (which
			// gives it back once its reads fall under 16 KiB)
			p.makeHot(op)
		}
		return n
	case err == unix.EAGAIN || err == unix.EINTR:
		// nothing after all: level-triggered, the wait reports it again
	default: // EOF (n == 0) or an error
		p.closeAtEnd(op)
	}
	return 0
}

// closeAtEnd ends op at EOF or on a read error: out of the map (and of
// epoll), its partial line emitted, closed. Only the goroutine that
// reads op calls it.
func (p *poller) closeAtEnd(op *outPipe) {
	p.mu.Lock()
	p.remove(op)
	p.mu.Unlock()
	op.lines.flush()
	p.closePipe(op)
}

// queueResumed queues op for the poller goroutine to read again
// (resumeHeld), waking it unless a wake is on its way already. p.mu is
// held, and p is not stopping: stop closes the wake-up only after
// closeAll set stopping, under mu.
func (p *poller) queueResumed(op *outPipe) {
	if len(p.resumed) == 0 {
		p.wakeForResume()
	}
	p.resumed = append(p.resumed, op)
}

// closePipe closes op's fd, removed already, and frees its place among
// the grown pipes. Only the goroutine that reads op calls it (the poller
// goroutine, or op's hot reader).
func (p *poller) closePipe(op *outPipe) {
	if op.grown {
		op.grown = false
		p.grown.Add(-1)
	}
	unix.Close(op.fd)
}

// feed emits the lines of chunk, read from op at time at, until a callback
// holds op (HoldOutput). It reports whether op is held: then the rest of
// chunk is in op.pending and op is no longer watched.
func (p *poller) feed(op *outPipe, chunk []byte, at int64) (held bool) {
	p.feeding = op
	readNanos.Store(at)
	defer func() {
		readNanos.Store(0)
		p.feeding = nil
	}()
	return p.feedLines(op, chunk, at)
}

// feedLines is feed without the poller goroutine's marks: a hot reader
// feeds its pipe with it.
func (p *poller) feedLines(op *outPipe, chunk []byte, at int64) (held bool) {
	for {
		rest := op.lines.feed(chunk)
		if !op.lines.held {
			op.releasePending()
			return false
		}
		op.lines.held = false
		p.mu.Lock()
		if op.resumedGen >= op.holdGen {
			// resumed already (the destination drained meanwhile)
			p.mu.Unlock()
			if len(rest) == 0 {
				op.releasePending()
				return false
			}
			chunk = rest
			continue
		}
		if !op.held {
			if !op.hot {
				p.holdWatch(op)
			}
			op.held = true
		}
		p.mu.Unlock()
		if heldHook != nil {
			heldHook(op)
		}
		op.keepPending(rest)
		op.pendingAt = at
		return true
	}
}

// heldHook, nil but in tests, runs when feed holds op, before it keeps
// the rest: a resume made there comes while op's reader still holds it.
var heldHook func(op *outPipe)

// pendingBufs are the buffers of the pending bytes of held pipes: a pipe
// held and resumed over and over (a destination just slower than its
// service) copies its rest without allocating.
var pendingBufs = sync.Pool{New: func() any { b := make([]byte, 0, readSize); return &b }}

// keepPending keeps rest (nothing when empty) as op.pending. rest may be
// a part of op.pending itself (a pending chunk fed again): the copy moves
// it to the front.
func (op *outPipe) keepPending(rest []byte) {
	if len(rest) == 0 {
		op.releasePending()
		return
	}
	if op.pbuf == nil {
		op.pbuf = pendingBufs.Get().(*[]byte)
	}
	*op.pbuf = append((*op.pbuf)[:0], rest...)
	op.pending = *op.pbuf
}

// releasePending drops op.pending (fed) and returns its buffer.
func (op *outPipe) releasePending() {
	op.pending = nil
	if op.pbuf != nil {
		if cap(*op.pbuf) <= grownRead {
			*op.pbuf = (*op.pbuf)[:0]
			pendingBufs.Put(op.pbuf)
		}
		op.pbuf = nil
	}
}

// resumeHeld reads again the pipes whose resume came: each one's pending
// bytes are fed, then it is watched again (unless fed into a hold again).
// The caller reset the wake-up first.
func (p *poller) resumeHeld() {
	p.parkIfFrozen()
	p.mu.Lock()
	list := p.resumed
	p.resumed = nil
	p.mu.Unlock()
	for _, op := range list {
		p.mu.Lock()
		ok := p.pipes[op.fd] == op && op.held && !op.hot && op.resumedGen >= op.holdGen
		p.mu.Unlock()
		if !ok {
			continue // resumed before it was held, or gone
		}
		if op.pending != nil && p.feed(op, op.pending, op.pendingAt) {
			continue // held again
		}
		p.mu.Lock()
		op.held = false
		err := p.rewatch(op)
		p.mu.Unlock()
		if err != nil {
			p.dropUnread(op, err)
		}
	}
}

// rewatch puts op back among the watched pipes, p.mu held. If it cannot,
// op leaves the map (never read again would block the child for ever),
// and the caller, p.mu released, closes it with dropUnread (its writes
// then fail with EPIPE).
func (p *poller) rewatch(op *outPipe) error {
	p.forgetEnded(op)
	var err error
	if rewatchFault != nil {
		err = rewatchFault()
	}
	if err == nil {
		err = p.watch(op)
	}
	if err != nil {
		delete(p.pipes, op.fd)
	}
	return err
}

// rewatchFault, when set (tests), fails rewatch as epoll_ctl may (ENOMEM,
// ENOSPC: max_user_watches).
var rewatchFault func() error

// dropDrainMax bounds what dropUnread reads of a pipe that its writer
// keeps filling: as much as a destination queues (REFERENCE §6.2).
const dropDrainMax = 4 << 20

// dropUnread closes op, which rewatch could not watch again. What its
// pipe holds was lost unread and counted nowhere: it is read now (up to
// dropDrainMax) and emitted with no hold possible, as drainEnded does
// (HoldOutput refuses outside a feed: the destination keeps the lines
// within its bound and drops, counted, the rest), then its partial line;
// the process's later writes fail (EPIPE). Logged once, by op. Only the
// goroutine that reads op calls it, outside a feed.
func (p *poller) dropUnread(op *outPipe, err error) {
	buf := make([]byte, readSize) // of its own: a hot reader calls it too (rare: epoll_ctl failed)
	read, full := readLeft(op, buf)
	op.lines.flush()
	p.closePipe(op)
	what := fmt.Sprintf("output poller: the output of the process is no longer read: the %d bytes left in its pipe were emitted, "+
		"its next writes fail (EPIPE)", read)
	if full {
		what = fmt.Sprintf("output poller: the output of the process is no longer read: %d bytes of its pipe were emitted, "+
			"the rest was lost as it wrote on, its next writes fail (EPIPE)", read)
	}
	p.log.WithError(err).WithFields(logrus.Fields{"fd": op.fd, "pid": op.meta.pid, "tag": op.meta.tag, "stream": op.meta.stream}).Error(what)
}

// readLeft feeds op's lines with what its pipe holds now, up to
// dropDrainMax (a writer still alive may fill it as fast as it is read),
// with no hold possible (HoldOutput refuses outside a feed: the
// destination keeps the lines within its bound and drops, counted, the
// rest). full says that it stopped at the bound. buf is the caller's.
func readLeft(op *outPipe, buf []byte) (read int, full bool) {
	for {
		if read >= dropDrainMax {
			return read, true
		}
		n, err := unix.Read(op.fd, buf[:min(len(buf), dropDrainMax-read)])
		if n > 0 {
			read += n
			op.lines.feed(buf[:n])
			continue
		}
		if err != unix.EINTR {
			return read, false // EAGAIN: empty; EOF; or an error
		}
	}
}

// remove takes op out of the map and unwatches it (a held one may be
// watched for its hang-up only, or not at all; a hot one is not); its fd
// may be closed after. p.mu is held.
func (p *poller) remove(op *outPipe) {
	delete(p.pipes, op.fd)
	if op.ended {
		p.forgetEnded(op) // out of the poll set already
		return
	}
	switch {
	case op.hot:
	case op.held:
		p.tryUnwatch(op)
	default:
		p.unwatch(op)
	}
}

// endedKey is whose ended runs op's are: the same service's stream.
func endedKey(op *outPipe) string { return op.meta.tag + "\x00" + op.meta.stream }

// forgetEnded takes op out of p.ended, if it is there. p.mu is held.
func (p *poller) forgetEnded(op *outPipe) {
	if !op.ended {
		return
	}
	op.ended = false
	if k := endedKey(op); p.ended[k] == op {
		delete(p.ended, k)
	}
}

// heldEnded takes the hang-up of op, held: its writers are all gone (the
// run that wrote it ended, and whatever it forked). Kept until its resume
// (the destination takes its lines: nothing lost), each ended run kept a
// pipe fd while the destination was stuck, and a service crashing in a
// loop ran cfkd out of fds. So one ended run's pipe is kept per service
// and stream, out of the poll set (its hang-up would be reported at each
// wait): the one kept before, if any, is read to its end and closed
// (drainEnded). Only the poller goroutine calls it.
func (p *poller) heldEnded(op *outPipe) {
	p.mu.Lock()
	if p.pipes[op.fd] != op || !op.held || op.hot || op.ended {
		p.mu.Unlock()
		return
	}
	k := endedKey(op)
	old := p.ended[k]
	p.tryUnwatch(op)
	op.ended = true
	p.ended[k] = op
	p.mu.Unlock()
	if old != nil {
		p.drainEnded(old)
	}
}

// drainEnded ends op, held, whose writers are all gone, and which is no
// longer the one kept of its service's stream (heldEnded). Its pending
// bytes and what is left in it are emitted with no hold possible
// (HoldOutput refuses: feeding is nil; the destination keeps them within
// its bound and drops, counted, the rest), and it is closed. Only the
// poller goroutine calls it.
func (p *poller) drainEnded(op *outPipe) {
	p.mu.Lock()
	if p.pipes[op.fd] != op || !op.held || op.hot {
		p.mu.Unlock()
		return
	}
	p.remove(op)
	p.mu.Unlock()
	if op.pending != nil {
		readNanos.Store(op.pendingAt)
		op.lines.feed(op.pending)
		op.releasePending()
	}
	buf := p.bufOf(op)
	for {
		n, err := unix.Read(op.fd, buf)
		if n > 0 {
			readNanos.Store(time.Now().UnixNano())
			op.lines.feed(buf[:n])
			continue
		}
		if err != unix.EINTR {
			break // the end (EAGAIN cannot be: no writer is left)
		}
	}
	readNanos.Store(0)
	op.lines.flush()
	p.closePipe(op)
}

// closeAll refuses new pipes, then emits what every pipe holds (its
// pending bytes, then what is left in it, readLeft) and its partial line,
// and closes it. What a process wrote before it ended is not lost when the
// poller stops before it got to it: a proxy stops its own when cfkd shuts
// it down, as soon as the last exit is reported, which may come before the
// poller read that child's last lines.
func (p *poller) closeAll() {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	p.coolHot() // the hot pipes back first (none starts meanwhile: this goroutine starts them)
	p.mu.Lock()
	pipes := make([]*outPipe, 0, len(p.pipes))
	for _, op := range p.pipes {
		pipes = append(pipes, op)
		p.remove(op)
	}
	p.resumed = nil
	p.mu.Unlock()
	for _, op := range pipes {
		if op.pending != nil {
			// read before it was held: emitted, as a partial line is
			// (nothing can hold it now: feeding is nil)
			op.lines.feed(op.pending)
			op.releasePending()
		}
		readLeft(op, p.bufOf(op))
		op.lines.flush()
		p.closePipe(op)
	}
}

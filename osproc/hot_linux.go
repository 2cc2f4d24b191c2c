//go:build linux && !cfkportable

package osproc

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A hot pipe (REFERENCE §6.2) is a grown pipe (grown by this read or
// before) whose read gave 64 KiB at once: its service floods. The poller hands it to a goroutine of its
// own, its hot reader, which reads it and emits its lines in a loop, on
// one thread, until EOF, a hold, the end of the flood (a read of less
// than 16 KiB, or nothing to read for 100 ms: the poller reads it again),
// or coolHot. A
// destination may then write the lines' records right away in that
// goroutine (OnHotReader): reading, formatting and writing a flood on one
// thread, as a program that copies its input does, costs about half the
// CPU of handing each batch to another goroutine, and leaves the other
// core to the service. Waiting there (a slow disk) makes only this
// service wait, in its write(2): the backpressure it is due. The poller
// goes on with the other pipes. After a read that did not fill its
// buffer (the reader had caught up with the service), it sleeps
// coalesceDelay before the next: a reader waiting in poll(2) is woken by
// each of the service's writes and takes the core the service runs on,
// so the two took turns on one core; asleep, it lets the service write on
// into its grown pipe, and its next read takes a whole buffer (a stream
// of 64 KiB writes: 0.79x of writing straight to a file before, 0.88x
// after, in benchtable -only log, the two builds in turn).
//
// Ownership: while op.hot is set (under poller.mu), op's splitter and
// pending bytes are the hot reader's, and op is not watched; the poller
// goroutine skips it in resumeHeld. The hot reader gives op back under
// poller.mu: watched again (coolHot: a freeze or a stop asked it), held
// (a callback held it: the resume goes to the poller as for any held
// pipe), or removed and closed (EOF). coolHot asks every hot reader to
// give its pipe back and waits for them: freeze and closeAll run it
// before they take the pipes, with the poller goroutine parked or in
// closeAll, so that no new hot reader starts meanwhile.
//
// A hot reader's lines get the time of its read: LineTime looks it up by
// thread id while hot readers run (hotRunning). hotReader.feeding, like
// poller.feeding, says that a read's lines are being emitted: HoldOutput
// holds only then (not for the last line at EOF).

// hotReaders: this build has hot readers.
const hotReaders = true

// hotReader is the state of one hot reader goroutine, known by its
// thread id (it keeps its thread); only that goroutine uses feeding and
// at (HoldOutput and LineTime read them from its callbacks).
type hotReader struct {
	p       *poller
	op      *outPipe
	feeding bool  // it emits the lines of a read: a callback may hold
	at      int64 // the time of that read (Unix ns), for LineTime
}

// hots maps the thread id of each hot reader to its state; hotRunning
// counts them, so that LineTime looks them up only while some run.
var (
	hots       sync.Map // int → *hotReader
	hotRunning atomic.Int32
)

// callerHot is the hot reader whose goroutine calls it, nil on any other.
func callerHot() *hotReader {
	v, found := hots.Load(unix.Gettid())
	if !found {
		return nil
	}
	return v.(*hotReader)
}

// OnHotReader reports whether the caller is an output callback run by a
// hot reader: it may wait (for a write to a file) without making any
// other pipe wait.
func OnHotReader() bool { return callerHot() != nil }

// makeHot hands op to a hot reader, unless a freeze is asked or op
// cannot leave epoll (it stays the poller's). Only the poller goroutine
// calls it, from readOnce, for a pipe it reads (so neither held nor hot)
// and never while it stops (closeAll runs on that same goroutine).
func (p *poller) makeHot(op *outPipe) {
	p.mu.Lock()
	if p.frz != nil || p.tryUnwatch(op) != nil {
		p.mu.Unlock()
		return
	}
	op.hot = true
	p.hotWG.Add(1)
	p.mu.Unlock()
	go p.hotRead(op)
}

// hotRead is the hot reader of op: poll(2) on op and on the poller's
// hotStop eventfd, read, emit, until op is given back.
func (p *poller) hotRead(op *outPipe) {
	defer p.hotWG.Done()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	h := &hotReader{p: p, op: op}
	hots.Store(tid, h)
	hotRunning.Add(1)
	defer func() {
		hots.Delete(tid)
		hotRunning.Add(-1)
	}()
	bp := hotBufs.Get().(*[]byte)
	defer hotBufs.Put(bp)
	buf := *bp
	fds := []unix.PollFd{{Fd: int32(op.fd), Events: unix.POLLIN}, {Fd: int32(p.hotStop), Events: unix.POLLIN}}
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		ready, err := unix.Poll(fds, hotIdleMs)
		if err == unix.EINTR {
			continue
		}
		if err != nil || ready == 0 {
			if err != nil {
				p.log.WithError(err).Warn("output poller: poll of a hot pipe failed: the poller reads it again")
			}
			p.cool(op) // or the flood is over: nothing for hotIdleMs
			return
		}
		if fds[1].Revents != 0 {
			p.cool(op)
			return
		}
		n, err := unix.Read(op.fd, buf)
		switch {
		case n > 0:
			h.feeding, h.at = true, time.Now().UnixNano()
			held := p.feedLines(op, buf[:n], h.at)
			h.feeding = false
			if held {
				p.coolHeld(op)
				return
			}
			if n < coalesceBelow {
				// the flood is over: the poller reads it again (and
				// coalesces its small reads)
				p.cool(op)
				return
			}
			if n < len(buf) {
				coalesce()
			}
		case err == unix.EAGAIN || err == unix.EINTR:
		default: // EOF or an error
			p.closeAtEnd(op)
			return
		}
	}
}

// hotIdleMs is how long a hot reader waits for more of a flood before it
// gives the pipe back to the poller (one wait after a flood, not a
// polling loop: an idle cfkd has no hot reader).
const hotIdleMs = 100

// hotBufs are the read buffers of hot readers.
var hotBufs = sync.Pool{New: func() any { b := make([]byte, grownRead); return &b }}

// cool gives op back to the poller goroutine, watched again (if still
// registered and not held).
func (p *poller) cool(op *outPipe) {
	p.mu.Lock()
	op.hot = false
	var err error
	if p.pipes[op.fd] == op && !op.held {
		err = p.rewatch(op)
	}
	p.mu.Unlock()
	if err != nil {
		p.dropUnread(op, err)
	}
}

// coolHeld gives op back held (its pending bytes kept): its resume goes
// to the poller goroutine, as for any held pipe; one that came while it
// was still hot is passed on now.
func (p *poller) coolHeld(op *outPipe) {
	p.mu.Lock()
	defer p.mu.Unlock()
	op.hot = false
	if p.stopping || p.pipes[op.fd] != op {
		return
	}
	if op.resumedGen >= op.holdGen {
		p.queueResumed(op)
		return
	}
	p.holdWatch(op) // for its hang-up: heldEnded
}

// coolHot asks every hot reader to give its pipe back and waits until
// they all did; the caller makes sure none starts meanwhile.
func (p *poller) coolHot() {
	writeEventfd(p.hotStop)
	p.hotWG.Wait()
	var buf [8]byte
	unix.Read(p.hotStop, buf[:]) // reset: hot readers may start again after a thaw
}

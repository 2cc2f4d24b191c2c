//go:build !linux || cfkportable

package osproc

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// The portable output poller waits in poll(2) (REFERENCE §11): macOS and
// FreeBSD run it, and so does Linux built with -tags cfkportable, so that
// the code those systems run is the code Linux CI tests.
//
// The poll set is the poller goroutine's own: fds[0] is the read end of a
// wake-up pipe, then one entry per watched pipe, with the pipe in ops at
// the same index. Other goroutines never touch it: watch and unwatch
// (always under p.mu) queue a change, and the poller applies the changes,
// in order, before each poll(2). A change queued while the poller sleeps
// in poll(2) (a new pipe: Launch runs elsewhere) writes one byte to the
// wake-up pipe, as do a resume and stop; the poller drains it, then takes
// the work. The set changes by one entry per change (a removal moves the
// last entry into the hole), so a mass start costs no rebuild of the set;
// poll(2) itself costs the number of pipes per round, which is why Linux
// keeps epoll by default.
//
// HoldOutput must know that it runs on the poller goroutine: there is no
// thread id on every platform, so the poller goroutine is known by its
// goroutine id, read (from runtime.Stack, a few µs) only when some poller
// is emitting lines at all.

// pollSys is the poll(2) side of a poller.
type pollSys struct {
	wakeR, wakeW int // the wake-up pipe: non-blocking, close-on-exec

	// guarded by poller.mu
	woken   bool         // a byte is in the wake-up pipe, not drained yet
	polling bool         // the poller goroutine is (about to be) in poll(2)
	stopReq bool         // stop was called
	changes []pollChange // watches and unwatches not applied yet, in order

	// the poller goroutine's own
	fds []unix.PollFd // fds[0]: wakeR; then the watched pipes
	ops []*outPipe    // the pipe of each entry of fds (ops[0] nil)
	at  map[int]int   // fd → its index in fds
	gid int64         // the poller goroutine's id
}

// pollChange is a pipe to watch (add), to keep for its hang-up only
// (hup: held), or to stop watching.
type pollChange struct {
	op       *outPipe
	add, hup bool
}

// newPoller creates the wake-up pipe and starts the poller goroutine. stop
// ends it.
func newPoller(log logrus.FieldLogger) (*poller, error) {
	r, w, err := pipeCloexec()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	for _, fd := range []int{r, w} {
		if err := unix.SetNonblock(fd, true); err != nil {
			closeFds(r, w)
			return nil, fmt.Errorf("pipe: %w", err)
		}
	}
	return startPoller(pollSys{
		wakeR: r, wakeW: w,
		fds: []unix.PollFd{{Fd: int32(r), Events: unix.POLLIN}},
		ops: []*outPipe{nil},
		at:  make(map[int]int),
	}, log), nil
}

// callerPoller is the poller whose goroutine calls it, nil on any other.
// Only while some poller emits a read's lines (readNanos is set) can it be
// one: otherwise it answers at once.
func callerPoller() *poller {
	if readNanos.Load() == 0 {
		return nil
	}
	v, found := pollers.Load(goid())
	if !found {
		return nil
	}
	return v.(*poller)
}

// goid is the id of the calling goroutine, from the first line of its
// stack trace: "goroutine 42 [running]:".
func goid() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b, ok := bytes.CutPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); ok && i > 0 {
		if id, err := strconv.ParseInt(string(b[:i]), 10, 64); err == nil {
			return id
		}
	}
	return -1
}

// watch queues op to be polled. p.mu is held.
func (p *poller) watch(op *outPipe) error {
	p.changes = append(p.changes, pollChange{op: op, add: true})
	if p.polling {
		p.wakeLocked() // a poll(2) under way does not have it
	}
	return nil
}

// unwatch queues op to leave the poll set. p.mu is held. It is called by
// the poller goroutine only, which applies it before it polls again.
func (p *poller) unwatch(op *outPipe) {
	p.changes = append(p.changes, pollChange{op: op})
}

// tryUnwatch is unwatch (it cannot fail here).
func (p *poller) tryUnwatch(op *outPipe) error {
	p.unwatch(op)
	return nil
}

// holdWatch queues op, held, to stay in the poll set with no event asked:
// poll(2) still reports POLLHUP once its writers are all gone (where the
// system does for a pipe): heldEnded. p.mu is held; the poller goroutine calls it.
func (p *poller) holdWatch(op *outPipe) {
	p.changes = append(p.changes, pollChange{op: op, hup: true})
}

// wakeForResume wakes the poller goroutine to take p.resumed. p.mu is held.
func (p *poller) wakeForResume() {
	p.wakeLocked()
}

// wakeLocked writes the wake-up byte, unless one is there already. p.mu
// is held.
func (p *poller) wakeLocked() {
	if p.woken {
		return
	}
	p.woken = true
	for {
		// EAGAIN cannot be: the pipe holds one byte at most
		if _, err := unix.Write(p.wakeW, []byte{1}); err != unix.EINTR {
			return
		}
	}
}

// ownFds are the poller's own fds, by name (for the tests).
func (p *poller) ownFds() map[string]int {
	return map[string]int{"wake-up pipe read end": p.wakeR, "wake-up pipe write end": p.wakeW}
}

// stop makes the poller emit the partial lines and close every pipe still
// open (what is left unread in them is lost), waits for its goroutine to
// end and closes the wake-up pipe. Pipes added later are closed at once.
func (p *poller) stop() {
	p.mu.Lock()
	p.stopReq = true
	p.wakeLocked()
	p.mu.Unlock()
	<-p.done
	closeFds(p.wakeR, p.wakeW)
}

// apply makes the queued changes to the poll set, in order.
func (p *poller) apply(changes []pollChange) {
	for _, c := range changes {
		fd := c.op.fd
		i, in := p.at[fd]
		if in && p.ops[i] != c.op {
			in = false // an entry of a pipe closed since, whose number c.op got
		}
		var events int16 = unix.POLLIN
		if c.hup {
			events = 0
		}
		switch {
		case (c.add || c.hup) && in:
			p.fds[i].Events = events
		case c.add || c.hup:
			if j, stale := p.at[fd]; stale {
				p.drop(j)
			}
			p.at[fd] = len(p.fds)
			p.fds = append(p.fds, unix.PollFd{Fd: int32(fd), Events: events})
			p.ops = append(p.ops, c.op)
		case in:
			p.drop(i)
		}
	}
}

// drop takes entry i out of the poll set: the last entry takes its place.
func (p *poller) drop(i int) {
	delete(p.at, int(p.fds[i].Fd))
	last := len(p.fds) - 1
	if i != last {
		p.fds[i], p.ops[i] = p.fds[last], p.ops[last]
		p.at[int(p.fds[i].Fd)] = i
	}
	p.fds[last], p.ops[last] = unix.PollFd{}, nil
	p.fds, p.ops = p.fds[:last], p.ops[:last]
}

// run is the poller goroutine.
func (p *poller) run(started chan<- struct{}) {
	p.gid = goid()
	pollers.Store(p.gid, p)
	defer pollers.Delete(p.gid)
	defer close(p.done)
	close(started)
	var changes []pollChange
	for {
		p.mu.Lock()
		changes, p.changes = p.changes, changes[:0]
		stop := p.stopReq
		p.polling = !stop
		p.mu.Unlock()
		if stop {
			p.closeAll()
			return
		}
		p.apply(changes)
		clear(changes) // no pipe kept alive by the spare buffer
		_, err := unix.Poll(p.fds, -1)
		p.mu.Lock()
		p.polling = false
		p.mu.Unlock()
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// cannot happen with valid fds; if it does, release the
			// pipes rather than leave the children blocked
			p.log.WithError(err).Error("output poller: poll failed: the output of services is no longer read")
			p.closeAll()
			return
		}
		read := 0 // bytes read this round
		// entries are not moved during the round: what it unwatches is
		// queued, for the next apply
		for i := 1; i < len(p.fds); i++ {
			if p.fds[i].Revents == 0 {
				continue
			}
			op := p.ops[i]
			p.mu.Lock()
			held := op.held
			p.mu.Unlock()
			switch {
			case !held:
				read += p.readOnce(op)
			case p.fds[i].Revents&(unix.POLLHUP|unix.POLLERR) != 0:
				// kept for its hang-up only (holdWatch)
				p.heldEnded(op)
			}
		}
		if p.fds[0].Revents != 0 {
			p.drainWake()
			p.resumeHeld()
		}
		if read > 0 && read < coalesceBelow {
			time.Sleep(coalesceDelay)
		}
	}
}

// drainWake empties the wake-up pipe; a wake-up after it writes again.
func (p *poller) drainWake() {
	var buf [16]byte
	for {
		if _, err := unix.Read(p.wakeR, buf[:]); err != unix.EINTR {
			break
		}
	}
	p.mu.Lock()
	p.woken = false
	p.mu.Unlock()
}

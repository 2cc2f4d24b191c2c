//go:build !linux || cfkportable

package osproc

import (
	"bytes"
	"fmt"
	"os"
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
// poll(2) refuses a set of more fds than the soft RLIMIT_NOFILE (Linux:
// EINVAL; FreeBSD too; macOS also more than OPEN_MAX, 10240, whatever
// the limit: pollMax, so a set of more is always read in parts there,
// its waits of 1 s at most on one part at a time), which an operator
// may lower under the pipes cfkd holds (prlimit on cfkd, REFERENCE §7.6);
// it may also fail for want of memory. Giving the pipes up would kill
// every service at its next write (SIGPIPE), so the poller then enters
// its short mode (pollShort), logged once: each round tries the whole set
// (taken: the short mode ends, logged once, and the next round waits with
// no timeout again), else polls it in parts of as many entries as the
// soft limit lets one poll(2) take, the wake-up first in each, without
// waiting, and handles what they report as a normal round; a round that
// read nothing and was not woken then waits (waitShort) on the wake-up
// and the next part in turn, shortRetry at most, so that every pipe is
// looked at once per shortRetry at least and an idle poller wakes once
// per shortRetry, never in a loop. Where poll(2) takes no pipe (a limit
// of 0 or 1) the round tries a read of each pipe not held (EAGAIN when
// empty) and the wait is on the wake-up alone: in poll(2) at a limit of
// 1, at 0 on a channel that each wake-up also signals (woke), so that a
// stop, a resume or a new pipe never waits for the wait's end. A held pipe's
// hang-up is then seen only in a round that polls it, or at its resume.
// The entries and their order are those of the normal rounds: the
// changes are applied the same way, before each round.
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
	// short is set while poll(2) refuses the whole set (pollShort):
	// shortOff is where the next wait's part of it starts, win the
	// entries of a part
	short    bool
	shortOff int
	win      []unix.PollFd

	// retry bounds each wait of the short mode (shortRetry); woke gets
	// a token with each byte written to the wake-up pipe, for the wait
	// that poll(2) cannot make (a soft fd limit of 0: no entry at all)
	retry time.Duration
	woke  chan struct{}
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
	return newPollerRetry(log, shortRetry)
}

// newPollerRetry is newPoller whose short mode waits retry at most (the
// tests' own).
func newPollerRetry(log logrus.FieldLogger, retry time.Duration) (*poller, error) {
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
		fds:   []unix.PollFd{{Fd: int32(r), Events: unix.POLLIN}},
		ops:   []*outPipe{nil},
		at:    make(map[int]int),
		retry: retry,
		woke:  make(chan struct{}, 1),
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
	select {
	case p.woke <- struct{}{}:
	default: // one is there already
	}
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

// stop makes the poller emit what every pipe still open holds, up to
// dropDrainMax each, and its partial line, and close it (closeAll: a
// process's later writes fail, EPIPE), waits for its goroutine to end and
// closes the wake-up pipe. Pipes added later are closed at once.
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
		var read int
		if !p.short {
			_, err := unix.Poll(p.fds, -1)
			p.mu.Lock()
			p.polling = false
			p.mu.Unlock()
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				// the set refused (more fds than the soft limit:
				// EINVAL; or ENOMEM, EAGAIN): read it in parts
				// (pollShort) until poll takes it whole again
				p.startShort(err)
				continue
			}
			read, _ = p.handle()
		} else {
			var woke bool
			var k int
			read, woke, k = p.pollShort()
			if p.short && read == 0 && !woke {
				p.waitShort(k) // still polling: a change wakes it
			}
			p.mu.Lock()
			p.polling = false
			p.mu.Unlock()
		}
		if read > 0 && read < coalesceBelow {
			time.Sleep(coalesceDelay)
		}
	}
}

// handle takes the events a poll left in p.fds: it reads once each ready
// pipe, takes the hang-up of a held one and the wake-up. It returns the
// bytes read and whether the wake-up pipe held a byte.
func (p *poller) handle() (read int, woke bool) {
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
		woke = p.drainWake()
		p.resumeHeld()
	}
	return read, woke
}

// shortRetry bounds each wait of the poller while poll(2) refuses its
// whole set (pollShort): each part of the set has its turn within it, and
// a set refused even in parts is tried again after it, as cfkd's other
// shortages are.
const shortRetry = time.Second

// startShort begins the short mode: poll(2) refused the whole set (err).
// Logged once, until endShort.
func (p *poller) startShort(err error) {
	p.short, p.shortOff = true, 0
	lim, n := softFdLimit(), len(p.fds)
	log := p.log.WithError(err).WithFields(logrus.Fields{"limit": lim, "fds": n})
	if err == unix.EINVAL && lim < n {
		fds := "fds"
		if n == 1 {
			fds = "fd"
		}
		log.Warnf("output poller: cfkd's soft limit of open files (%d) is below the %d %s its poll(2) watches "+
			"(the pipes of the services' output, and its wake-up): their output is read slower, a part at a time "+
			"(a service's writes may wait meanwhile); raise cfkd's soft limit (prlimit --nofile=SOFT:HARD --pid %d)",
			lim, n, fds, os.Getpid())
		return
	}
	log.Warnf("output poller: poll(2) refused its %d fds: the output of services is read slower, a part at a time "+
		"(a service's writes may wait meanwhile), and poll(2) is tried again each %v", n, p.retry)
}

// pollShort is a round of the short mode: the whole set is tried first
// (taken: the short mode ends); refused, the set is polled in parts, each
// as large as the soft fd limit lets poll(2) take, the wake-up first in
// each, none waiting (timeout 0); if poll(2) takes no pipe at all (a limit
// of 0 or 1), each pipe not held is tried with a read (EAGAIN when it is
// empty), the wake-up pipe too. Then the events are handled as a normal
// round's. It returns what handle does, and k, the entries one poll(2)
// takes (min(soft limit, pollMax, the set's), the limit read once a
// round), for the round's waitShort; 0 when the short mode ended.
func (p *poller) pollShort() (read int, woke bool, k int) {
	for i := range p.fds {
		p.fds[i].Revents = 0
	}
	_, err := unix.Poll(p.fds, 0)
	if err == nil {
		p.endShort()
		read, woke = p.handle()
		return read, woke, 0
	}
	n := len(p.fds)
	k = min(softFdLimit(), pollMax, n) // the entries one poll(2) takes
	swept := k >= 2
	for j := 1; swept && j < n; j += k - 1 {
		end := min(j+k-1, n)
		win := p.window(j, end)
		if _, err := unix.Poll(win, 0); err != nil {
			swept = false // refused after all (the limit changed, ENOMEM)
			break
		}
		p.fds[0].Revents |= win[0].Revents
		for m := j; m < end; m++ {
			p.fds[m].Revents = win[1+m-j].Revents
		}
	}
	if !swept {
		// a read tells: data, EOF, or EAGAIN (nothing). A held pipe
		// (no event asked) is not read: its hang-up waits for a round
		// that polls it, or for its resume
		for i := 1; i < n; i++ {
			p.fds[i].Revents |= p.fds[i].Events & unix.POLLIN
		}
		p.fds[0].Revents = unix.POLLIN
	}
	read, woke = p.handle()
	return read, woke, k
}

// window is the wake-up entry then the entries j to end (excluded) of
// the set, in p.win.
func (p *poller) window(j, end int) []unix.PollFd {
	p.win = append(append(p.win[:0], p.fds[0]), p.fds[j:end]...)
	return p.win
}

// waitShort is the wait of a short round that found nothing: on the
// wake-up and the next part of the set (in turn, so that each part waits
// in its turn), at most shortRetry; with poll(2) taking no pipe, on the
// wake-up alone, or when it takes nothing (or fails), on the wake-up's
// token in p.woke. k is the entries one poll(2) takes, the round's
// pollShort's. p.polling is set: a change writes the wake-up.
func (p *poller) waitShort(k int) {
	n := len(p.fds)
	ms := int(p.retry / time.Millisecond)
	var err error
	switch {
	case k >= 2:
		if p.shortOff >= n-1 {
			p.shortOff = 0
		}
		j := 1 + p.shortOff
		end := min(j+k-1, n)
		p.shortOff += k - 1
		_, err = unix.Poll(p.window(j, end), ms)
	case k == 1:
		_, err = unix.Poll(p.fds[:1], ms)
	default:
		err = unix.EINVAL
	}
	if err != nil && err != unix.EINTR {
		// not a sleep: a stop, a resume or a new pipe would wait for
		// its end (a token left from a wake-up already taken only
		// makes one more round)
		t := time.NewTimer(p.retry)
		select {
		case <-p.woke:
		case <-t.C:
		}
		t.Stop()
	}
}

// endShort ends the short mode: poll(2) took the whole set again. The
// next rounds wait in poll(2) with no timeout again.
func (p *poller) endShort() {
	p.short = false
	p.log.WithFields(logrus.Fields{"limit": softFdLimit(), "fds": len(p.fds)}).Info("output poller: poll(2) takes all its fds again: the output of services is read as before")
}

// drainWake empties the wake-up pipe; a wake-up after it writes again.
// It says whether the pipe held a byte.
func (p *poller) drainWake() bool {
	var buf [16]byte
	var n int
	for {
		var err error
		if n, err = unix.Read(p.wakeR, buf[:]); err != unix.EINTR {
			break
		}
	}
	p.mu.Lock()
	p.woken = false
	p.mu.Unlock()
	return n > 0
}

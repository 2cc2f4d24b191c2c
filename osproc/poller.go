package osproc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// poller is the one output poller of a Launcher: one goroutine that owns an
// epoll instance and the read ends of every output pipe of the children,
// as raw non-blocking fds (no os.File, no Go poller), and cuts what it
// reads into lines with one lineSplitter per pipe.
//
// Each round it waits (EpollWait, no timeout: it sleeps in the kernel,
// taking one OS thread, until a pipe or the stop eventfd is ready) and reads
// once, into one shared buffer, from each ready pipe. The pipes are
// level-triggered: what a read leaves in a pipe is read next round, after
// every other ready pipe had its turn, so a child flooding its output
// cannot starve the others. At EOF (the writers are gone; EPOLLHUP reads as
// EOF once the pipe is empty) or on a read error, the partial line is
// emitted and the pipe removed and closed.
//
// Memory: per pipe only its small state and its partial line (nil between
// lines); the read buffer is shared by all of them.
//
// fd numbers: only the poller goroutine closes a registered pipe, and it
// removes it from the map and from epoll (EPOLL_CTL_DEL), under mu, before
// closing it. So until the close no new pipe can have its number, and after
// it the old pipe is known to no one: an event, a registration or a partial
// line of a closed pipe can never be taken for one of a new pipe that got
// its number (one EpollWait reports an fd at most once, and a pipe is
// closed while its own event is handled, so the rest of the batch cannot
// hold a stale event for its number). (The DEL also matters because epoll tracks the open file, not
// the fd: a child forked meanwhile holds a copy of the read end until its
// exec, and a closed but not deleted fd would stay in epoll.)
type poller struct {
	log  logrus.FieldLogger
	epfd int // close-on-exec
	evfd int // eventfd written by stop; close-on-exec, non-blocking
	buf  []byte
	done chan struct{} // closed when run returns

	mu       sync.Mutex
	pipes    map[int]*outPipe // the registered pipes, by fd
	stopping bool             // no more pipes are accepted
}

// outPipe is the read end of one output pipe and its partial line. Its
// splitter is only used by the poller goroutine.
type outPipe struct {
	fd    int
	lines lineSplitter
}

// pollBatch is how many ready fds one EpollWait returns at most; more wait
// for the next round (epoll hands them out in turn).
const pollBatch = 128

// newPoller creates the epoll instance and the stop eventfd, and starts the
// poller goroutine. stop ends it.
func newPoller(log logrus.FieldLogger) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	p := &poller{
		log:   log,
		epfd:  epfd,
		evfd:  evfd,
		buf:   make([]byte, readSize),
		done:  make(chan struct{}),
		pipes: make(map[int]*outPipe),
	}
	go p.run()
	return p, nil
}

var errStopped = errors.New("output poller stopped")

// add hands fd, the non-blocking read end of a pipe, to the poller: from now
// on it belongs to the poller, which calls emit, from its goroutine, for
// every line read (see lineSplitter), and closes fd at EOF. On error fd is
// closed already (the writers then get EPIPE).
func (p *poller) add(fd int, emit func(line []byte)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		unix.Close(fd)
		return errStopped
	}
	// in the map before epoll may report it
	p.pipes[fd] = &outPipe{fd: fd, lines: lineSplitter{max: MaxLine, emit: emit}}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		delete(p.pipes, fd)
		unix.Close(fd)
		return fmt.Errorf("epoll_ctl add: %w", err)
	}
	return nil
}

// stop makes the poller emit the partial lines and close every pipe still
// open (what is left unread in them is lost), waits for its goroutine to
// end and closes the epoll instance. Pipes added later are closed at once.
func (p *poller) stop() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	for {
		// EAGAIN only if the counter is about to overflow: it is not
		// read before the poller ends, so it is already set
		if _, err := unix.Write(p.evfd, one[:]); err != unix.EINTR {
			break
		}
	}
	<-p.done
	unix.Close(p.epfd)
	unix.Close(p.evfd)
}

func (p *poller) run() {
	defer close(p.done)
	events := make([]unix.EpollEvent, pollBatch)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// cannot happen with a valid epfd and buffer; if it does,
			// release the pipes rather than leave the children blocked
			p.log.WithError(err).Error("output poller: epoll_wait failed: the output of services is no longer read")
			p.closeAll()
			return
		}
		stop := false
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == p.evfd {
				stop = true
				continue
			}
			p.mu.Lock()
			op := p.pipes[fd]
			p.mu.Unlock()
			if op != nil {
				p.readOnce(op)
			}
		}
		if stop {
			p.closeAll()
			return
		}
	}
}

// readOnce reads what one read gives from op, and removes op at EOF or on
// error.
func (p *poller) readOnce(op *outPipe) {
	n, err := unix.Read(op.fd, p.buf)
	switch {
	case n > 0:
		op.lines.feed(p.buf[:n])
	case err == unix.EAGAIN || err == unix.EINTR:
		// nothing after all: level-triggered, epoll reports it again
	default: // EOF (n == 0) or an error
		p.mu.Lock()
		p.remove(op)
		p.mu.Unlock()
		op.lines.flush()
		unix.Close(op.fd)
	}
}

// remove takes op out of the map and of epoll; its fd may be closed after.
// p.mu is held.
func (p *poller) remove(op *outPipe) {
	delete(p.pipes, op.fd)
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, op.fd, nil); err != nil {
		p.log.WithError(err).WithField("fd", op.fd).Warn("output poller: epoll_ctl del")
	}
}

// closeAll refuses new pipes, then emits the partial line of every pipe and
// closes it.
func (p *poller) closeAll() {
	p.mu.Lock()
	p.stopping = true
	pipes := make([]*outPipe, 0, len(p.pipes))
	for _, op := range p.pipes {
		pipes = append(pipes, op)
		p.remove(op)
	}
	p.mu.Unlock()
	for _, op := range pipes {
		op.lines.flush()
		unix.Close(op.fd)
	}
}

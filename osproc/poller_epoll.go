//go:build linux && !cfkportable

package osproc

import (
	"encoding/binary"
	"fmt"
	"runtime"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Linux's output poller waits in epoll_wait (REFERENCE §11): an epoll
// instance holds the pipes being read, an eventfd stops the poller and
// another one wakes it for resumed pipes. A held pipe stays in epoll with
// no event asked (EPOLL_CTL_MOD to 0): epoll still reports its hang-up,
// when its writers are all gone (heldEnded); it is asked for EPOLLIN
// again on its resume. The poller goroutine keeps its OS thread, whose id
// HoldOutput checks.

// pollSys is the epoll side of a poller.
type pollSys struct {
	epfd   int // close-on-exec
	evfd   int // eventfd written by stop; close-on-exec, non-blocking
	wakefd int // eventfd written by resume; close-on-exec, non-blocking
	// hotStop is written by coolHot to make the hot readers give their
	// pipes back (hot_linux.go); close-on-exec, non-blocking
	hotStop int
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
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	hotStop, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		closeFds(wakefd, evfd, epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	for _, fd := range []int{evfd, wakefd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			closeFds(hotStop, wakefd, evfd, epfd)
			return nil, fmt.Errorf("epoll_ctl: %w", err)
		}
	}
	return startPoller(pollSys{epfd: epfd, evfd: evfd, wakefd: wakefd, hotStop: hotStop}, log), nil
}

// callerPoller is the poller whose goroutine calls it, nil on any other:
// the poller goroutine is locked to its thread, known by its id.
func callerPoller() *poller {
	v, found := pollers.Load(unix.Gettid())
	if !found {
		return nil
	}
	return v.(*poller)
}

// watch puts op's fd in epoll for reading (held, it may be there for its
// hang-up only: holdWatch). p.mu is held.
func (p *poller) watch(op *outPipe) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(op.fd)}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, op.fd, &ev)
	if err == unix.EEXIST {
		err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, op.fd, &ev)
	}
	if err != nil {
		return fmt.Errorf("epoll_ctl add: %w", err)
	}
	return nil
}

// holdWatch keeps op, held, in epoll for its hang-up only: no event asked
// (epoll reports EPOLLHUP and EPOLLERR whatever the mask), so that a held
// pipe costs no wake-up while its writers live and is closed once they
// are gone (heldEnded). If epoll refuses, op is only no longer read, as
// before: its hang-up is then seen at its resume. p.mu is held.
func (p *poller) holdWatch(op *outPipe) {
	ev := unix.EpollEvent{Events: 0, Fd: int32(op.fd)}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, op.fd, &ev)
	if err == unix.ENOENT {
		err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, op.fd, &ev)
	}
	if err != nil {
		p.log.WithError(err).WithField("fd", op.fd).Warn("output poller: epoll_ctl of a held pipe")
		p.tryUnwatch(op)
	}
}

// unwatch takes op's fd out of epoll. p.mu is held.
func (p *poller) unwatch(op *outPipe) {
	if err := p.tryUnwatch(op); err != nil {
		p.log.WithError(err).WithField("fd", op.fd).Warn("output poller: epoll_ctl del")
	}
}

// tryUnwatch is unwatch that says whether it failed. p.mu is held.
func (p *poller) tryUnwatch(op *outPipe) error {
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, op.fd, nil)
}

// wakeForResume wakes the poller goroutine to take p.resumed. p.mu is held.
func (p *poller) wakeForResume() {
	writeEventfd(p.wakefd)
}

// ownFds are the poller's own fds, by name (for the tests).
func (p *poller) ownFds() map[string]int {
	return map[string]int{"epoll": p.epfd, "eventfd": p.evfd, "wake eventfd": p.wakefd, "hot stop eventfd": p.hotStop}
}

// writeEventfd adds 1 to an eventfd's counter. EAGAIN only if the counter
// is about to overflow: it is set already.
func writeEventfd(fd int) {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	for {
		if _, err := unix.Write(fd, one[:]); err != unix.EINTR {
			return
		}
	}
}

// stop makes the poller emit what every pipe still open holds, up to
// dropDrainMax each, and its partial line, and close it (closeAll: a
// process's later writes fail, EPIPE), waits for its goroutine to end and
// closes the epoll instance. Pipes added later are closed at once.
func (p *poller) stop() {
	writeEventfd(p.evfd) // never read: set until the poller ends
	<-p.done
	unix.Close(p.epfd)
	unix.Close(p.evfd)
	unix.Close(p.wakefd)
	unix.Close(p.hotStop)
}

// run is the poller goroutine. It keeps its OS thread (it sleeps in
// epoll_wait on it anyway), so that HoldOutput can tell, by the thread id,
// that it is called from it.
func (p *poller) run(started chan<- struct{}) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	pollers.Store(tid, p)
	defer pollers.Delete(tid)
	defer close(p.done)
	close(started)
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
		read := 0 // bytes read this round
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			switch fd {
			case p.evfd:
				stop = true
				continue
			case p.wakefd:
				var buf [8]byte
				unix.Read(p.wakefd, buf[:]) // reset the counter before taking the list
				p.resumeHeld()
				continue
			}
			p.mu.Lock()
			op := p.pipes[fd]
			held := op != nil && op.held
			p.mu.Unlock()
			if held {
				// watched for its hang-up only (holdWatch); an EPOLLIN
				// of it is one of this batch's, from before a hold
				if ev.Events&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
					p.heldEnded(op)
				}
				continue
			}
			// EPOLLHUP alone does not say the pipe is empty: the kernel
			// tests for data, then for writers, without a lock, so a
			// last write and the writer's exit in between give EPOLLHUP
			// over data. Only the read's 0 says the end.
			if op != nil {
				read += p.readOnce(op)
			}
		}
		if stop {
			p.closeAll()
			return
		}
		if read > 0 && read < coalesceBelow {
			coalesce()
		}
	}
}

// coalesce sleeps coalesceDelay on the poller's locked thread.
func coalesce() {
	ts := unix.NsecToTimespec(int64(coalesceDelay))
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}

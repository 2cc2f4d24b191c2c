package actors

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// acceptSpare is the fd an accept loop keeps open in reserve, at a
// number no service start takes, for a client that comes when cfkd has
// no fd left, so that it is answered rather than left in the backlog
// until its own timeout: accept fails with EMFILE then, whether a client
// waits or not (REFERENCE §7.6). On such a failure the loop waits up to
// 1 s for a client (poll(2) on the listener: a listener's RawConn cannot
// wait in the runtime's poller), the one wake-up of an idle cfkd, and
// only while its fds are short. When one waits, the spare is closed, the
// client accepted on its number, answered `ERROR: cfkd: too many open
// files (limit N): ...` with what to do and closed, and the spare taken
// again. The failures are logged once a second at most, with the count
// of those not logged. Only the accept goroutine uses it.
type acceptSpare struct {
	f        *os.File // nil when it could not be reopened
	log      *logrus.Logger
	records  RecordLimit
	failures int // accepts failed since the last that did not
	wait     time.Duration
}

func newAcceptSpare(log *logrus.Logger) *acceptSpare {
	s := &acceptSpare{log: log}
	s.reopen()
	return s
}

// reopen opens the spare again if it is not held, at a number no service
// start takes (the last osproc.FdReserve of the table): at a low one, a
// start's pipe would take it as soon as it is closed for a client.
func (s *acceptSpare) reopen() {
	if s.f != nil {
		return
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		return
	}
	s.f = f
	top, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, int(softNofile())-osproc.FdReserve)
	if err == nil {
		f.Close()
		s.f = os.NewFile(uintptr(top), os.DevNull)
	}
}

// close gives the spare back when the loop ends.
func (s *acceptSpare) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// accepted ends a shortage: the next failure is logged at once.
func (s *acceptSpare) accepted() {
	if s.failures > 0 {
		s.log.Infof("admin console: accepting connections again (%d accepts failed)", s.failures)
	}
	s.failures, s.wait, s.records = 0, 0, RecordLimit{Now: s.records.Now}
}

// fdShortage says whether err is a want of fds (cfkd's or the system's).
func fdShortage(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// failed handles an accept of ln that failed with err (ln not closed):
// it logs it, and answers the waiting client with the spare when cfkd
// has no fd left. It returns when the loop may accept again, or when ln
// is closed or no longer accepted on (the next Accept says so).
func (s *acceptSpare) failed(ln net.Listener, err error) {
	s.failures++
	if ok, muted := s.records.Allow(); ok {
		e := s.log.WithError(err)
		if muted > 0 {
			e = e.WithField("not_logged", muted)
		}
		e.Error("admin console: accept failed")
	}
	if !fdShortage(err) {
		s.pause() // another temporary error (ENOBUFS...): rare
		return
	}
	if !waitForClient(ln) {
		return // closed, or its deadline passed (stopAccepting)
	}
	s.reopen()
	if s.f == nil { // the spare's number was taken: no fd at all
		s.pause()
		return
	}
	s.answer(ln, fdsShortError(err))
	s.reopen()
}

// pause waits before the next accept, 100 ms doubled up to 1 s: the only
// waits of the loop, while an error is not a want of fds, or while a
// client waits and cfkd has not even the spare's fd (REFERENCE §7.6).
func (s *acceptSpare) pause() {
	s.wait = min(max(2*s.wait, 100*time.Millisecond), time.Second)
	time.Sleep(s.wait)
}

// waitForClient waits up to 1 s until a client waits in ln's backlog;
// false when none came, ln is closed, or it cannot be waited on (the
// caller then accepts again, which says which). The poll is outside
// Control, which would hold ln's Close for as long.
func waitForClient(ln net.Listener) bool {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	if rc.Control(func(f uintptr) { fd = int(f) }) != nil {
		return false
	}
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(p, 1000)
	return err == nil && n > 0
}

// fdsShortError is what a client accepted on the spare reads.
func fdsShortError(err error) error {
	lim := "in the system"
	if errors.Is(err, syscall.EMFILE) {
		lim = fmt.Sprintf("(limit %d)", softNofile())
	}
	return fmt.Errorf("cfkd: too many open files %s: no fd left to serve this connection; "+
		"close other admin connections (cfkctl events, cfkctl tail -f) and try again, "+
		"or raise cfkd's limit (prlimit --nofile=SOFT:HARD --pid %d)", lim, os.Getpid())
}

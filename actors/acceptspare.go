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
// no fd left, so that it is served rather than left in the backlog until
// its own timeout: accept fails with EMFILE then, whether a client waits
// or not (REFERENCE §7.6). On such a failure the loop waits up to 1 s for
// a client (poll(2) on the listener: a listener's RawConn cannot wait in
// the runtime's poller), the one wake-up of an idle cfkd, and only while
// its fds are short. When one waits, the spare is closed and the client
// accepted on its number: lent to it, the spare serves that connection as
// any other (its rights, its auth), but for a stream, which is refused
// (its fd would be held for as long as the stream lasts), and with an
// idle timeout of spareIdle at most. While it is lent, the next clients
// wait in the backlog: the loop tries to accept once a second, and at
// once when the connection closes (its guardedConn says so on back),
// which reopens the spare. The failures are logged once a second at
// most, with the count of those not logged. Only the accept goroutine
// uses it, but for back.
type acceptSpare struct {
	f        *os.File // nil when it could not be reopened, or is lent
	log      *logrus.Logger
	records  RecordLimit
	failures int // accepts failed since the last that did not
	wait     time.Duration
	// lent: a client was accepted on the spare's number, and its
	// connection is not closed yet (back says when it is)
	lent bool
	back chan struct{}
	// short is the accept failure the client on the spare came in
	// (EMFILE or ENFILE), for what its stream's refusal says
	// (fdsShortStreamError)
	short error
	// open opens what the spare holds (openDevNull; tests make it fail
	// as a full fd table does)
	open func() (*os.File, error)
}

// spareIdle bounds the idle time of a connection on the spare (the
// console's idle timeout when shorter): one that never writes must not
// keep the others in the backlog, on a UNIX socket that has no idle
// timeout either. It is spareIdleMax but in the tests' build
// (spareidle_testhook.go), where SpareIdleEnv shortens it.
var spareIdle = spareIdleBound()

// spareIdleMax is the spare's idle bound in every cfkd users run
// (REFERENCE §7.6).
const spareIdleMax = 10 * time.Second

// SpareIdleEnv, set to a Go duration shorter than 10 s in the environment
// of a cfkd built with -tags cfkadoptfault (the tests' build, the one with
// test hooks), is spareIdle: a test-only seam, so that the end-to-end test
// of a silent client on the spare (integration/e2e) does not wait 10 s
// out. Any other build never reads it; any other value is ignored.
const SpareIdleEnv = "_CFKD_TEST_SPARE_IDLE"

// spareIdleFromEnv is the bound SpareIdleEnv's value v sets in the tests'
// build: v when a duration above 0 and under spareIdleMax, else
// spareIdleMax.
func spareIdleFromEnv(v string) time.Duration {
	if d, err := time.ParseDuration(v); err == nil && d > 0 && d < spareIdleMax {
		return d
	}
	return spareIdleMax
}

// openDevNull opens what the spare holds.
func openDevNull() (*os.File, error) { return os.Open(os.DevNull) }

func newAcceptSpare(log *logrus.Logger) *acceptSpare {
	s := &acceptSpare{log: log, back: make(chan struct{}, 1), open: openDevNull}
	s.reopen()
	return s
}

// reopen opens the spare again if it is not held, at a number no service
// start takes (the last osproc.FdReserve of the table): at a low one, a
// start's pipe would take it as soon as it is lent.
func (s *acceptSpare) reopen() error {
	if s.f != nil || s.lent {
		return nil
	}
	f, err := s.open()
	if err != nil {
		return err
	}
	s.f, _ = osproc.AtReserve(f, softNofile()) // else where it is: better than none
	return nil
}

// close gives the spare back when the loop ends.
func (s *acceptSpare) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// accepted: a client was accepted on a free fd. A spare given back
// meanwhile is opened again. When it cannot be, for want of fds, the
// client holds the last fd, the number the spare's client freed when it
// closed (the loop waited in Accept, not for the spare's return): it is
// then the client on the spare, its streams refused (true), or a stream
// would hold that fd and no `stop` could be served until it ended
// (REFERENCE §7.6). Else the shortage is over: the next failure is
// logged at once.
func (s *acceptSpare) accepted() bool {
	if s.lent {
		select {
		case <-s.back:
			s.lent = false
		default:
		}
	}
	if s.f == nil && !s.lent {
		if err := s.reopen(); err != nil && fdShortage(err) {
			s.lent, s.short = true, err
			return true
		}
	}
	if s.failures > 0 {
		s.log.Infof("admin console: accepting connections again (%d accepts failed)", s.failures)
	}
	s.failures, s.wait, s.records = 0, 0, RecordLimit{Now: s.records.Now}
	return false
}

// returned is called once by the connection on the spare when it is
// closed (guardedConn.Close, from any goroutine): the loop takes the
// spare again.
func (s *acceptSpare) returned() {
	select {
	case s.back <- struct{}{}:
	default:
	}
}

// refused: the client taken on the spare was refused at once (its
// policy), its connection closed: the spare is opened again.
func (s *acceptSpare) refused() {
	select {
	case <-s.back:
	default:
	}
	s.lent = false
	s.reopen()
}

// fdShortage says whether err is a want of fds (cfkd's or the system's).
func fdShortage(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// failed handles an accept of ln that failed with err (ln not closed):
// it logs it and, when cfkd has no fd left, accepts the waiting client on
// the spare's number and returns it, to be served on the spare (guard it
// with spareGuard). Else it returns nil when the loop may accept again,
// or when ln is closed or no longer accepted on (the next Accept says so).
func (s *acceptSpare) failed(ln net.Listener, err error) net.Conn {
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
		return nil
	}
	if s.lent {
		s.awaitBack()
		return nil
	}
	if !waitForClient(ln) {
		return nil // closed, or its deadline passed (stopAccepting)
	}
	s.reopen()
	if s.f == nil { // the spare's number was taken: no fd at all
		s.pause()
		return nil
	}
	s.f.Close() // the lowest number free: the client takes it
	s.f = nil
	conn, aerr := ln.Accept()
	if aerr != nil { // taken meanwhile, or ln closed: the next Accept says
		s.reopen()
		return nil
	}
	s.lent, s.short = true, err
	return conn
}

// awaitBack waits, while the spare is lent, until its connection is
// closed (the spare is opened again) or 1 s has passed: then the loop
// tries to accept again, the once a second of a shortage.
func (s *acceptSpare) awaitBack() {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-s.back:
		s.lent = false
		s.reopen()
	case <-t.C:
	}
}

// guard makes conn, the client accepted on the spare without a policy
// (tests), a guardedConn that gives the spare back when it is closed,
// with an idle timeout of spareIdle (the policy's guardedConn takes
// spareIdleOf and returned).
func (s *acceptSpare) guard(conn net.Conn) *guardedConn {
	return &guardedConn{Conn: conn, idle: spareIdleOf(0), spareBack: s.returned}
}

// spareIdleOf is the idle timeout of a connection on the spare under a
// console's idle timeout (0: none): spareIdle, or idle when shorter.
func spareIdleOf(idle time.Duration) time.Duration {
	if idle <= 0 || idle > spareIdle {
		return spareIdle
	}
	return idle
}

// pause waits before the next accept, 100 ms doubled up to 1 s: the
// waits of the loop, with awaitBack, while an error is not a want of
// fds, or while a client waits and cfkd has not even the spare's fd
// (REFERENCE §7.6).
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

// fdsShortStreamError answers a stream asked on the spare: err is the
// accept failure its connection came in (the accept goroutine makes it).
func fdsShortStreamError(err error) error {
	lim := "in the system"
	if errors.Is(err, syscall.EMFILE) {
		lim = fmt.Sprintf("(limit %d)", softNofile())
	}
	return fmt.Errorf("cfkd: too many open files %s: no fd left for a stream: this connection has the fd cfkd keeps for short requests; "+
		"close other admin connections (cfkctl events, cfkctl tail -f) and try again, "+
		"or raise cfkd's limit (prlimit --nofile=SOFT:HARD --pid %d)", lim, os.Getpid())
}

package actors

// The clients still in the backlog of an admin listener that cfkd closes
// for good (a shutdown, REFERENCE §1.5, §7.4): the kernel resets every
// connection it holds there when the listener is closed, so they are
// taken first, without waiting for one more, and each is refused as a
// connection accepted during the drain is, `ERROR: cfkd is shutting
// down`, then closed. New clients are kept out first (stopConnects,
// Linux's): one that connected after the last accept and before the
// close was reset all the same.

import (
	"net"
	"os"
	"syscall"
)

// maxBacklogRefused bounds the connections RefuseBacklog takes: a
// listener's backlog holds a few thousand at most (somaxconn).
const maxBacklogRefused = 1 << 16

// RefuseBacklog answers `ERROR: why` to every connection that waits in
// ln's backlog, and closes it; it returns how many there were. Each is
// taken with one accept(2) that does not wait (the listener's socket is
// non-blocking, as the runtime's are), until none is left: it never waits
// for a client. Closed with them in its backlog, the listener reset them:
// a client that had connected while cfkd loaded its -c FILE (its console
// not serving yet) or as a shutdown's drain closed the console read
// `connection reset by peer`, and a stream's client took it for a lost
// cfkd. ln takes no new connection first (stopConnects, on Linux), so
// that a client that comes after the last accept, before the caller
// closes ln, is refused at its connect as after the close, not reset.
// p may be nil (no policy: the refusals are not lingered on). It is
// called off the actors, by the daemon or the console's goroutine, on a
// listener closed right after.
func RefuseBacklog(ln net.Listener, p *ConsolePolicy, why error) int {
	if p != nil {
		p.init()
	}
	stopConnects(ln)
	n := 0
	for n < maxBacklogRefused {
		conn := acceptNoWait(ln)
		if conn == nil {
			break
		}
		n++
		p.refuse(conn, why)
	}
	return n
}

// acceptNoWait takes the next connection of ln's backlog with one
// accept(2) that does not wait; nil when none is there (or on an error,
// or for a listener with no socket).
func acceptNoWait(ln net.Listener) net.Conn {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	nfd := -1
	rc.Control(func(fd uintptr) {
		for {
			// close-on-exec set under ForkLock, as the runtime does
			// where accept4(2) is missing (darwin): no service inherits
			// the connection
			syscall.ForkLock.RLock()
			s, _, err := syscall.Accept(int(fd))
			if err == nil {
				syscall.CloseOnExec(s)
			}
			syscall.ForkLock.RUnlock()
			switch err {
			case nil:
				nfd = s
			case syscall.EINTR, syscall.ECONNABORTED:
				continue
			}
			return
		}
	})
	if nfd < 0 {
		return nil
	}
	f := os.NewFile(uintptr(nfd), "admin connection")
	defer f.Close()
	conn, err := net.FileConn(f) // a dup, made non-blocking
	if err != nil {
		return nil
	}
	return conn
}

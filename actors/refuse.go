package actors

import (
	"net"
	"syscall"
	"time"

	"github.com/cfk/cfk/internal/nowait"
)

// maxRefusing bounds the refused TCP connections lingered on at once
// (lingerRefused): past it, a refused connection is closed as soon as it
// has its answer (a flood of connections must not take the fds that the
// bound keeps for services).
const maxRefusing = 32

// refuseLinger is how long a refused TCP connection is lingered on.
const refuseLinger = time.Second

// refuse answers `ERROR: why` on conn and closes it (REFERENCE §5.4;
// a connection accepted during a shutdown's drain, §7.4). p may be nil
// (a console without a policy: tests), which lingers on none.
// The accept goroutine calls it and it never waits: the line goes out
// with one write that does not block (a fresh socket's send buffer has
// room for it), then the write side is shut (the client reads the line
// and its end), and what the client had sent is read and dropped (a
// close with unread data would reset the connection, and the client
// could lose the line). A UNIX connection is then shut both ways and
// closed: nothing the client sends after can reach it. A TCP one is
// lingered on in a goroutine, dropping what comes, until the client
// closes or refuseLinger passes, so that the kernel does not reset it
// while the line may still need to be sent again; at most maxRefusing
// at once, the others are closed at once (a reset then comes after the
// end the client has read already).
//
// A guardedConn (one the accept goroutine admitted, that the console
// refuses because it drained before the connection came to it) is
// answered, shut and drained through its socket, and closed through
// itself, which gives its slot of the policy back: the socket is hidden
// under it, and was closed unshut with the client's request unread, so
// that the client read the line, then `connection reset by peer`.
func (p *ConsolePolicy) refuse(conn net.Conn, why error) {
	sock := conn
	if g, ok := conn.(*guardedConn); ok {
		sock = g.Conn
	}
	nowait.Write(sock, []byte("ERROR: "+why.Error()+"\r\n"))
	tc, isTCP := sock.(*net.TCPConn)
	if !isTCP || p == nil {
		nowait.Shutdown(sock, syscall.SHUT_RDWR)
		nowait.Drop(sock)
		conn.Close()
		return
	}
	tc.CloseWrite()
	nowait.Drop(tc)
	select {
	case p.refuses <- struct{}{}:
	default:
		conn.Close()
		return
	}
	go lingerRefused(tc, conn, func() { <-p.refuses })
}

// lingerRefused reads and drops what a refused client sends on its
// socket tc until it closes or refuseLinger passes, then closes conn (tc,
// or the guardedConn over it) and calls done.
func lingerRefused(tc *net.TCPConn, conn net.Conn, done func()) {
	defer done()
	defer conn.Close()
	dropInput(tc, refuseLinger)
}

// dropInput reads and drops what conn's peer sends until it closes, or
// linger passes: conn closed with unread input would be reset.
func dropInput(conn net.Conn, linger time.Duration) {
	conn.SetReadDeadline(time.Now().Add(linger))
	buf := make([]byte, 4096)
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}

package actors

// How a drained connection is closed (REFERENCE §1.5, §7.4): its client
// may have gone on writing after the drain began (a client that
// pipelines), and a close with those bytes unread makes the kernel reset
// the connection: a UNIX client read its replies, then `connection reset
// by peer` where it waited for the end; a TCP one could lose the replies
// not sent yet.

import (
	"net"
	"syscall"
	"time"

	"github.com/cfk/cfk/internal/nowait"
)

// drainDropMax bounds what closeDrained reads and drops without waiting.
const drainDropMax = 4 << 20

// closeDrained ends conn, a drained connection whose replies are written,
// so that the kernel does not reset it: a UNIX one is shut both ways
// (nothing its client sends after reaches it) and what it had sent is
// dropped; a TCP one has its write side shut (the client reads every
// reply, then the end), what came is dropped, and what its client sends
// is read and dropped until it closes or by, the drain's bound, passes,
// whether it had sent more or not: closed at once, its replies not all
// sent yet (a client slow to read), a line its client sent a moment
// later reached a closed socket, and the kernel reset the connection,
// dropping those replies. The caller closes conn.
func closeDrained(conn interface {
	net.Conn
	CloseWrite() error
}, by time.Time) {
	if _, unix := conn.(*net.UnixConn); unix {
		nowait.Shutdown(conn, syscall.SHUT_RDWR)
		dropArrived(conn)
		return
	}
	if conn.CloseWrite() != nil {
		return
	}
	dropArrived(conn)
	if time.Now().Before(by) {
		dropInput(conn, time.Until(by))
	}
}

// dropArrived reads and drops what has arrived on conn, without waiting
// for more (nowait.Drop, until drainDropMax), and says how many bytes.
func dropArrived(conn net.Conn) int {
	n := 0
	for n < drainDropMax {
		m := nowait.Drop(conn)
		if m <= 0 {
			break
		}
		n += m
	}
	return n
}

package nowait

import (
	"net"
	"syscall"
	"time"
)

// Write writes b on conn with one write(2) that does not wait, not
// retried when it would block. A conn that is no socket gets a write
// with a deadline 10 ms away.
func Write(conn net.Conn, b []byte) {
	rc := raw(conn)
	if rc == nil {
		conn.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
		conn.Write(b)
		return
	}
	rc.Write(func(fd uintptr) bool {
		syscall.Write(int(fd), b)
		return true
	})
}

// Drop reads and drops what conn has received already, at most 256 KiB,
// without waiting for more: a close with unread data would reset the
// connection, and its client could lose the answer written before.
func Drop(conn net.Conn) {
	rc := raw(conn)
	if rc == nil {
		return
	}
	rc.Read(func(fd uintptr) bool {
		var buf [4096]byte
		for range 64 {
			if n, err := syscall.Read(int(fd), buf[:]); n <= 0 || err != nil {
				break
			}
		}
		return true
	})
}

// Shutdown shuts conn's socket (how: syscall.SHUT_RD, SHUT_WR, SHUT_RDWR).
func Shutdown(conn net.Conn, how int) {
	if rc := raw(conn); rc != nil {
		rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), how) })
	}
}

func raw(conn net.Conn) syscall.RawConn {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

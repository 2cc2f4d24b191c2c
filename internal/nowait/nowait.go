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

// Read reads into p what c (a socket, or a pipe from os.Pipe: any
// non-blocking descriptor) has received already, with one read(2) that
// does not wait: n is 0 when nothing has come (or on an error, or for a
// c with no descriptor), and eof says that the end of input was met. A
// read deadline that has passed does not stop it, as it stops c.Read: a
// connection or a pipe whose reads were ended by one (a drain, the end of
// a proxy's run) can still take what had come.
func Read(c any, p []byte) (n int, eof bool) {
	rc := raw(c)
	if rc == nil || len(p) == 0 {
		return 0, false
	}
	rc.Control(func(fd uintptr) {
		for {
			m, err := syscall.Read(int(fd), p)
			if err == syscall.EINTR {
				continue
			}
			if err == nil && m > 0 {
				n = m
			}
			eof = err == nil && m == 0
			return
		}
	})
	return n, eof
}

// Drop reads and drops what conn has received already, at most 256 KiB,
// without waiting for more: a close with unread data would reset the
// connection, and its client could lose the answer written before. It
// returns how many bytes it dropped.
func Drop(conn net.Conn) int {
	var buf [4096]byte
	dropped := 0
	for range 64 {
		n, _ := Read(conn, buf[:])
		if n <= 0 {
			break
		}
		dropped += n
	}
	return dropped
}

// Shutdown shuts conn's socket (how: syscall.SHUT_RD, SHUT_WR, SHUT_RDWR).
func Shutdown(conn net.Conn, how int) {
	if rc := raw(conn); rc != nil {
		rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), how) })
	}
}

func raw(c any) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

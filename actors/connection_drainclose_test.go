package actors

import (
	"bytes"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestDrainedTCPCloseWaitsForItsClientWithNoInput: a drained TCP
// connection whose client had sent nothing more when it closed, its last
// replies still in cfkd's socket (a client slow to read), and whose
// client sends a line then (a request pipelined a moment late) gets
// every reply, then the end. It was closed at once, unlike one whose
// client had sent more: the line reached a closed socket, and the kernel
// reset the connection, dropping the replies not sent yet (REFERENCE
// §1.5: a TCP one is read until its client closes, 2 s at most).
func TestDrainedTCPCloseWaitsForItsClientWithNoInput(t *testing.T) {
	t.Parallel()
	client, server := tcpPairSmallWindow(t)
	defer client.Close()
	// the replies: as much as cfkd's socket takes, most of it unsent
	// (the client's window is small, and it reads nothing yet)
	n := fillSocket(t, server, bytes.Repeat([]byte("running\tsvc\r\n"), 1<<20/13))
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		closeDrained(server, time.Now().Add(drainWriteBound))
		server.Close()
	}()
	select {
	case <-closed: // closed at once: what the client sends now is reset
	case <-time.After(window): // lingered on
	}
	client.Write([]byte("command status\r\n"))
	client.SetReadDeadline(time.Now().Add(connWait))
	got, err := io.ReadAll(client)
	if err != nil || len(got) != n {
		t.Fatalf("the client read %d bytes of %d, then %v: the close reset the connection", len(got), n, err)
	}
	client.Close()
	select {
	case <-closed:
	case <-time.After(connWait):
		t.Fatal("the drained connection was not closed once its client closed")
	}
}

// fillSocket writes b on conn until its socket takes no more, with
// write(2)s that do not wait, and returns how many bytes it took. A
// write with a deadline (window) wrote nothing on a loaded machine: the
// deadline passed before the write began.
func fillSocket(t *testing.T, conn *net.TCPConn, b []byte) int {
	t.Helper()
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for full := false; !full; {
		var werr error
		rc.Write(func(fd uintptr) bool {
			m, err := syscall.Write(int(fd), b)
			if m > 0 {
				n += m
			}
			werr = err
			return true // no wait: EAGAIN is a full socket
		})
		switch {
		case werr == syscall.EAGAIN:
			full = true
		case werr != nil && werr != syscall.EINTR:
			t.Fatalf("write: %v", werr)
		}
	}
	if n == 0 {
		t.Fatal("nothing written")
	}
	return n
}

// tcpPairSmallWindow is tcpPair with a client whose receive buffer, and
// so the window it offers, is small (4 KiB).
func tcpPairSmallWindow(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	c, s := tcpPairDialed(t, d)
	t.Cleanup(func() { s.Close() })
	return c, s
}

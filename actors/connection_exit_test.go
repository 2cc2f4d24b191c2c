package actors

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

// tcpPair returns the two ends of a TCP connection on loopback.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	return tcpPairDialed(t, net.Dialer{})
}

// tcpPairDialed is tcpPair with the client dialled by d.
func tcpPairDialed(t *testing.T, d net.Dialer) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		c.Close()
		t.Fatal("accept failed")
	}
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// TestConnectionExitWithMoreBehindOnTCP: a TCP client that pipelined
// requests, then `exit`, then more (a file piped to the console with an
// `exit` in it) lost most of the replies before the `exit`: cfkd closed
// the connection with the bytes after it unread, and the kernel answered
// with a reset, dropping the replies it had not sent yet (of 2,000, a few
// hundred came, then `connection reset by peer`). They all come now, then
// the end of the connection (REFERENCE §1.5).
func TestConnectionExitWithMoreBehindOnTCP(t *testing.T) {
	t.Parallel()
	client, server := tcpPair(t)
	// the replies wait in cfkd's send buffer while the client reads none
	client.SetReadBuffer(4 << 10)
	server.SetWriteBuffer(1 << 20)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	var lines []string
	for range 40 {
		lines = append(lines, "command status")
	}
	want := r.expected(lines, true)
	behind := []byte(strings.Repeat("service late desc=x\r\n", 1<<15)) // never read
	wrote := make(chan error, 1)
	go func() {
		_, err := client.Write(append([]byte(strings.Join(lines, "\r\n")+"\r\nexit\r\n"), behind...))
		wrote <- err
	}()
	// every reply written (to the socket), the client having read none
	r.waitFor("the replies written", func() bool {
		reqs, _, replyBytes := r.ioStats()
		return r.fake.got.Load() == int64(len(lines)) && reqs == 0 && replyBytes == 0
	})
	var got bytes.Buffer
	_, err := got.ReadFrom(client)
	if err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("read %d bytes of the %d of the replies before the exit, then %v; want them all, then the end", got.Len(), len(want), err)
	}
	client.Close()
	<-wrote
	if n := r.fake.got.Load(); n != int64(len(lines)) {
		t.Fatalf("the controller got %d requests, want %d: nothing after the exit is run", n, len(lines))
	}
}

package web

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// keepAliveGet sends one GET on conn and reads its response whole,
// leaving the connection open (HTTP/1.1 keep-alive).
func keepAliveGet(t *testing.T, conn net.Conn, r *bufio.Reader) {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("GET /api/services HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("GET: %s, close %v; want 200 on a kept connection", resp.Status, resp.Close)
	}
}

// Idle keep-alive connections held every place (Conns): anyone who may
// connect, with a GET every two minutes (IdleTimeout), locked out a
// client with a request to make, the token holder's POST included. Once
// every place is taken, the one idle the longest is closed to make room,
// and a request under way is never cut.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	t.Parallel()
	// every client here is one peer: no bound per peer (TestPlacesPerUser)
	srv := New(Options{OpenRead: true, Source: newBigSource(1), Log: quietLog(), Conns: 2, ConnsPerPeer: -1})
	idle := make(chan net.Conn, 8)
	srv.http.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateIdle {
			idle <- c
		}
	}
	addr, _ := serveCounting(t, srv)
	var conns []net.Conn
	var readers []*bufio.Reader
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		r := bufio.NewReader(c)
		keepAliveGet(t, c, r)
		conns, readers = append(conns, c), append(readers, r)
		select { // the server took it for idle (after the client read the answer)
		case <-idle:
		case <-time.After(10 * time.Second):
			t.Fatal("the connection never went idle")
		}
	}
	// every place is held by an idle connection: a third client is served
	// at once, not after IdleTimeout (2 minutes)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/api/services")
	if err != nil {
		t.Fatalf("a client past the idle connections: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	client.CloseIdleConnections()
	// the one idle the longest was closed
	conns[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := readers[0].ReadByte(); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("the connection idle the longest: read %v, want it closed by cfkd", err)
	}
}

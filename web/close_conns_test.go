package web

import (
	"net"
	"net/http"
	"testing"
	"time"
)

// With Conns connections open, Close must still return within its 2 s
// (server.go: "waits up to 2 seconds"; cfkd's shutdown calls it): but
// Serve's Accept waits for a slot, and http.Server.Shutdown (and Close)
// wait for Serve to return before they close any connection. Here two
// clients connected and sent nothing yet (a browser's preconnect): Close
// waited for ReadHeaderTimeout (10 s); with idle keep-alive connections
// it waited for IdleTimeout (2 min). Closing the listener now ends the
// Accept waiting for a slot.
func TestCloseWithAllConnsOpen(t *testing.T) {
	// every client here is one peer: no bound per peer (TestPlacesPerUser)
	srv := New(Options{OpenRead: true, Source: newBigSource(1), Log: quietLog(), Conns: 2, ConnsPerPeer: -1})
	accepted := make(chan struct{}, 4)
	srv.http.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			accepted <- struct{}{}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { srv.Serve(ln); close(served) }()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		<-served
	}()
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		select {
		case <-accepted:
		case <-time.After(deadline):
			t.Fatal("connection not accepted")
		}
	}
	closed := make(chan struct{})
	start := time.Now()
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatalf("Server.Close still blocked after %v with Conns (2) connections open: Shutdown waits for Serve, Serve's Accept for a free slot", time.Since(start).Round(time.Second))
	}
}

package web

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
)

// bigSource answers every snapshot with n services, each with a long
// desc: a response of megabytes.
type bigSource struct{ snap actors.Snapshot }

func newBigSource(n int) *bigSource {
	desc := strings.Repeat("d", 1600)
	svcs := make([]messages.ServiceInfo, n)
	for i := range svcs {
		svcs[i] = messages.ServiceInfo{Name: fmt.Sprintf("s%05d", i), State: messages.Stopped, Desc: desc, Cmd: "sleep 100"}
	}
	return &bigSource{snap: actors.Snapshot{At: time.Now(), Services: svcs}}
}

func (b *bigSource) Snapshot(context.Context, []string) (actors.Snapshot, error) { return b.snap, nil }
func (b *bigSource) Do(context.Context, messages.Verb, string) (messages.Reply, error) {
	return messages.Reply{}, nil
}

// serveCounting serves srv on a loopback port; each handler's return is
// told on the channel, with the request's path.
func serveCounting(t *testing.T, srv *Server) (string, <-chan string) {
	done := make(chan string, 16)
	inner := srv.http.Handler
	srv.http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r)
		done <- r.URL.Path
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(srv.Close)
	return ln.Addr().String(), done
}

// dialTinyWindow dials addr with a receive buffer of 4 KiB.
func dialTinyWindow(t *testing.T, addr string) net.Conn {
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return nil
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// A plain GET (here /api/services; /metrics and the log are the same)
// whose client never reads its answer is cut off once it has taken nothing
// for WriteTimeout: its handler returns, with its goroutine and buffers.
// It held them until cfkd stopped, for as many clients as came (the GETs
// need no token).
func TestClientThatDoesNotReadIsCutOff(t *testing.T) {
	t.Parallel()
	srv := New(Options{OpenRead: true, Source: newBigSource(5000), Log: quietLog(), WriteTimeout: 200 * time.Millisecond})
	addr, done := serveCounting(t, srv)
	conn := dialTinyWindow(t, addr)
	if _, err := conn.Write([]byte("GET /api/services HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-done:
		if p != "/api/services" {
			t.Fatalf("handler of %s returned", p)
		}
	case <-time.After(deadline):
		t.Fatalf("GET /api/services by a client that does not read: its handler still blocked after %v", deadline)
	}
}

// A client that reads slowly but steadily gets the whole response: the
// deadline is on each piece, not on the response.
func TestSlowReaderGetsItAll(t *testing.T) {
	t.Parallel()
	srv := New(Options{OpenRead: true, Source: newBigSource(2000), Log: quietLog(), WriteTimeout: 500 * time.Millisecond})
	addr, _ := serveCounting(t, srv)
	conn := dialTinyWindow(t, addr)
	conn.SetDeadline(time.Now().Add(deadline))
	if _, err := conn.Write([]byte("GET /api/services HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	var got int
	buf := make([]byte, 32<<10)
	start := time.Now()
	for {
		n, err := conn.Read(buf)
		got += n
		if err != nil {
			break
		}
		time.Sleep(time.Millisecond) // about 32 MB/s at most: slower than the server writes
	}
	if want := 2000 * 1600; got < want {
		t.Fatalf("a steady slow reader got %d bytes in %v, want more than %d", got, time.Since(start), want)
	}
}

// At most Conns connections are open at once: the next waits in the
// backlog, and is served once one closes.
func TestConnectionsBounded(t *testing.T) {
	t.Parallel()
	// every client here is one peer: no bound per peer (TestPlacesPerUser)
	srv := New(Options{OpenRead: true, Source: newBigSource(1), Log: quietLog(), Conns: 2, ConnsPerPeer: -1})
	addr, done := serveCounting(t, srv)
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		held = append(held, c)
	}
	third, err := net.Dial("tcp", addr) // the kernel completes it: it waits in the backlog
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { third.Close() })
	if _, err := third.Write([]byte("GET /api/services HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-done:
		t.Fatalf("%s served with 2 connections held and Conns 2", p)
	case <-time.After(200 * time.Millisecond):
	}
	held[0].Close()
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatalf("the waiting connection not served after one closed (%v)", deadline)
	}
}

// floodLogs follows every service with lines as fast as its reader takes
// them, until stop.
type floodLogs struct{}

func (floodLogs) Last(string, int) ([]string, error) { return nil, nil }
func (floodLogs) Follow(string) (<-chan string, func(), func() string, error) {
	lines, quit := make(chan string, 64), make(chan struct{})
	go func() {
		line := strings.Repeat("x", 200)
		for {
			select {
			case lines <- line:
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return lines, func() { once.Do(func() { close(quit) }) }, func() string { return "" }, nil
}

// A stream whose client takes nothing is cut off with little queued for
// it in cfkd's socket: the kernel grew the send buffer of a stream as long
// as it took every write, up to 4 MiB (net.ipv4.tcp_wmem), and cut
// off the client only once that was full: 4 MiB of kernel memory per
// client that never read, 256 of them at once.
func TestStreamOfAClientThatTakesNothingQueuesLittle(t *testing.T) {
	t.Parallel()
	srv := New(Options{OpenRead: true, Source: newBigSource(1), Logs: floodLogs{}, Log: quietLog(), WriteTimeout: time.Second})
	addr, done := serveCounting(t, srv)
	conn := dialTinyWindow(t, addr)
	if _, err := conn.Write([]byte("GET /api/services/s00000/log/follow HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatalf("a follow whose client takes nothing: its handler still blocked after %v", deadline)
	}
	// what cfkd queued for it arrives, then the end
	conn.SetReadDeadline(time.Now().Add(deadline))
	got, err := io.Copy(io.Discard, conn)
	if err != nil && !isReset(err) {
		t.Fatalf("reading what was queued: %v", err)
	}
	if got > 1<<20 {
		t.Errorf("%d bytes were queued in cfkd's socket for a client that took nothing, want at most 1 MiB", got)
	}
	t.Logf("%d bytes queued", got)
}

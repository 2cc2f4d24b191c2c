package peeruid

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

const nobody = 65534

// accept1 listens on addr and returns the listener; the test closes it.
func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// A connection this process made is this process's uid's, on IPv4 and
// IPv6 loopback.
func TestOfSelf(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln := listen(t, addr)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		uid, err := Of(s)
		if err != nil || uid != uint32(os.Geteuid()) {
			t.Fatalf("%s: Of = %d, %v; want %d", addr, uid, err, os.Geteuid())
		}
	}
}

// TestRunAsClient is the client that TestOfOtherUser and
// TestOfClosedClient run as nobody: it connects to PEERUID_ADDR, and then
// waits for the server to close (hold) or closes at once (close).
func TestRunAsClient(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by RunAs only")
	}
	c, err := net.Dial("tcp", os.Getenv("PEERUID_ADDR"))
	if err != nil {
		testkit.RunAsOutput("dial: " + err.Error())
		return
	}
	if os.Getenv("PEERUID_MODE") == "close" {
		c.Close()
		testkit.RunAsOutput("closed")
		return
	}
	c.Write([]byte("x"))
	io.Copy(io.Discard, c)
	testkit.RunAsOutput("held")
}

// serveOne accepts one connection on ln and returns it, with the output
// of the client run as nobody in mode (a channel, closed after it).
func serveOne(t *testing.T, ln net.Listener, mode string) (net.Conn, <-chan string) {
	t.Helper()
	out := make(chan string, 1)
	go func() {
		out <- testkit.RunAs(t, nobody, nobody, "TestRunAsClient", "PEERUID_ADDR="+ln.Addr().String(), "PEERUID_MODE="+mode)
	}()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second))
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, out
}

// A client run as nobody is nobody's: another user's connection is told
// apart from cfkd's own.
func TestOfOtherUser(t *testing.T) {
	testkit.RequireRoot(t)
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln := listen(t, addr)
		s, out := serveOne(t, ln, "hold")
		s.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := s.Read(make([]byte, 1)); err != nil { // it is connected and waiting
			t.Fatal(err)
		}
		uid, err := Of(s)
		s.Close()
		if got := <-out; got != "held" {
			t.Fatalf("the client said %q", got)
		}
		if err != nil || uid != nobody {
			t.Fatalf("%s: Of = %d, %v; want %d (nobody)", addr, uid, err, nobody)
		}
	}
}

// A client that closed its end leaves a TIME_WAIT socket, which the
// kernel reports as uid 0: Of refuses it, it never says root.
func TestOfClosedClient(t *testing.T) {
	testkit.RequireRoot(t)
	ln := listen(t, "127.0.0.1:0")
	s, out := serveOne(t, ln, "close")
	if got := <-out; got != "closed" {
		t.Fatalf("the client said %q", got)
	}
	s.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read: %v, want EOF", err)
	}
	uid, err := Of(s)
	if err == nil {
		t.Fatalf("Of of a closed client = %d, want an error", uid)
	}
	if !errors.Is(err, errClosed) {
		t.Fatalf("Of: %v, want %v", err, errClosed)
	}
}

// Only loopback connections are looked up.
func TestOfNotLoopback(t *testing.T) {
	c := fakeConn{local: &net.TCPAddr{IP: net.ParseIP("10.0.0.1"), Port: 80}, remote: &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 5000}}
	if _, err := Of(c); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("Of = %v, want ErrNotLoopback", err)
	}
	c.local, c.remote = c.remote, &net.TCPAddr{IP: net.ParseIP("10.0.0.2"), Port: 5000}
	if _, err := Of(c); !errors.Is(err, ErrNotLoopback) || IsLoopback(c) {
		t.Fatalf("Of = %v, want ErrNotLoopback", err)
	}
}

type fakeConn struct {
	net.Conn
	local, remote net.Addr
}

func (f fakeConn) LocalAddr() net.Addr  { return f.local }
func (f fakeConn) RemoteAddr() net.Addr { return f.remote }

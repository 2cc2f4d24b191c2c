package actors

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// TestRefuseBacklog: the clients waiting in a listener's backlog, closed
// for a shutdown, are each answered `ERROR: cfkd is shutting down` and
// closed, on a UNIX socket and on TCP; nothing is left to accept. The
// close alone reset them (`connection reset by peer`), what a cfkd shut
// down while it loaded its -c FILE did to every client that had
// connected meanwhile (REFERENCE §7.4).
func TestRefuseBacklog(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			ln := listenOn(t, network)
			var clients []net.Conn
			for range 3 {
				c, err := net.Dial(network, ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.Write([]byte("command events\r\n"))
				clients = append(clients, c)
			}
			p := &ConsolePolicy{}
			if n := RefuseBacklog(ln, p, errShuttingDown); n != len(clients) {
				t.Errorf("%d connections refused, want %d", n, len(clients))
			}
			ln.Close()
			for _, c := range clients {
				c.SetReadDeadline(time.Now().Add(connWait))
				readAll(t, c, []byte("ERROR: cfkd is shutting down\r\n"))
			}
		})
	}
}

// TestShutdownDrainRefusesTheBacklog: a client that connected as the
// console drains for a shutdown, still in the listener's backlog when
// the accept goroutine stopped, gets `ERROR: cfkd is shutting down` and
// the end, as one the accept goroutine took then (REFERENCE §1.5): the
// listener's close reset it. Here the console was paused first (an
// upgrade's drain), so that the client waits in the backlog for sure.
func TestShutdownDrainRefusesTheBacklog(t *testing.T) {
	t.Parallel()
	ln, sys, pid := drainedConsole(t, true)
	client, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	client.Write([]byte("command status\r\n"))
	if _, err := sys.Root.RequestFuture(pid, DrainConsole{}, connWait).Result(); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(connWait))
	readAll(t, client, []byte("ERROR: cfkd is shutting down\r\n"))
	if _, err := net.Dial("unix", ln.Addr().String()); err == nil {
		t.Error("the listener still accepts once the console drained")
	}
}

// listenOn is a listener on a new UNIX socket or on a TCP port of
// loopback, closed at the test's end.
func listenOn(t *testing.T, network string) net.Listener {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "sock")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

//go:build linux

package actors

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestRefuseBacklogKeepsLateClientsOut: a client that connects after
// the backlog of a listener closed for a shutdown was refused, before
// the listener's close (a SIGTERM while cfkd loads its -c FILE: the
// daemon refuses the backlog, then closes), is refused at its connect,
// as after the close, on a UNIX socket and on TCP: it connected, and
// the close reset it (`connection reset by peer`), of a cfkd that
// answers every client of its backlog `ERROR: cfkd is shutting down`
// (REFERENCE §7.4). The TCP listener is plain TCP, as the daemon's
// (an MPTCP one takes no socket filter).
func TestRefuseBacklogKeepsLateClientsOut(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			ln := listenOn(t, network)
			if network == "tcp" {
				ln = listenPlainTCP(t)
			}
			waiting, err := net.Dial(network, ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer waiting.Close()
			if n := RefuseBacklog(ln, &ConsolePolicy{}, errShuttingDown); n != 1 {
				t.Fatalf("%d connections refused, want 1", n)
			}
			// the late client comes now, between the refusal and the close
			type dialed struct {
				c   net.Conn
				err error
			}
			late := make(chan dialed, 1)
			go func() {
				c, err := net.DialTimeout(network, ln.Addr().String(), connWait)
				late <- dialed{c, err}
			}()
			var d dialed
			select {
			case d = <-late: // the UNIX one at once; the TCP one if it was let in
			case <-time.After(window): // the TCP one: its SYN is dropped
			}
			ln.Close()
			if d.c == nil && d.err == nil {
				select {
				case d = <-late:
				case <-time.After(connWait + time.Second):
					t.Fatal("the late client's connect never returned")
				}
			}
			if d.c != nil {
				defer d.c.Close()
				d.c.SetReadDeadline(time.Now().Add(connWait))
				_, err := d.c.Read(make([]byte, 64))
				t.Fatalf("the late client connected once the backlog was refused, then read %v at the close", err)
			}
			if !errors.Is(d.err, syscall.ECONNREFUSED) {
				t.Fatalf("the late client's connect: %v, want connection refused", d.err)
			}
			waiting.SetReadDeadline(time.Now().Add(connWait))
			readAll(t, waiting, []byte("ERROR: cfkd is shutting down\r\n"))
		})
	}
}

// listenPlainTCP is a listener on a TCP port of loopback, plain TCP
// (net.Listen makes an MPTCP one where the kernel has it), closed at the
// test's end.
func listenPlainTCP(t *testing.T) net.Listener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

package actors

import (
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestRefuseGuardedConnWithoutAReset: a connection the accept goroutine
// admitted under a policy (a guardedConn, as every connection of cfkd's
// console is), then refused because the console drained before it came
// to the actor, is refused as a bare one is: its client, whose request
// was unread, reads `ERROR: cfkd is shutting down` and the end, not
// `connection reset by peer` (the guardedConn hid its socket: the
// refusal neither shut it nor dropped what had come, and closed it with
// the request unread), and its slot of the policy is given back once.
func TestRefuseGuardedConnWithoutAReset(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			ln := listenOn(t, network)
			client, err := net.Dial(network, ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			conn, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			// the request arrives before the refusal: it is unread
			want := []byte("command status\r\n")
			if _, err := client.Write(want); err != nil {
				t.Fatal(err)
			}
			waitArrived(t, conn, len(want))
			var released atomic.Int32
			g := &guardedConn{Conn: conn, release: func() { released.Add(1) }}
			p := &ConsolePolicy{}
			p.init()
			p.refuse(g, errShuttingDown)
			client.SetReadDeadline(time.Now().Add(connWait))
			readAll(t, client, []byte("ERROR: cfkd is shutting down\r\n"))
			client.Close() // the TCP one's linger ends
			deadline := time.Now().Add(connWait)
			for released.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond) // the TCP one is released once lingered on
			}
			if n := released.Load(); n != 1 {
				t.Errorf("its policy slot released %d times, want 1", n)
			}
		})
	}
}

// waitArrived waits until conn has n bytes to read, without reading them
// (recv(2) with MSG_PEEK).
func waitArrived(t *testing.T, conn net.Conn, n int) {
	t.Helper()
	rc, err := conn.(interface {
		SyscallConn() (syscall.RawConn, error)
	}).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(connWait)
	for {
		got := 0
		buf := make([]byte, n)
		rc.Control(func(fd uintptr) {
			got, _, _ = syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		})
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes arrived, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

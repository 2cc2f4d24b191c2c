package ctl

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/cfk/cfk/protocol"
)

// A stream (cfkctl events, tail -f) has no reply to wait for: --timeout
// bounds the connect and each reply only (REFERENCE §8.1), and events runs
// "until interrupted, or until cfkd closes the streams (exit status 0)"
// (§8.2). On a TCP console with --token-file, the deadline set for the
// `auth` reply must not stay on the stream's connection.
func TestEventsWithTokenOutlivesTimeout(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef"
	file := writeToken(t, tok+"\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(conn)
		if l, err := protocol.ReadRequest(r); err != nil || l != "auth "+tok {
			return
		}
		conn.Write([]byte("OK\r\n"))
		if l, err := protocol.ReadRequest(r); err != nil || l != "command events all" {
			return
		}
		// the first event comes well after --timeout (a quiet cfkd): 2 s
		// after the request, a second past the auth's deadline; then
		// cfkd closes the stream
		time.Sleep(2 * time.Second)
		conn.Write([]byte(evCrash + "\n" + shutEnd))
	}()
	done := make(chan result, 1)
	go func() {
		done <- runTTY(t, &fakeServer{addr: ln.Addr().String()}, false, nil,
			"--timeout", "1s", "--token-file", file, "events")
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("cfkctl events did not return")
	}
	ln.Close()
	<-served
	want := "16:04:05 web1 running → fail (Exited with error 1)\n"
	if r.code != ExitOK || r.stdout != want {
		t.Errorf("events on a TCP console with a token: code %d, stdout %q, stderr %q; want code 0 and %q",
			r.code, r.stdout, r.stderr, want)
	}
}

package actors

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

// dialFrom is dial from the local address ip (a loopback one).
func (r *consoleRig) dialFrom(ip string) *rawClient {
	r.t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", r.ln.Addr().String())
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(connWait))
	return &rawClient{t: r.t, conn: c, r: bufio.NewReader(c)}
}

// A TCP console with tokens takes at most unauthedPerAddr connections
// from one peer that have not authenticated: the next is refused as one
// too many; an auth, or a close, gives the place back (REFERENCE §5.4).
// On loopback the peer is the uid that owns the client's socket: that
// another uid still gets in is TestUnauthenticatedConnectionsPerUser.
func TestUnauthenticatedConnectionsPerAddress(t *testing.T) {
	t.Parallel()
	r := newConsoleRig(t, "tcp", &ConsolePolicy{Tokens: rights.StoreOf(testTokens(t)), AuthDelay: time.Millisecond})
	var held []*rawClient
	for range unauthedPerAddr {
		c := r.dialFrom("127.0.0.1")
		c.expect("command status", "ERROR: not authorized")
		held = append(held, c)
	}
	over := r.dialFrom("127.0.0.1")
	over.conn.Write([]byte("command status\r\n"))
	if got := over.read(); got != "ERROR: too many connections" {
		t.Fatalf("one too many from 127.0.0.1: %q", got)
	}
	over.closed()

	held[0].expect("auth "+readTok, "OK")
	r.dialFrom("127.0.0.1").expect("command status", "ERROR: not authorized")

	held[1].conn.Close()
	waitFor(t, "the place of a closed connection given back", func() bool {
		c := r.dialFrom("127.0.0.1")
		defer c.conn.Close()
		return c.do("command status") == "ERROR: not authorized"
	})
	if log := r.rec.text(); !strings.Contains(log, "connection refused: too many connections (32 connections from ") ||
		!strings.Contains(log, " not authenticated yet)") {
		t.Errorf("the refusal is not logged:\n%s", log)
	}
}

package actors

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/rights"
)

// TestRunAsUnauthedHolder is the local user of
// TestUnauthenticatedConnectionsPerUser, run as nobody: it opens
// unauthedPerAddr connections to UNAUTHED_ADDR without a token, checks
// that one more is refused, says "held", and keeps them until its stdin
// closes.
func TestRunAsUnauthedHolder(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by StartAs only")
	}
	ask := func(c net.Conn, r *bufio.Reader) string {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		c.Write([]byte("command status\r\n"))
		l, err := r.ReadString('\n')
		if err != nil {
			return err.Error()
		}
		return strings.TrimSpace(l)
	}
	var held []net.Conn
	for k := range unauthedPerAddr + 1 {
		c, err := net.Dial("tcp", os.Getenv("UNAUTHED_ADDR"))
		if err != nil {
			testkit.RunAsOutput("dial: " + err.Error())
			return
		}
		held = append(held, c)
		want := "ERROR: not authorized"
		if k == unauthedPerAddr {
			want = "ERROR: too many connections"
		}
		if got := ask(c, bufio.NewReader(c)); got != want {
			testkit.RunAsOutput(fmt.Sprintf("connection %d: %q, want %q", k+1, got, want))
			return
		}
	}
	testkit.RunAsOutput("held")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range held {
		c.Close()
	}
}

// One local user holding every place a peer gets for connections not
// authenticated yet on a loopback TCP console does not keep the other
// users out: the places are counted per uid that owns the client's socket,
// not per address, on loopback every local user's (REFERENCE §5.4).
func TestUnauthenticatedConnectionsPerUser(t *testing.T) {
	testkit.RequireRoot(t)
	r := newConsoleRig(t, "tcp", &ConsolePolicy{Tokens: rights.StoreOf(testTokens(t)), AuthDelay: time.Millisecond})
	child := testkit.StartAs(t, 65534, 65534, "TestRunAsUnauthedHolder", "UNAUTHED_ADDR="+r.ln.Addr().String())
	child.Expect(t, "held", connWait)
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		c := r.dialFrom(ip)
		c.expect("auth "+readTok, "OK")
		c.expect("command status", "OK|"+strings.Repeat("s", 99))
	}
	child.Stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("nobody's client: %v\n%s", err, child.Stderr())
	}
	if log := r.rec.text(); !strings.Contains(log, "connection refused: too many connections (32 connections from uid 65534 not authenticated yet)") {
		t.Errorf("the refusal does not name nobody's uid:\n%s", log)
	}
}

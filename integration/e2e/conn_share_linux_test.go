package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// cfkd with a TCP console and tokens: one local user with a read token
// holds at most half of the places (`command events` on each), its next
// auth refused as one too many; another user (nobody) with the same token
// gets the places down to the last 4 of 16, kept for admin; an admin
// token still gets in and is served (REFERENCE §5.4). Before, one read
// token held every place and the admin token was answered `too many
// connections`.
func TestTCPReadTokenShare(t *testing.T) {
	needRoot(t)
	const (
		max     = 16
		readTok = "e2e-read-token-0123456789"
		admTok  = "e2e-admin-token-0123456789"
	)
	tokens := tokenFile(t, t.TempDir(), "tokens", 0, "read "+readTok+" reader", "admin "+admTok+" boss")
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	d := startDaemonTCP(t, addr, addr, "--admin-token", tokens, "--max-connections", strconv.Itoa(max))
	for range max / 2 {
		c := dialRaw(t, "tcp", addr)
		if got := c.do("auth " + readTok); got != "OK" {
			t.Fatalf("a reader within its share: %q", got)
		}
		c.conn.Write([]byte("command events\r\n")) // a stream: held until closed
	}
	c := dialRaw(t, "tcp", addr)
	if got := c.do("auth " + readTok); got != "ERROR: too many connections" {
		t.Fatalf("a reader past its share: %q", got)
	}
	c.closed()

	child := testkit.StartAs(t, nobodyUID, nobodyUID, "TestRunAsConsolePlaceHolder",
		"CONSPLACES_ADDR="+addr, "CONSPLACES_TOKEN="+readTok, "CONSPLACES_OK="+strconv.Itoa(max/2-4))
	defer func() { child.Stdin.Close(); child.Wait() }()
	select {
	case l := <-child.Lines:
		if l != "held" {
			t.Fatalf("nobody's client: %q", l)
		}
	case <-time.After(2 * deadline):
		t.Fatal("nobody's client did not hold its places in time")
	}
	a := dialRaw(t, "tcp", addr)
	for _, l := range []string{"auth " + admTok, "command status"} {
		if got := a.do(l); got != "OK" {
			t.Fatalf("the admin token with the readers holding their places: %q: %q", l, got)
		}
	}
	// the first refusal of this cfkd: logged (the next, within a second
	// of it, may be counted only: the actors' tests check its line)
	waitLog(t, d.home, "connection refused: too many connections (at auth with token reader: uid 0 holds 8: the most a peer that is not admin may, half of the 16 places")
}

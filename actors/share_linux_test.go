package actors

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/rights"
)

// A peer's share of the console's places (REFERENCE §5.4). On loopback a
// peer is the uid that owns the client's socket (Linux: peeruid), so the
// tests that need two peers run one as nobody.

const shareMax = 16 // 8 a peer, the last 4 kept for admin

// TestRunAsShareHolder is nobody's client of the share tests
// (testkit.HoldConsolePlaces).
func TestRunAsShareHolder(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by StartAs only")
	}
	n, _ := strconv.Atoi(os.Getenv("SHARE_OK"))
	testkit.HoldConsolePlaces(os.Getenv("SHARE_NET"), os.Getenv("SHARE_ADDR"), os.Getenv("SHARE_TOKEN"), n)
}

// startHolder runs TestRunAsShareHolder as nobody and waits for it to
// hold its places.
func startHolder(t *testing.T, network, addr, token string, ok int) *testkit.Child {
	t.Helper()
	child := testkit.StartAs(t, 65534, 65534, "TestRunAsShareHolder",
		"SHARE_NET="+network, "SHARE_ADDR="+addr, "SHARE_TOKEN="+token, "SHARE_OK="+strconv.Itoa(ok))
	wait := sync.OnceValue(child.Wait) // Wait may be called once only
	t.Cleanup(func() { child.Stdin.Close(); wait() })
	select {
	case l, open := <-child.Lines:
		if l != "held" {
			child.Stdin.Close()
			wait()
			t.Fatalf("nobody's client: %q (open %v)\n%s", l, open, child.Stderr())
		}
	case <-time.After(connWait):
		t.Fatal("nobody did not take its places in time")
	}
	return child
}

// One holder of a read (or operate) token holds at most half of the
// places: its next auth is refused as one too many and its connection
// closed, while an admin token from the same peer still gets in (admin
// is bound by no share). Before, one read token could take every place
// and lock the admin tokens out.
func TestTokenPeerShare(t *testing.T) {
	t.Parallel()
	r := newConsoleRig(t, "tcp", &ConsolePolicy{Tokens: rights.StoreOf(testTokens(t)), MaxConnections: shareMax, AuthDelay: time.Millisecond})
	var readers []*rawClient
	for range shareMax / 2 {
		c := r.dial()
		c.expect("auth "+readTok, "OK")
		readers = append(readers, c)
	}
	for _, tok := range []string{readTok, operateTok} {
		c := r.dial()
		c.expect("auth "+tok, "ERROR: too many connections")
		c.closed()
	}
	a := r.dial()
	a.expect("auth "+adminTok, "OK")
	a.expect("command status", "OK|"+strings.Repeat("s", 99))
	readers[0].expect("command status", "OK|"+strings.Repeat("s", 99))
	// an auth as admin gives the reader's place back; a close does too
	readers[0].expect("auth "+adminTok, "OK")
	c := r.dial()
	c.expect("auth "+readTok, "OK")
	readers[1].conn.Close()
	waitFor(t, "a reader's place given back", func() bool {
		c := r.dial()
		defer c.conn.Close()
		return c.do("auth "+operateTok) == "OK"
	})
	want := fmt.Sprintf("connection refused: too many connections (at auth with token monitor: uid %d holds 8: the most a peer that is not admin may, half of the 16 places)", os.Getuid())
	if log := r.rec.text(); !strings.Contains(log, want) {
		t.Errorf("the refusal is not logged with its peer and share:\n%s", log)
	}
}

// With tokens, the last places are kept for admin once an auth tells who
// is who: while one peer holds its share with a read token and another
// (nobody) fills the places down to the reserve, a read auth is refused
// and an admin token still connects and is served. Before, the readers
// could take every place.
func TestTokenAdminReserve(t *testing.T) {
	testkit.RequireRoot(t)
	r := newConsoleRig(t, "tcp", &ConsolePolicy{Tokens: rights.StoreOf(testTokens(t)), MaxConnections: shareMax, AuthDelay: time.Millisecond})
	for range shareMax / 2 {
		r.dial().expect("auth "+readTok, "OK")
	}
	// nobody gets 4 of its share of 8: the last 4 places are admin's
	startHolder(t, "tcp", r.ln.Addr().String(), readTok, shareMax/2-4)
	// the holder's refused connection saw its end; cfkd gives its place
	// back just after: each admin waits for a place (a leaked one would
	// never come)
	for range 4 {
		var a *rawClient
		waitFor(t, "an admin's place", func() bool {
			a = r.dial()
			if a.do("auth "+adminTok) == "OK" {
				return true
			}
			a.conn.Close()
			return false
		})
		a.expect("command status", "OK|"+strings.Repeat("s", 99))
	}
	if log := r.rec.text(); !strings.Contains(log, "connection refused: too many connections (at auth with token monitor: 12 open: the other 4 places are kept for admin peers)") {
		t.Errorf("the refusal of a reserved place is not logged:\n%s", log)
	}
}

// On the UNIX socket, one member of --admin-group with read holds at most
// half of the places: its next connection is refused at connect, and
// root still gets in. Before, one member could hold every place but
// those kept for admin, locking out the group's other members.
func TestGroupMemberShare(t *testing.T) {
	testkit.RequireRoot(t)
	r := newConsoleRig(t, "unix-shared", &ConsolePolicy{AdminUIDs: []uint32{0},
		Groups: []GroupRight{{GID: 65534, Name: "nogroup", Level: rights.Read}}, MaxConnections: shareMax})
	startHolder(t, "unix", r.ln.Addr().String(), "", shareMax/2)
	for range shareMax / 2 {
		r.dial().expect("command version", "OK")
	}
	if log := r.rec.text(); !strings.Contains(log, "connection refused: too many connections (uid 65534 holds 8: the most a peer that is not admin may, half of the 16 places)") {
		t.Errorf("the refusal is not logged with its peer and share:\n%s", log)
	}
}

// With --insecure-tcp, a client that gets operate (not loopback) is known
// at connect: its peer holds at most half of the places, its next
// connection refused at once; one that gets admin is bound by no share.
func TestInsecurePeerShare(t *testing.T) {
	t.Parallel()
	for _, level := range []rights.Level{rights.Operate, rights.Admin} {
		r := newConsoleRig(t, "tcp", &ConsolePolicy{Insecure: true, InsecureLevel: level, MaxConnections: shareMax})
		for range shareMax / 2 {
			r.dial().expect("command version", "OK")
		}
		want := "ERROR: too many connections"
		if level == rights.Admin {
			want = "OK"
		}
		c := r.dial()
		c.conn.Write([]byte("command version\r\n"))
		if got := c.read(); got != want {
			t.Fatalf("%v: one past the share: %q, want %q", level, got, want)
		}
	}
}

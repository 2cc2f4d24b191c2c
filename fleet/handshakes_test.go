package fleet

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/internal/testkit"
)

// silent connects from the address ip and sends nothing, as a flood of
// connections that never start their TLS handshake does.
func silent(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedAtOnce reports whether the member closed c within d, without a
// byte of TLS from it; false if it still waits for the handshake then.
func closedAtOnce(t *testing.T, c net.Conn, d time.Duration) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return true
}

// TestSilentConnectionsBounded: connections that never handshake (no
// certificate needed to make them) take at most handshakesPerAddr of a
// member's fds from one address; the next are closed as soon as they
// are accepted, the member's hub still reaches it, and the room comes
// back once they go.
func TestSilentConnectionsBounded(t *testing.T) {
	// a deadline far longer than the test: only the bound closes them
	tf := newTestFleetTimeout(t, 30*time.Second, "web1")
	addr := tf.hosts[0].Address()
	tf.statusOK("web1")
	var flood []net.Conn
	for range handshakesPerAddr {
		flood = append(flood, silent(t, "127.0.0.9", addr))
	}
	// the first handshakesPerAddr are held, waiting for their handshake
	if closedAtOnce(t, flood[len(flood)-1], 300*time.Millisecond) {
		t.Fatal("a connection within the bound was closed")
	}
	for i := range 3 {
		if c := silent(t, "127.0.0.9", addr); !closedAtOnce(t, c, 5*time.Second) {
			t.Fatalf("connection %d past the bound was held", handshakesPerAddr+i+1)
		}
	}
	// another address is not refused: a hub's handshake from 127.0.0.1
	if _, err := testkit.RawFleetStream(t, addr, tf.creds("hub").Client(certs.RoleHost)); err != nil {
		t.Fatalf("the hub's own certificate, during the flood: %v", err)
	}
	tf.statusOK("web1")
	for _, c := range flood {
		c.Close()
	}
	// the member sees them close and gives their room back
	deadline := time.Now().Add(10 * time.Second)
	for closedAtOnce(t, silent(t, "127.0.0.9", addr), 300*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no room for a connection once the flood went")
		}
	}
}

// TestHandshakesInAll: the bound on all addresses together.
func TestHandshakesInAll(t *testing.T) {
	var warned int
	h := boundHandshakes(nil, func(string, ...any) { warned++ })
	h.counts.InAll = 3
	if !h.take("a") || !h.take("b") || !h.take("c") {
		t.Fatal("refused within the bound")
	}
	if h.take("d") || warned != 1 {
		t.Fatalf("a fourth handshake was taken (warned %d)", warned)
	}
	h.give("a")
	if !h.take("d") {
		t.Fatal("the room given back was not taken")
	}
	h.give("b")
	h.give("c")
	h.give("d")
	if ok, from, all := h.counts.Take("a"); !ok || from != 0 || all != 0 {
		t.Fatalf("counts left: %d from a, %d in all", from, all)
	}
}

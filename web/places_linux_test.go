package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/sirupsen/logrus"
)

// placesConns and placesPerPeer are the bounds of TestPlacesPerUser.
const (
	placesConns   = 8
	placesPerPeer = placesConns / 2
)

// TestRunAsPlaceHolder is the local user of TestPlacesPerUser, run as
// nobody: it opens placesConns connections to PLACES_ADDR, each with a
// request whose head never ends (a client that keeps sending); the
// first placesPerPeer are held, the others must be answered 503 at once.
// It says "held" and keeps them until its stdin closes.
func TestRunAsPlaceHolder(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by StartAs only")
	}
	held, err := testkit.HoldHTTPPlaces(os.Getenv("PLACES_ADDR"), "/api/services", placesConns, placesPerPeer, 65534)
	if err != nil {
		testkit.RunAsOutput(err.Error())
		return
	}
	for k, c := range held[:placesPerPeer] { // still held
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if n, err := c.Read(make([]byte, 1)); n > 0 || !os.IsTimeout(err) {
			testkit.RunAsOutput(fmt.Sprintf("held connection %d: %d bytes, %v", k+1, n, err))
			return
		}
	}
	testkit.RunAsOutput("held")
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	for { // keeps sending, a byte at a time
		select {
		case <-done:
			for _, c := range held {
				c.Close()
			}
			return
		case <-time.After(100 * time.Millisecond):
			for _, c := range held[:placesPerPeer] {
				c.Write([]byte("a"))
			}
		}
	}
}

// One local user whose clients hold their places (requests whose head
// keeps coming) does not keep root out: the places are counted per uid
// that owns the client's socket on loopback, at most half of them each;
// the user's one more is answered 503 at once, and root's requests are
// served (REFERENCE §10.1).
func TestPlacesPerUser(t *testing.T) {
	testkit.RequireRoot(t)
	logged := &testkit.Buffer{}
	log := logrus.New()
	log.SetOutput(logged)
	srv := New(Options{OpenRead: true, Source: newBigSource(1), Log: log, Conns: placesConns, ReadTimeout: time.Minute})
	addr, _ := serveCounting(t, srv)
	child := testkit.StartAs(t, 65534, 65534, "TestRunAsPlaceHolder", "PLACES_ADDR="+addr)
	child.Expect(t, "held", deadline)
	var mine []net.Conn
	for k := range placesConns - placesPerPeer {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		mine = append(mine, c)
		c.SetDeadline(time.Now().Add(deadline))
		if _, err := c.Write([]byte("GET /api/services HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("root's GET %d with nobody's %d places held: %v", k+1, placesPerPeer, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("root's GET %d: %s", k+1, resp.Status)
		}
	}
	child.Stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("nobody's client: %v\n%s", err, child.Stderr())
	}
	want := fmt.Sprintf("http: connection refused: too many connections from uid 65534 (%d open, the most one peer may hold)", placesPerPeer)
	if text := logged.String(); !strings.Contains(text, want) {
		t.Errorf("the refusal is not logged:\n%s", text)
	}
}

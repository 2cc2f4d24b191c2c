package actors

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

// smallSendBuffers is a TCP listener whose connections have small send
// buffers: the replies of a client that never reads fill them, and then
// cfkd's bound on unwritten replies (MaxPendingBytes), within a few
// thousand requests rather than hundreds of thousands.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// dialSmall dials r with a receive buffer of size bytes (the client's side
// of what smallSendBuffers keeps small).
func (r *consoleRig) dialSmall(size int) *rawClient {
	r.t.Helper()
	c, err := net.Dial("tcp", r.ln.Addr().String())
	if err != nil {
		r.t.Fatal(err)
	}
	c.(*net.TCPConn).SetReadBuffer(size)
	r.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(connWait))
	return &rawClient{t: r.t, conn: c, r: bufio.NewReader(c)}
}

// floodLines is how many request lines a client that never reads sends:
// their replies are several times cfkd's bound on unwritten replies plus
// what the small socket buffers hold, so cfkd stops reading it.
const floodLines = 3 * MaxPendingBytes / len("ERROR: not authorized\r\n")

// flood writes n copies of line to c, never reading, in a goroutine (its
// write blocks once cfkd stops reading, until cfkd closes the connection).
func flood(c *rawClient, line string, n int) {
	data := bytes.Repeat([]byte(line+"\r\n"), n)
	go c.conn.Write(data)
}

// closedByCfkd waits for the connection of c, a client that never reads,
// to be closed by cfkd: its place given back (p.active), and c reading
// the end of it (after the replies the sockets hold) once it reads.
func closedByCfkd(t *testing.T, p *ConsolePolicy, c *rawClient, within time.Duration) {
	t.Helper()
	end := time.Now().Add(within)
	for p.active.Load() != 0 {
		if time.Now().After(end) {
			t.Fatalf("the connection is still open %v after the deadline", within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.conn.SetReadDeadline(time.Now().Add(connWait))
	if _, err := io.Copy(io.Discard, c.conn); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading the end of the connection: %v", err)
	}
}

// A client of a console with tokens that sends megabytes of requests and
// never reads a reply nor authenticates is closed at the auth timeout all
// the same, logged `no auth within ...` once, and its place among those
// not authenticated given back. It was held for ever: cfkd's reader waited
// for room for replies that its writer could not write, and the deadline
// was checked only when the reader read (REFERENCE §5.4).
func TestAuthDeadlineOfAClientThatNeverReads(t *testing.T) {
	t.Parallel()
	const in = 300 * time.Millisecond
	p := &ConsolePolicy{Tokens: rights.StoreOf(testTokens(t)), AuthTimeout: in, AuthDelay: time.Millisecond}
	r := newConsoleRig(t, "tcp-small", p)
	start := time.Now()
	c := r.dialSmall(4 << 10)
	flood(c, "command status", floodLines)
	closedByCfkd(t, p, c, in+10*time.Second)
	closing := fmt.Sprintf("no auth within %v of connecting: closing the connection", in)
	waitFor(t, "the close logged", func() bool { return strings.Contains(r.rec.text(), closing) })
	if d := time.Since(start); d < in {
		t.Errorf("closed after %v, before the auth timeout", d)
	}
	if n := strings.Count(r.rec.text(), closing); n != 1 {
		t.Errorf("the close logged %d times, want once", n)
	}
}

// An authenticated client that sends megabytes of requests and never
// reads a reply is idle: nothing read from it, and none of its replies
// taken, for the idle timeout. It is closed then, logged `connection PEER
// idle for ...: closing it` (it was held for ever, as above).
func TestIdleTimeoutOfAClientThatNeverReads(t *testing.T) {
	t.Parallel()
	const idle = 300 * time.Millisecond
	p := &ConsolePolicy{Tokens: rights.StoreOf(testTokens(t)), AuthTimeout: time.Hour, IdleTimeout: idle}
	r := newConsoleRig(t, "tcp-small", p)
	c := r.dialSmall(4 << 10)
	c.expect("auth "+readTok, "OK")
	flood(c, "nonsense", floodLines)
	closedByCfkd(t, p, c, idle+10*time.Second)
	waitFor(t, "the close logged", func() bool { return strings.Contains(r.rec.text(), "idle for 300ms: closing it") })
}

// A client that reads its replies slowly, but reads, is not idle however
// long it takes to read them all: it gets every one, in order. (Once the
// last is written, the connection may be idle while the client is still
// reading what the sockets hold: that close is not checked.)
func TestSlowReaderIsNotIdle(t *testing.T) {
	t.Parallel()
	// 1 s: under 500 ms, a loaded CI machine (-race, the other tests
	// running) could leave the writer goroutine below unscheduled that
	// long after the auth, and cfkd rightly closed the connection as
	// idle before any request came ('after 0 replies: EOF')
	const idle = time.Second
	p := &ConsolePolicy{Tokens: rights.StoreOf(testTokens(t)), AuthTimeout: time.Hour, IdleTimeout: idle}
	r := newConsoleRig(t, "tcp-small", p)
	// a receive buffer of a few KiB would stall TCP itself (its window
	// opens by less than a segment, and the sender waits for its probes)
	c := r.dialSmall(64 << 10)
	c.expect("auth "+readTok, "OK")
	const n = 40000
	var reqs bytes.Buffer
	for i := range n {
		fmt.Fprintf(&reqs, "nonsense%d\r\n", i)
	}
	reqs.WriteString("auth " + readTok + "\r\n")
	// the first requests are written before anything else, so that cfkd
	// has some at once (they and their replies fit in the sockets'
	// buffers); the rest from a goroutine, as the replies are read
	first := bytes.IndexByte(reqs.Bytes()[8<<10:], '\n') + 8<<10 + 1
	if _, err := c.conn.Write(reqs.Bytes()[:first]); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := c.conn.Write(reqs.Bytes()[first:])
		wrote <- err
	}()
	start := time.Now()
	// each read takes all the receive buffer holds: a read of less leaves
	// TCP's window shut (it opens only once half the buffer is free), and
	// on a loaded machine the few reads it then waits for, each after its
	// sleep, added up to the idle timeout with no reply taken
	buf := make([]byte, 256<<10)
	var got bytes.Buffer
	for strings.Count(got.String(), "\r\n") <= n {
		time.Sleep(idle / 10)
		k, err := c.r.Read(buf)
		if err != nil {
			t.Fatalf("after %d replies: %v; logged:\n%s", strings.Count(got.String(), "\r\n"), err, r.rec.text())
		}
		got.Write(buf[:k])
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 2*idle {
		t.Logf("read in %v only: the test is too short to tell", d)
	}
	lines := strings.Split(strings.TrimSuffix(got.String(), "\r\n"), "\r\n")
	for i, line := range lines[:n] {
		if want := fmt.Sprintf("'nonsense%d'", i); !strings.Contains(line, want) {
			t.Fatalf("reply %d: %q, not about %q", i, line, want)
		}
	}
	if last := lines[n]; last != "OK" || len(lines) != n+1 {
		t.Fatalf("%d replies, the last %q; want %d, the last OK", len(lines), last, n+1)
	}
}

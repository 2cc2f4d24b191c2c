package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// pipelineDeadline bounds the pipelined tests (10,000 requests with the
// race detector on a shared machine).
const pipelineDeadline = 60 * time.Second

// declarations are n `service sN cmd=sleep 1` lines.
func declarations(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("service s%05d cmd=sleep 1", i)
	}
	return lines
}

// pipelined writes every line without reading, then reads one reply per
// line, each an empty OK, in order; it returns the time it all took.
func pipelined(t *testing.T, conn net.Conn, lines []string) time.Duration {
	t.Helper()
	conn.SetDeadline(time.Now().Add(pipelineDeadline))
	start := time.Now()
	var buf []byte
	for _, l := range lines {
		buf = append(buf, l+"\r\n"...)
	}
	if _, err := conn.Write(buf); err != nil {
		t.Fatalf("writing %d lines before reading: %v", len(lines), err)
	}
	r := bufio.NewReader(conn)
	for i, l := range lines {
		rep, err := protocol.ReadReply(r)
		if err != nil {
			t.Fatalf("reply %d of %d: %v", i, len(lines), err)
		}
		if rep.Err != nil || len(rep.Lines) > 0 {
			t.Fatalf("reply %d to %q: %v %q", i, l, rep.Err, rep.Lines)
		}
	}
	return time.Since(start)
}

// interleaved writes a line and reads its reply, one after the other.
func interleaved(t *testing.T, conn net.Conn, lines []string) time.Duration {
	t.Helper()
	conn.SetDeadline(time.Now().Add(pipelineDeadline))
	start := time.Now()
	r := bufio.NewReader(conn)
	for _, l := range lines {
		if err := protocol.WriteRequest(conn, l); err != nil {
			t.Fatal(err)
		}
		rep, err := protocol.ReadReply(r)
		if err != nil || rep.Err != nil {
			t.Fatalf("%q: %v %v", l, err, rep.Err)
		}
	}
	return time.Since(start)
}

// TestPipelinedDeclarations: a client writes 10,000 declarations without
// reading, then reads 10,000 OKs, in order (REFERENCE §1.5). It logs the
// throughput, and that of the same lines sent one at a time (write one,
// read one) to a fresh cfkd:
//
//	go test -count=1 -run TestPipelinedDeclarations -v ./integration/e2e/
func TestPipelinedDeclarations(t *testing.T) {
	const n = 10000
	lines := declarations(n)

	d := startDaemon(t, "")
	conn, err := net.Dial("unix", d.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	took := pipelined(t, conn, lines)
	// after them, in the same pipeline: a refused line, then the list
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
	c.raw("service s00001 startwait_secs=late\r\ncommand version\r\n",
		"ERROR: invalid value for startwait_secs: \"late\" (want a number of seconds >= 0 and <= 86400)\r\ncfk "+messages.Version+"\nOK\r\n")
	if l := c.ok("command list"); len(l) != n || l[0] != "s00000" || l[n-1] != fmt.Sprintf("s%05d", n-1) {
		t.Fatalf("command list: %d services", len(l))
	}

	d2 := startDaemon(t, "")
	conn2, err := net.Dial("unix", d2.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	one := interleaved(t, conn2, lines)
	t.Logf("%d declarations: pipelined %v (%.0f lines/s), interleaved %v (%.0f lines/s)",
		n, took.Round(time.Millisecond), float64(n)/took.Seconds(), one.Round(time.Millisecond), float64(n)/one.Seconds())
}

// flooder writes line forever on its own connection and never reads; it
// says when a write has stayed blocked for 200 ms (cfkd stopped reading).
type flooder struct {
	conn    net.Conn
	blocked chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	sent    int
}

func flood(t *testing.T, sock, line string) *flooder {
	t.Helper()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f := &flooder{conn: conn, blocked: make(chan struct{}), done: make(chan struct{})}
	t.Cleanup(func() { conn.Close(); <-f.done })
	buf := []byte(strings.Repeat(line+"\r\n", 64))
	go func() {
		defer close(f.done)
		var once sync.Once
		for {
			conn.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
			n, err := conn.Write(buf)
			f.mu.Lock()
			f.sent += n
			f.mu.Unlock()
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				once.Do(func() { close(f.blocked) })
			case err != nil:
				return
			}
		}
	}()
	return f
}

func (f *flooder) bytesSent() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent
}

// TestClientThatNeverReads: clients that write requests forever and never
// read are stopped by backpressure with a bounded cfkd; meanwhile another
// client's `command status` is answered quickly and services still start.
func TestClientThatNeverReads(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.conn.SetDeadline(time.Now().Add(pipelineDeadline))
	for i := 0; i < 50; i++ { // status replies of 50 lines: the byte bound
		c.ok(fmt.Sprintf("service svc%02d cmd=sleep 100", i))
	}
	c.ok("service svc00 startwait_secs=0")
	rss0, _ := memKB(d.cmd.Process.Pid)

	floods := []*flooder{
		flood(t, d.sock, "command status"),  // 2.4 KiB replies: the byte bound
		flood(t, d.sock, "command version"), // tiny replies: the request bound
	}
	for i, f := range floods {
		select {
		case <-f.blocked:
		case <-f.done:
			t.Fatalf("flooder %d: connection closed", i)
		case <-time.After(pipelineDeadline):
			t.Fatalf("flooder %d: cfkd kept reading (%d bytes) from a client that never reads", i, f.bytesSent())
		}
	}
	rss1, _ := memKB(d.cmd.Process.Pid)
	t.Logf("cfkd RSS %d KiB before the flood, %d KiB with two clients stopped by backpressure (%d and %d bytes sent)",
		rss0, rss1, floods[0].bytesSent(), floods[1].bytesSent())
	// each holds 1 MiB of replies and 16,384 requests at most (a few MiB
	// with their messages), twice that with the garbage collector's slack;
	// the race detector's shadow memory more than doubles it
	limit := 32 << 10
	if raceEnabled {
		limit = 128 << 10
	}
	if rss1-rss0 > limit {
		t.Errorf("cfkd grew by %d KiB for two blocked clients, want %d KiB at most", rss1-rss0, limit)
	}

	var worst time.Duration
	for i := 0; i < 100; i++ {
		start := time.Now()
		if l := c.ok("command status"); len(l) != 50 {
			t.Fatalf("status: %d lines", len(l))
		}
		worst = max(worst, time.Since(start))
	}
	if worst > time.Second {
		t.Errorf("a status round trip took %v beside the blocked clients", worst)
	}
	c.ok("command start service svc00")
	c.until("svc00 running", func() bool { return c.status("svc00")[1] == "running" })
	sent := floods[1].bytesSent()
	if rss2, _ := memKB(d.cmd.Process.Pid); rss2-rss0 > limit {
		t.Errorf("cfkd grew by %d KiB, want %d KiB at most", rss2-rss0, limit)
	}
	t.Logf("worst status round trip beside them: %v; the version flooder sent %d bytes in all", worst, sent)
}

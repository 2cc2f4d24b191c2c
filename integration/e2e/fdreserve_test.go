package e2e

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// A client that connects when cfkd has no fd left is answered at once,
// `ERROR: cfkd: too many open files (limit N): ...` with what to do, on
// the fd cfkd keeps in reserve, and the failed accepts are logged once a
// second at most (REFERENCE §7.6). It waited in the backlog for its
// whole timeout (accept(2) failed with EMFILE), and cfkd logged `accept
// failed` every 100 ms for as long as its fds were short.
func TestClientAnsweredWhenCfkdHasNoFdLeft(t *testing.T) {
	const n, limit = 60, 100
	d := startDaemonUlimit(t, limit, fmt.Sprintf("ulimit -n %d", limit))
	c := d.dial()
	c.conn.SetDeadline(time.Now().Add(4 * deadline))
	declareSleepers(c, n)
	c.ok("command start all") // what fits runs, the others wait in backoff
	c.until("services running and waiting", func() bool {
		m := c.states()
		return m["running"] > 0 && m["backoff"] > 0
	})

	// connections take the fds the starts leave, until none is left
	var held []net.Conn
	t.Cleanup(func() {
		for _, h := range held {
			h.Close()
		}
	})
	ask := func() (net.Conn, string) {
		t.Helper()
		conn, err := net.Dial("unix", d.sock)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(3 * time.Second))
		fmt.Fprintf(conn, "command version\r\n")
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			conn.Close()
			t.Fatalf("connection %d: no answer: %v (cfkd.log:\n%s)", len(held)+1, err, grepLines(readLog(d.home), "accept", 5))
		}
		return conn, strings.TrimRight(line, "\r\n")
	}
	want := fmt.Sprintf("ERROR: cfkd: too many open files (limit %d): ", limit)
	for {
		conn, line := ask()
		if strings.HasPrefix(line, "ERROR:") {
			conn.Close()
			if !strings.HasPrefix(line, want) || !strings.Contains(line, "prlimit --nofile") {
				t.Fatalf("connection %d: %q, want %q and what to do", len(held)+1, line, want)
			}
			break
		}
		held = append(held, conn)
		if len(held) > limit {
			t.Fatalf("%d connections held under a limit of %d", len(held), limit)
		}
	}
	// the shortage goes on: each client is answered, the failures logged
	// once a second at most
	start := time.Now()
	for range 20 {
		conn, line := ask()
		conn.Close()
		if !strings.HasPrefix(line, want) {
			t.Fatalf("a client while fds are short: %q, want %q", line, want)
		}
	}
	time.Sleep(time.Second) // what a flood would log meanwhile
	if got, most := strings.Count(readLog(d.home), "admin console: accept failed"), int(time.Since(start)/time.Second)+3; got > most {
		t.Errorf("%d accept failures logged in %v, want %d at most:\n%s", got, time.Since(start), most, grepLines(readLog(d.home), "accept failed", 5))
	}

	// fds freed: clients are served again
	for _, h := range held {
		h.Close()
	}
	held = nil
	waitFor(t, "a client served again", func() bool {
		conn, line := ask()
		conn.Close()
		return !strings.HasPrefix(line, "ERROR:")
	})
	waitLog(t, d.home, "admin console: accepting connections again")
	c.ok("command stop all")
}

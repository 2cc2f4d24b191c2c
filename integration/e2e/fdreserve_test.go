package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// fdsShort is a cfkd under a limit of `limit` open files whose table is
// full: services run up to their room, others wait in backoff, and tail
// streams of the service talk hold every fd left (REFERENCE §7.6).
type fdsShort struct {
	d       *daemon
	c       *client // declared and polled through before the table filled
	held    []net.Conn
	refusal string // what a stream asked on the spare is answered
}

func startFdsShort(t *testing.T, limit, n int) *fdsShort {
	t.Helper()
	return startFdsShortBin(t, cfkdBin, limit, n)
}

// startFdsShortBin is startFdsShort with the cfkd binary bin, and env in
// its environment.
func startFdsShortBin(t *testing.T, bin string, limit, n int, env ...string) *fdsShort {
	t.Helper()
	sh := fmt.Sprintf("ulimit -n %d", limit)
	for _, kv := range env { // exported by the shell that execs cfkd
		sh += " && export " + kv
	}
	d := startDaemonUlimitBin(t, bin, limit, sh)
	f := &fdsShort{d: d, c: d.dial()}
	t.Cleanup(f.release)
	c := f.c
	c.ok(`service talk cmd=echo hi; exec sleep 1000`, "command start service talk")
	c.until("talk wrote", func() bool { return len(c.ok("command tail talk")) == 1 })
	declareSleepers(c, n)
	c.ok("command start all") // what fits runs, the others wait in backoff
	c.until("services running and waiting", func() bool {
		m := c.states()
		return m["running"] > 0 && m["backoff"] > 0
	})
	// streams take the fds the starts leave, until the one a client gets
	// is the spare, which refuses a stream
	want := fmt.Sprintf("ERROR: cfkd: too many open files (limit %d): no fd left for a stream: ", limit)
	for {
		conn, line := f.ask(t, "command tail talk follow")
		if strings.HasPrefix(line, "ERROR:") {
			conn.Close()
			if !strings.HasPrefix(line, want) || !strings.Contains(line, "prlimit --nofile") {
				t.Fatalf("stream %d: %q, want %q and what to do", len(f.held)+1, line, want)
			}
			f.refusal = line
			return f
		}
		if line != "hi" {
			t.Fatalf("stream %d: %q, want the line of talk", len(f.held)+1, line)
		}
		f.held = append(f.held, conn)
		if len(f.held) > limit {
			t.Fatalf("%d streams held under a limit of %d", len(f.held), limit)
		}
	}
}

// ask connects, sends request and returns the connection and the first
// line read.
func (f *fdsShort) ask(t *testing.T, request string) (net.Conn, string) {
	t.Helper()
	conn, err := net.Dial("unix", f.d.sock)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(deadline))
	fmt.Fprintf(conn, "%s\r\n", request)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		conn.Close()
		t.Fatalf("%q: no answer: %v (cfkd.log:\n%s)", request, err, grepLines(readLog(f.d.home), "accept", 5))
	}
	conn.SetDeadline(time.Time{})
	return conn, strings.TrimRight(line, "\r\n")
}

// release closes the streams.
func (f *fdsShort) release() {
	for _, h := range f.held {
		h.Close()
	}
	f.held = nil
}

// dialRaw connects a client that the test drives request by request.
func (f *fdsShort) dialRaw(t *testing.T) *client {
	t.Helper()
	conn, err := net.Dial("unix", f.d.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// A client that connects when cfkd has no fd left is served on the fd
// cfkd keeps in reserve, one at a time, and the failed accepts are logged
// once a second at most (REFERENCE §7.6). It waited in the backlog for
// its whole timeout (accept(2) failed with EMFILE), and cfkd logged
// `accept failed` every 100 ms for as long as its fds were short.
func TestClientAnsweredWhenCfkdHasNoFdLeft(t *testing.T) {
	f := startFdsShort(t, 100, 60)
	// the shortage goes on: each client is served, the failures logged
	// once a second at most
	start := time.Now()
	for i := range 20 {
		conn, line := f.ask(t, "command version")
		conn.Close()
		if strings.HasPrefix(line, "ERROR:") {
			t.Fatalf("client %d while fds are short: %q, want the version", i, line)
		}
	}
	time.Sleep(time.Second) // what a flood would log meanwhile
	if got, most := strings.Count(readLog(f.d.home), "admin console: accept failed"), int(time.Since(start)/time.Second)+3; got > most {
		t.Errorf("%d accept failures logged in %v, want %d at most:\n%s", got, time.Since(start), most, grepLines(readLog(f.d.home), "accept failed", 5))
	}

	// fds freed: streams are served again
	f.release()
	waitFor(t, "a stream served again", func() bool {
		conn, line := f.ask(t, "command tail talk follow")
		conn.Close()
		return line == "hi"
	})
	waitLog(t, f.d.home, "admin console: accepting connections again")
	f.c.ok("command stop all")
}

// When streams hold cfkd's last fds, a short request is served on the fd
// cfkd keeps in reserve: `stop all` runs and frees the fds, a stream
// asked there is refused (it would hold that fd), and a second client
// waits in the backlog until the first is done, then is served
// (REFERENCE §7.6). Such a client was answered `no fd left to serve this
// connection` and closed: the stop that would have freed fds could not
// be run until a stream was closed.
func TestShortRequestServedWhenStreamsHoldTheLastFds(t *testing.T) {
	f := startFdsShort(t, 100, 60)
	a := f.dialRaw(t)
	a.conn.SetDeadline(time.Now().Add(deadline))
	if r := a.do("command version"); r.Err != nil {
		t.Fatalf("the client on the spare: version: %v", r.Err)
	}
	if r := a.do("command events"); r.Err == nil || "ERROR: "+r.Err.Error() != f.refusal {
		t.Fatalf("a stream on the spare: %v, want %q", r.Err, f.refusal)
	}

	// b waits while a has the spare
	b := f.dialRaw(t)
	b.conn.SetDeadline(time.Now().Add(deadline))
	type answer struct {
		r   messages.Reply
		err error
		at  time.Time
	}
	bAnswer := make(chan answer, 1)
	if err := protocol.WriteRequest(b.conn, "command stop all"); err != nil {
		t.Fatal(err)
	}
	go func() {
		r, err := protocol.ReadReply(b.r)
		bAnswer <- answer{r, err, time.Now()}
	}()
	for range 5 {
		if r := a.do("command status service talk"); r.Err != nil {
			t.Fatalf("the client on the spare: status: %v", r.Err)
		}
	}
	closedAt := time.Now()
	a.conn.Close()
	var got answer
	select {
	case got = <-bAnswer:
	case <-time.After(deadline):
		t.Fatalf("the second client was not served once the first closed (cfkd.log:\n%s)", grepLines(readLog(f.d.home), "accept", 5))
	}
	if got.err != nil || got.r.Err != nil {
		t.Fatalf("the second client's stop all: %v %v", got.err, got.r.Err)
	}
	if got.at.Before(closedAt) {
		t.Fatalf("the second client was served %v before the first closed: both on the spare at once", closedAt.Sub(got.at))
	}

	// the stop freed the fds: a client is accepted as any, while the
	// streams still hold theirs
	waitFor(t, "a stream served after the stop", func() bool {
		conn, line := f.ask(t, "command tail talk follow")
		conn.Close()
		return line == "hi"
	})
	waitLog(t, f.d.home, "admin console: accepting connections again")
	if m := f.c.states(); m["running"] != 0 || m["backoff"] != 0 {
		t.Fatalf("after stop all: %v", m)
	}
}

// A client that connects when cfkd has no fd left and sends nothing is
// closed once idle for 10 s, on the UNIX socket too (which has no idle
// timeout), and the next client is served: it cannot keep the fd in
// reserve, and the clients behind it in the backlog, for good
// (REFERENCE §7.6).
//
// The spare's bound is cfkd's 10 s, shortened to spareIdle here through
// the test-only actors.SpareIdleEnv, which only the tests' build (-tags
// cfkadoptfault, upgradeFaultBin) reads: the test waits 2 s, not 10.
func TestSilentClientOnTheSpareClosedWhenIdle(t *testing.T) {
	const spareIdle = 2 * time.Second
	// _CFKD_TEST_SPARE_IDLE: actors.SpareIdleEnv
	f := startFdsShortBin(t, upgradeFaultBin(t), 100, 60, "_CFKD_TEST_SPARE_IDLE="+spareIdle.String())
	x := f.dialRaw(t) // on the spare, silent
	from := time.Now()
	x.conn.SetDeadline(from.Add(deadline))
	y := f.dialRaw(t) // waits in the backlog behind x
	y.conn.SetDeadline(from.Add(deadline))
	if err := protocol.WriteRequest(y.conn, "command version"); err != nil {
		t.Fatal(err)
	}
	if n, err := x.r.ReadByte(); err != io.EOF {
		t.Fatalf("the silent client: %q %v, want the end of the connection", n, err)
	}
	closed := time.Now()
	if idle := closed.Sub(from); idle < spareIdle {
		t.Fatalf("the silent client was closed after %v, want %v", idle, spareIdle)
	}
	if r, err := protocol.ReadReply(y.r); err != nil || r.Err != nil {
		t.Fatalf("the client behind the silent one: %v %v (cfkd.log:\n%s)", err, r.Err, grepLines(readLog(f.d.home), "accept", 5))
	}
	waitLog(t, f.d.home, "idle for "+spareIdle.String()+": closing it")
}

package actors

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// A connection that becomes a stream (REFERENCE §1.5): `command events`
// and `command tail NAME follow`, against the fake controller, with the
// rig's own hub and tail.

// publishN publishes n transitions of service name, numbered by pid from 1.
func (r *connRig) publishN(name string, n int) {
	at := time.Now()
	for i := 1; i <= n; i++ {
		r.sys.EventStream.Publish(messages.ServiceStateChanged{Name: name, From: messages.Starting,
			To: messages.Running, Pid: i, At: at})
	}
}

// publishWait bounds a publishing that its subscribers must not hold:
// well past what a loaded machine takes (50000 events in 31 s), well
// short of a hold (a cut's grace of an hour).
const publishWait = 3 * time.Minute

// waitStreaming waits until the connection's stream is subscribed.
func (r *connRig) waitStreaming() {
	r.t.Helper()
	r.waitFor("the stream", func() bool { return r.conn.io.streaming() })
}

// readLine reads one line of the client, with its end.
func readStreamLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	l, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, l)
	}
	return l
}

// TestConnectionEventsAfterPipelinedReplies: the replies to the requests
// before `command events` come first, then only event lines, with no
// terminator; the requests after it are never run; the client's end of
// input ends the stream.
func TestConnectionEventsAfterPipelinedReplies(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	r.fake.statusLines = 2
	if err := writeLines(client, []string{"command status", "command events service web1", "command status", "service x cmd=y"}); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(client)
	want := string(r.expected([]string{"command status"}, true))
	for _, l := range strings.SplitAfter(want, "\n")[:3] {
		if got := readStreamLine(t, br); got != l {
			t.Fatalf("got %q, want %q", got, l)
		}
	}
	r.waitStreaming()
	r.publishN("other", 3)
	r.publishN("web1", 2)
	for i := 1; i <= 2; i++ {
		got := readStreamLine(t, br)
		e, err := messages.ParseEvent(strings.TrimSuffix(got, "\n"))
		if err != nil || e.Service != "web1" || e.Pid != i {
			t.Fatalf("line %d: %q: %+v, %v", i, got, e, err)
		}
	}
	// what the client sends now is read and dropped
	if err := writeLines(client, []string{"command status", "nonsense"}); err != nil {
		t.Fatal(err)
	}
	r.publishN("web1", 1)
	if got := readStreamLine(t, br); !strings.Contains(got, `"service":"web1"`) {
		t.Fatalf("after more requests: %q", got)
	}
	client.CloseWrite()
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after the end of input: %q, %v", rest, err)
	}
	if n := r.fake.got.Load(); n != 2 {
		t.Errorf("the controller got %d requests, want 2 (status, events)", n)
	}
	r.waitFor("the feed unsubscribed", func() bool { return r.hub.n.Load() == 0 })
}

// TestConnectionEventsRefused: a stream the controller refuses is an
// ordinary ERROR, and the connection goes on; `exit` ends a stream.
func TestConnectionEventsRefused(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, false)
	r.fake.statusLines = 0
	if err := writeLines(client, []string{"command events service nosuch", "command tail nosuch follow", "command status", "command events"}); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(client)
	for _, want := range []string{"ERROR: Couldn't find a valid service. bailing.\r\n", "ERROR: Couldn't find a valid service. bailing.\r\n", "OK\r\n"} {
		if got := readStreamLine(t, br); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	r.waitStreaming()
	if err := writeLines(client, []string{"exit"}); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after exit: %q, %v", rest, err)
	}
}

// TestConnectionEventsCutOff: a client that does not read is cut off after
// its backlog: the publisher never waits (another feed gets every line at
// once), and once the client reads it gets what was written and queued, in
// order, then the count of the lines dropped until the stream ended.
// A publisher held by the client would be held until the client reads,
// which it does once the publishing returned, or until the cut's grace
// ends the stream's write: the grace is made an hour, so that a hold is
// a publishing that does not return, not one slower than the 10 s of
// the grace, which the 50000 events took on a loaded machine (31 s).
func TestConnectionEventsCutOff(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	r.conn.io.mu.Lock()
	r.conn.io.cutGrace = time.Hour
	r.conn.io.mu.Unlock()
	if err := writeLines(client, []string{"command events"}); err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	fast := r.hub.subscribe(allSel, Backlog{Lines: 1 << 20, Bytes: 1 << 30}, nil)
	defer fast.Close()
	const n = 50000
	published := make(chan struct{})
	go func() {
		defer close(published)
		r.publishN("web1", n)
	}()
	select {
	case <-published:
	case <-time.After(publishWait):
		t.Fatalf("publishing %d events did not return within %v: the slow client held the publisher", n, publishWait)
	}
	if got := collect(t, fast, n); len(got) != n {
		t.Fatalf("the other feed got %d lines", len(got))
	}
	// the rig's deadline may have passed while it published
	client.SetReadDeadline(time.Now().Add(connWait))
	data, err := io.ReadAll(client) // the stream ends with the lost line, then EOF
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	last := lines[len(lines)-2]
	if !strings.HasSuffix(last, "\r\n") {
		t.Fatalf("the last line %q does not end in \\r\\n", last)
	}
	e, err := messages.ParseEvent(strings.TrimSuffix(last, "\r\n"))
	if err != nil || e.Kind != messages.EventLost {
		t.Fatalf("the last line %q: %+v, %v", last, e, err)
	}
	got := len(lines) - 2
	for i, l := range lines[:got] {
		if ev, err := messages.ParseEvent(strings.TrimSuffix(l, "\n")); err != nil || ev.Pid != i+1 {
			t.Fatalf("line %d: %q (%v)", i, l, err)
		}
	}
	if got+e.Lost > n || got < 100 || e.Lost < 1 {
		t.Fatalf("%d lines and %d lost of %d (want at least the backlog, 100, written)", got, e.Lost, n)
	}
	t.Logf("%d lines written, %d lost", got, e.Lost)
	r.waitFor("the feed unsubscribed", func() bool { return r.hub.n.Load() == 1 })
}

// TestConnectionTailFollow: `command tail NAME N follow` streams the last
// N lines, then the new ones (a "\r" or "\n" in one made a space), until
// the service is destroyed: its last line says so, and that the stream
// is done (REFERENCE §1.5): it ended without a word, as when cfkd is
// lost, so that cfkctl could not tell.
func TestConnectionTailFollow(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	r.tail.declare("a")
	for _, l := range []string{"one", "two", "OK"} {
		r.tail.ServiceLine("a", "out", 1, []byte(l))
	}
	if err := writeLines(client, []string{"command tail a 2 follow"}); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(client)
	for _, want := range []string{"two\n", "OK\n"} {
		if got := readStreamLine(t, br); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	r.waitStreaming()
	r.tail.ServiceLine("a", "err", 1, []byte("three\r\nfour"))
	r.tail.ServiceLine("a", "out", 1, []byte("ERROR: five"))
	for _, want := range []string{"three  four\n", "ERROR: five\n"} {
		if got := readStreamLine(t, br); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	r.tail.forget("a")
	want := `{"kind":"end","reason":"service a was destroyed","done":true}` + "\r\n"
	if rest, err := io.ReadAll(br); err != nil || string(rest) != want {
		t.Fatalf("after the destroy: %q, %v; want %q", rest, err, want)
	}
}

// TestConnectionTailFollowHalfClosed: a client that half-closes right
// after asking gets the last lines, then the end.
func TestConnectionTailFollowHalfClosed(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	r.tail.declare("a")
	r.tail.ServiceLine("a", "out", 1, []byte("one"))
	if err := writeLines(client, []string{"command tail a follow"}); err != nil {
		t.Fatal(err)
	}
	client.CloseWrite()
	readAll(t, client, []byte("one\n"))
}

// TestConnectionStreamsDrained: a drain (cfkd shutting down) ends a
// stream, after its lines, with the line that says so (REFERENCE §1.5):
// it ended without a word, as when cfkd crashes or is killed, and
// `cfkctl events` could not tell a clean end from a lost cfkd.
func TestConnectionStreamsDrained(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	if err := writeLines(client, []string{"command events"}); err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	r.publishN("a", 1)
	r.sys.Root.Send(r.pid, drainConnection{})
	data, err := io.ReadAll(client)
	lines := strings.SplitAfter(string(data), "\n")
	if err != nil || len(lines) != 3 || lines[2] != "" ||
		lines[1] != `{"kind":"end","reason":"cfkd is shutting down","done":true}`+"\r\n" {
		t.Fatalf("a drained stream: %q, %v: want its event, then the end line of a shutdown", data, err)
	}
	if e, err := messages.ParseEvent(strings.TrimSuffix(lines[0], "\n")); err != nil || e.Kind != messages.EventService {
		t.Fatalf("a drained stream: its first line %q: %+v, %v", lines[0], e, err)
	}
}

// TestConnectionStreamEndedByItsClientSaysNothing: a stream its client
// ends (its end of input) while cfkd runs gets no end line: the client
// knows (a script's `command tail a follow` then a half-close gets the
// lines alone, as before).
func TestConnectionStreamEndedByItsClientSaysNothing(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	if err := writeLines(client, []string{"command events"}); err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	r.publishN("a", 1)
	client.CloseWrite()
	data, err := io.ReadAll(client)
	if err != nil || bytes.Count(data, []byte("\n")) != 1 || bytes.Contains(data, []byte("\r")) {
		t.Fatalf("a stream its client ended: %q, %v: want its event alone", data, err)
	}
}

// TestConnectionStreamsDrainedForAnUpgrade: a drain for an upgrade in
// place ends a stream with a last line that says so, and that its client
// may send its request again at once (REFERENCE §1.5): it ended silently,
// as at a shutdown, and `cfkctl events` exited.
func TestConnectionStreamsDrainedForAnUpgrade(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	if err := writeLines(client, []string{"command events"}); err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	r.publishN("a", 1)
	r.sys.Root.Send(r.pid, drainConnection{upgrade: true})
	data, err := io.ReadAll(client)
	lines := strings.SplitAfter(string(data), "\n")
	want := `{"kind":"end","reason":"cfkd is being upgraded in place","resume":true}` + "\r\n"
	if err != nil || len(lines) != 3 || lines[1] != want {
		t.Fatalf("a stream drained for an upgrade: %q, %v; want an event, then %q", data, err, want)
	}
}

// TestAppendStreamLine: a line of a stream cannot end in "\r\n" (only the
// loss line does), nor hold a line break.
func TestAppendStreamLine(t *testing.T) {
	b := appendStreamLine([]byte("x\n"), []byte(`{"kind":"lost","lost":3}`+"\r\nOK\r"))
	if string(b) != "x\n"+`{"kind":"lost","lost":3}  OK `+"\n" {
		t.Fatalf("%q", b)
	}
}

// TestConnectionStreamClosedWhenRepliesFail: a client pipelines a request
// with a big reply, then `command events`, reads nothing and goes away.
// The writer was still writing the reply when the stream was set, and
// that write failed: the feed must leave the hub all the same, or every
// later event is formatted into it, up to its backlog, for cfkd's life.
func TestConnectionStreamClosedWhenRepliesFail(t *testing.T) {
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	r.fake.statusLines = 5000 // 500 KB: more than the socket buffers hold
	if err := writeLines(client, []string{"command status", "command events"}); err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	if n := r.hub.n.Load(); n != 1 {
		t.Fatalf("%d feeds in the hub, want 1", n)
	}
	client.Close()
	select {
	case <-r.gone:
	case <-time.After(connWait):
		t.Fatal("the connection actor never stopped")
	}
	r.waitFor("the feed to leave the hub", func() bool { return r.hub.n.Load() == 0 })
}

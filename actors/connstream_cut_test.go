package actors

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// TestConnectionEventsCutOffNotReadInTime: a client cut off that does not
// read within the grace (REFERENCE §1.5) still gets the lost line, after
// the lines it was sent, whenever it reads: closed without it, it read the
// end of its lines, then the end of the stream, as at a shutdown (cfkctl
// events exited 0, silent), and cfkd logged nothing of the cut.
func TestConnectionEventsCutOffNotReadInTime(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	client.SetReadBuffer(4096)
	server.SetWriteBuffer(4096)
	log, hook := quietLogger(), &entryHook{}
	log.SetLevel(logrus.WarnLevel)
	log.AddHook(hook)
	r := newConnRigLog(t, client, server, defaultConnLimits, true, log)
	r.conn.io.cutGrace = 500 * time.Millisecond
	if err := writeLines(client, []string{"command events"}); err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	// lines of 2 KB: the socket takes few of them, and the writer waits in
	// the middle of its batch when the grace ends; 300 is past the
	// backlog, 100 lines
	const n = 300
	at, why := time.Now(), strings.Repeat("x", 2000)
	for i := 1; i <= n; i++ {
		r.sys.EventStream.Publish(messages.ServiceStateChanged{Name: "web1", From: messages.Running,
			To: messages.Fail, Pid: i, At: at, Reason: why})
	}
	// the grace over, the writer gives up what the client has not read
	// (it used to close the connection)
	r.waitFor("the writer giving up", func() bool {
		select {
		case <-r.gone:
			return true
		default:
		}
		hook.mu.Lock()
		defer hook.mu.Unlock()
		return slices.ContainsFunc(hook.msgs, func(m string) bool { return strings.Contains(m, "after the cut included") })
	})
	data, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) < 2 || lines[len(lines)-1] != "" {
		t.Fatalf("the stream ends in the middle of a line: ...%q", data[max(0, len(data)-100):])
	}
	last := lines[len(lines)-2]
	e, err := messages.ParseEvent(strings.TrimSuffix(last, "\r\n"))
	if !strings.HasSuffix(last, "\r\n") || err != nil || e.Kind != messages.EventLost {
		t.Fatalf("the last line ...%q is no lost line (%v): the client cannot tell the cut from an end", last[max(0, len(last)-100):], err)
	}
	got := len(lines) - 2
	for i, l := range lines[:got] {
		if ev, err := messages.ParseEvent(strings.TrimSuffix(l, "\n")); err != nil || ev.Pid != i+1 {
			t.Fatalf("line %d: %q (%v)", i, l, err)
		}
	}
	if e.Lost < 1 || got+e.Lost > n {
		t.Fatalf("%d lines got and %d lost, of %d", got, e.Lost, n)
	}
	t.Logf("%d lines written, %d lost", got, e.Lost)
}

// TestRestOfLine: the rest of the line a write stopped in.
func TestRestOfLine(t *testing.T) {
	buf := []byte("ab\ncd\nef\n")
	for _, c := range []struct {
		n    int
		want string
	}{{0, ""}, {1, "b\n"}, {2, "\n"}, {3, ""}, {4, "d\n"}, {8, "\n"}, {9, ""}} {
		if got := string(restOfLine(buf, c.n)); got != c.want {
			t.Errorf("restOfLine(%q, %d) = %q, want %q", buf, c.n, got, c.want)
		}
	}
}

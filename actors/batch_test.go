package actors

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
	"github.com/cfk/cfk/rights"
)

// batchLines are declarations whose replies differ: new services, more
// attributes of them, dependencies, and dependency cycles (refused by the
// controller).
func batchLines() []string {
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("service s%d cmd=sleep %d", i, i))
		switch i % 8 {
		case 1:
			lines = append(lines, fmt.Sprintf("service s%d respawn_on_fail=0", i))
		case 2:
			lines = append(lines, fmt.Sprintf("service s%d requires=s%d", i, i-1))
		case 3:
			lines = append(lines, fmt.Sprintf("service s%d requires=s%d", i-1, i)) // s2 requires s1, s3 s2: no cycle
		case 4:
			lines = append(lines, fmt.Sprintf("service s%d requires=s%d", i-1, i), fmt.Sprintf("service s%d requires=s%d", i, i-1)) // a cycle
		case 5:
			lines = append(lines, fmt.Sprintf("service s%d tags=a,b", i), fmt.Sprintf("service s%d desc=five", i))
		}
	}
	return lines
}

// A declareBatch gets, line by line, the replies the same lines get sent
// one at a time, and leaves the same services behind.
func TestDeclareBatchAsAlone(t *testing.T) {
	t.Parallel()
	lines := batchLines()
	alone, batched := newRig(t), newRig(t)
	var want, got []byte
	var b declareBatch
	for _, l := range lines {
		want = protocol.AppendReply(want, alone.exec(l))
		st, err := messages.Parse(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		b.decls = append(b.decls, st.(messages.SetServiceAttr))
	}
	res, err := batched.tree.System.Root.RequestFuture(batched.tree.Controller, b, deadline).Result()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := res.(declared)
	if !ok || len(d.replies) != len(lines) {
		t.Fatalf("answer %#v, want %d replies", res, len(lines))
	}
	for _, r := range d.replies {
		got = protocol.AppendReply(got, r)
	}
	if string(got) != string(want) {
		t.Fatalf("batched replies:\n%s\nwant (one at a time):\n%s", got, want)
	}
	if !strings.Contains(string(want), "ERROR") {
		t.Fatal("no line failed: the test proves little")
	}
	for _, q := range []string{"command desc", "command status"} {
		a, b := protocol.AppendReply(nil, alone.exec(q)), protocol.AppendReply(nil, batched.exec(q))
		if string(a) != string(b) {
			t.Errorf("%q after the batch:\n%s\nwant:\n%s", q, b, a)
		}
	}
}

// A client's pipelined declarations go to the controller in runs (fewer
// messages than lines), and every line gets its reply in order, with the
// requests that are not declarations, the lines that fail to parse and
// the lines too long in their places.
func TestConnectionBatchesDeclarations(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	var lines []string
	for i := range 2000 {
		switch {
		case i%300 == 17:
			lines = append(lines, "command status")
		case i%400 == 5:
			lines = append(lines, "bogus")
		case i%700 == 9:
			lines = append(lines, strings.Repeat("x", protocol.MaxLine+1))
		case i%900 == 1:
			lines = append(lines, fmt.Sprintf("command restart service r%d", i))
		default:
			lines = append(lines, fmt.Sprintf("service s%d desc=x", i))
		}
	}
	if err := writeLines(client, lines); err != nil {
		t.Fatal(err)
	}
	client.CloseWrite()
	readAll(t, client, r.expected(lines, true))
	if b := r.fake.batches.Load(); b == 0 || b > int64(len(lines))/4 {
		t.Errorf("%d batches for %d lines", b, len(lines))
	}
	if m := r.fake.maxHeld.Load(); m > 1 {
		t.Errorf("%d requests at the controller at once, want 1 at most", m)
	}
}

// Rights are checked line by line in a run of declarations: an operate
// token's are refused, each with its audit record; an admin token's are
// run, each audited.
func TestBatchedDeclarationsRights(t *testing.T) {
	t.Parallel()
	r := newConsoleRig(t, "tcp", &ConsolePolicy{Tokens: rights.StoreOf(testTokens(t)), AuthDelay: 20 * time.Millisecond})
	for _, tc := range []struct {
		token, want string
	}{{operateTok, "ERROR: not authorized"}, {adminTok, "OK|"}} {
		c := r.dial()
		var req strings.Builder
		req.WriteString("auth " + tc.token + "\r\n")
		for i := range 50 {
			fmt.Fprintf(&req, "service b%d cmd=x\r\n", i)
		}
		req.WriteString("command status\r\n")
		if _, err := c.conn.Write([]byte(req.String())); err != nil {
			t.Fatal(err)
		}
		if got := c.read(); got != "OK" {
			t.Fatalf("auth %s: %q", tc.token, got)
		}
		for i := range 50 {
			want := tc.want
			if want == "OK|" {
				want += fmt.Sprintf("b%d", i) // the fake's answer
			}
			if got := c.read(); got != want {
				t.Fatalf("%s, line %d: %q, want %q", tc.token, i, got, want)
			}
		}
		if got := c.read(); !strings.HasPrefix(got, "OK") {
			t.Fatalf("status: %q", got)
		}
	}
	log := r.rec.text()
	for i := range 50 {
		for _, want := range []string{
			fmt.Sprintf("warning audit not authorized: service b%d cmd=x (needs admin) peer=", i),
			fmt.Sprintf("info audit service b%d cmd=x peer=", i),
		} {
			if strings.Count(log, want) != 1 {
				t.Fatalf("the log has %d records %q, want 1:\n%s", strings.Count(log, want), want, log)
			}
		}
	}
}

// A reply of BigReply bytes or more calls afterBigReply (cfkd's trimmer),
// once per such reply; smaller ones do not.
func TestConnectionAfterBigReply(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	r.fake.statusLines = BigReply/100 + 1 // lines of 100 bytes with their "\n"
	var calls atomic.Int64
	r.conn.io.mu.Lock()
	r.conn.io.afterBig = func() { calls.Add(1) }
	r.conn.io.mu.Unlock()
	lines := []string{"command status", "service a desc=x", "command version", "command status"}
	if err := writeLines(client, lines); err != nil {
		t.Fatal(err)
	}
	client.CloseWrite()
	readAll(t, client, r.expected(lines, true))
	// afterBigReply runs after the reply is handed to the writer: the
	// client may have read it all before the second call
	for end := time.Now().Add(deadline); calls.Load() < 2 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("afterBigReply called %d times for 2 big replies", n)
	}
}

// TestDeclarationsGoAhead: while a batch of declarations is at the
// controller, the next run of them goes there too (declareAhead), one at
// most; a request that is no declaration waits until every batch before
// it is answered; every line gets its reply, in order.
func TestDeclarationsGoAhead(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	r.fake.holdBatches = true
	var lines []string
	for i := range 1000 {
		lines = append(lines, fmt.Sprintf("service s%d desc=x", i))
		if i == 700 {
			lines = append(lines, "command status")
		}
	}
	if err := writeLines(client, lines); err != nil {
		t.Fatal(err)
	}
	client.CloseWrite()
	held := func() int {
		r.fake.mu.Lock()
		defer r.fake.mu.Unlock()
		return len(r.fake.heldBatches)
	}
	r.waitFor("two batches at the controller", func() bool { return held() == 2 })
	got := make(chan []byte, 1)
	var read atomic.Bool
	go func() {
		b, _ := io.ReadAll(client)
		read.Store(true)
		got <- b
	}()
	for {
		r.waitFor("a batch at the controller, or every reply", func() bool { return held() > 0 || read.Load() })
		if !r.fake.releaseBatch(r.sys) {
			break
		}
	}
	if b, want := <-got, r.expected(lines, true); !bytes.Equal(b, want) {
		t.Fatalf("replies: got %d bytes, want %d (%q...)", len(b), len(want), b[:min(len(b), 80)])
	}
	r.fake.mu.Lock()
	defer r.fake.mu.Unlock()
	if r.fake.maxHeldBatches != 2 {
		t.Errorf("at most %d batches at the controller at once, want 2", r.fake.maxHeldBatches)
	}
	if r.fake.heldAtRequest != 0 {
		t.Errorf("the status went to the controller with %d batches before it unanswered", r.fake.heldAtRequest)
	}
}

// TestDeclarationsAheadTimedOut: when the controller does not answer the
// batch in flight in time, its lines and those of the batch sent ahead
// each get the timeout's error, then the connection closes.
func TestDeclarationsAheadTimedOut(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	lim := defaultConnLimits
	lim.timeout = 200 * time.Millisecond
	r := newConnRig(t, client, server, lim, true)
	r.fake.holdBatches = true
	var lines []string
	for i := range 600 {
		lines = append(lines, fmt.Sprintf("service s%d desc=x", i))
	}
	if err := writeLines(client, lines); err != nil {
		t.Fatal(err)
	}
	r.waitFor("two batches at the controller", func() bool {
		r.fake.mu.Lock()
		defer r.fake.mu.Unlock()
		return len(r.fake.heldBatches) == 2
	})
	r.fake.mu.Lock()
	n := len(r.fake.heldBatches[0].ans.replies) + len(r.fake.heldBatches[1].ans.replies)
	r.fake.mu.Unlock()
	var want []byte
	for range n {
		want = protocol.AppendReply(want, messages.ErrorReply(fmt.Errorf("no answer after %v", lim.timeout)))
	}
	readAll(t, client, want)
}

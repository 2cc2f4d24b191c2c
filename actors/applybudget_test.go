package actors

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// TestDryRunsWaitForTheApplyBudget: the dry runs of peers that are not
// admin, from many connections at once, are decoded and planned two at
// a time (the budget's shared places, REFERENCE §1.4): the others wait
// their turn, in order, then are answered, none refused; an admin's
// apply, in places of its own, is answered while they wait. Without the budget, every connection
// decoded its apply at once (16 MiB each: cfkd's memory grew with them).
func TestDryRunsWaitForTheApplyBudget(t *testing.T) {
	const shared, n = 2, 6
	b := newApplyBudget(shared, 1)
	release := make(chan struct{})
	var decodes atomic.Int64
	b.beforeDecode = func() {
		if decodes.Add(1) <= shared { // the first two hold their places
			<-release
		}
	}
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	defer open() // a failure must not leave decoders waiting
	withBudget := func(s *connStreams) { s.applies = b }
	data := messages.EncodeApplyData("service a cmd=sleep 1\n")
	dry := "command apply dry-run " + data + "\n"

	rigs := make([]*connRig, n+1)
	for i := range rigs {
		client, server := socketPair(t)
		rigs[i] = newConnRigWith(t, client, server, defaultConnLimits, false, quietLogger(), withBudget)
		if _, err := client.Write([]byte(dry)); err != nil {
			t.Fatal(err)
		}
	}
	r := rigs[0]
	r.waitFor("two dry runs decoding and five waiting", func() bool {
		held, _, waiting := b.stats(false)
		return held == shared && waiting == n+1-shared
	})

	// an admin's apply does not wait behind them
	ac, as := socketPair(t)
	admin := newConnRigWith(t, ac, as, defaultConnLimits, true, quietLogger(), withBudget)
	if _, err := ac.Write([]byte("command apply " + data + "\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(ac).ReadString('\n'); err != nil || line != "OK\r\n" {
		t.Fatalf("the admin's apply, while dry runs wait: %q, %v", line, err)
	}
	if _, _, waiting := b.stats(false); waiting != n+1-shared {
		t.Fatalf("%d dry runs waiting once the admin's apply was answered, want %d", waiting, n+1-shared)
	}
	_ = admin

	open()
	for i, g := range rigs {
		if line, err := bufio.NewReader(g.client).ReadString('\n'); err != nil || line != "OK\r\n" {
			t.Fatalf("dry run %d: %q, %v", i, line, err)
		}
	}
	// a place is given back once the reply is written: waited for
	r.waitFor("every place given back", func() bool {
		held, _, waiting := b.stats(false)
		aheld, _, _ := b.stats(true)
		return held == 0 && waiting == 0 && aheld == 0
	})
	if _, maxHeld, _ := b.stats(false); maxHeld != shared {
		t.Fatalf("shared places: %d held at most; want %d", maxHeld, shared)
	}
	if _, maxHeld, _ := b.stats(true); maxHeld != 1 {
		t.Fatalf("admin places: %d held at most; want 1", maxHeld)
	}
}

// TestApplyWaitingAtShutdownIsAnswered: an apply that waits for its place
// when cfkd shuts down is answered `cfkd is shutting down` at once, as the
// controller would answer it, and gives up its turn.
func TestApplyWaitingAtShutdownIsAnswered(t *testing.T) {
	b := newApplyBudget(1, 1)
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) })
	holdFirstDecode(b, release)
	dry := "command apply dry-run " + messages.EncodeApplyData("service a cmd=sleep 1\n") + "\n"
	rigs := make([]*connRig, 2)
	for i := range rigs {
		client, server := socketPair(t)
		rigs[i] = newConnRigWith(t, client, server, defaultConnLimits, false, quietLogger(), func(s *connStreams) { s.applies = b })
		if _, err := client.Write([]byte(dry)); err != nil {
			t.Fatal(err)
		}
		rigs[i].waitFor("the dry run to hold or wait for its place", func() bool {
			held, _, waiting := b.stats(false)
			return held+waiting == i+1
		})
	}
	w := rigs[1]
	w.sys.Root.Send(w.pid, drainConnection{})
	if line, err := bufio.NewReader(w.client).ReadString('\n'); err != nil || line != "ERROR: cfkd is shutting down\r\n" {
		t.Fatalf("the waiting dry run at shutdown: %q, %v", line, err)
	}
	// its turn is given up once its answer is written: waited for
	w.waitFor("its turn given up, the first still holding its place", func() bool {
		held, _, waiting := b.stats(false)
		return held == 1 && waiting == 0
	})
	once.Do(func() { close(release) })
	if line, err := bufio.NewReader(rigs[0].client).ReadString('\n'); err != nil || line != "OK\r\n" {
		t.Fatalf("the dry run decoding: %q, %v", line, err)
	}
}

// applyRigs is two admin connections on budget b, whose first decode
// waits for release: a's apply holds the one admin place, w's waits for
// it. w's client sent `command status` before its apply and went away at
// once: the reply to that status fails to be written, so the connection
// knows it is closed (connectionClosed) while its apply waits. w's log is
// kept (hook).
func applyRigs(t *testing.T, b *applyBudget, release chan struct{}) (a, w *connRig, hook *entryHook) {
	t.Helper()
	holdFirstDecode(b, release)
	apply := "command apply " + messages.EncodeApplyData("service a cmd=sleep 1\n") + "\n"
	withBudget := func(s *connStreams) { s.applies = b }
	ac, as := socketPair(t)
	a = newConnRigWith(t, ac, as, defaultConnLimits, true, quietLogger(), withBudget)
	if _, err := ac.Write([]byte(apply)); err != nil {
		t.Fatal(err)
	}
	a.waitFor("the first apply to hold the admin place", func() bool {
		held, _, _ := b.stats(true)
		return held == 1
	})
	hook = &entryHook{}
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.AddHook(hook)
	wc, ws := socketPair(t)
	w = newConnRigWith(t, wc, brokenWrites{ws}, defaultConnLimits, true, log, withBudget)
	if _, err := wc.Write([]byte("command status\n" + apply)); err != nil {
		t.Fatal(err)
	}
	wc.Close()
	w.waitFor("the connection to know its client gone, its apply waiting", func() bool {
		_, _, waiting := b.stats(true)
		return hook.has("Console exiting") && waiting == 1
	})
	return a, w, hook
}

// brokenWrites is a connection whose writes fail, as to a client gone.
type brokenWrites struct{ net.Conn }

func (brokenWrites) Write([]byte) (int, error) { return 0, syscall.EPIPE }

func (h *entryHook) has(msg string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.ContainsFunc(h.msgs, func(m string) bool { return strings.HasPrefix(m, msg) })
}

// TestClosedApplyWaitingAtShutdownEnds: an apply (not a dry run) whose
// connection is closed while it waits for its place keeps its turn; when
// cfkd then shuts down it is answered for nobody, and its connection
// ends: it stayed, idle and closed, for ever, and the console never said
// it was drained (cfkd's shutdown waited its 10 s for it).
func TestClosedApplyWaitingAtShutdownEnds(t *testing.T) {
	b := newApplyBudget(1, 1)
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) })
	a, w, _ := applyRigs(t, b, release)
	w.sys.Root.Send(w.pid, drainConnection{})
	select {
	case <-w.gone:
	case <-time.After(connWait):
		t.Fatal("the connection, closed, its waiting apply answered at shutdown, never stopped")
	}
	if _, _, waiting := b.stats(true); waiting != 0 {
		t.Fatalf("%d applies waiting once the connection ended, want 0", waiting)
	}
	once.Do(func() { close(release) })
	if line, err := bufio.NewReader(a.client).ReadString('\n'); err != nil || line != "OK\r\n" {
		t.Fatalf("the first apply: %q, %v", line, err)
	}
}

// TestTimedOutApplyHoldsItsPlaceWhileDecoding: an apply answered while
// its DATA is being decoded (its 10 minutes past) keeps its place until
// the decoding ends: the place was given back at the answer, and the
// next apply decoded its 16 MiB beside the one still decoding, past the
// budget (REFERENCE §1.4).
func TestTimedOutApplyHoldsItsPlaceWhileDecoding(t *testing.T) {
	b := newApplyBudget(1, 1)
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	defer open()
	decodes := holdFirstDecode(b, release)
	apply := "command apply " + messages.EncodeApplyData("service a cmd=sleep 1\n") + "\n"
	withBudget := func(s *connStreams) { s.applies = b }
	lim := defaultConnLimits
	lim.timeout = 100 * time.Millisecond
	ac, as := socketPair(t)
	a := newConnRigWith(t, ac, as, lim, true, quietLogger(), withBudget)
	if _, err := ac.Write([]byte(apply)); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(ac).ReadString('\n'); err != nil || !strings.HasPrefix(line, "ERROR: no answer after") {
		t.Fatalf("the apply decoding past its timeout: %q, %v", line, err)
	}
	if held, _, _ := b.stats(true); held != 1 {
		t.Fatalf("%d places held once the apply decoding was answered, want 1 (until its decoding ends)", held)
	}
	wc, ws := socketPair(t)
	w := newConnRigWith(t, wc, ws, defaultConnLimits, true, quietLogger(), withBudget)
	if _, err := wc.Write([]byte(apply)); err != nil {
		t.Fatal(err)
	}
	w.waitFor("the second apply to wait or to decode", func() bool {
		_, _, waiting := b.stats(true)
		return waiting == 1 || decodes.Load() == 2
	})
	if n := decodes.Load(); n != 1 {
		t.Fatalf("%d applies decoding at once, the budget's admin places being 1", n)
	}
	open()
	if line, err := bufio.NewReader(wc).ReadString('\n'); err != nil || line != "OK\r\n" {
		t.Fatalf("the second apply: %q, %v", line, err)
	}
	select {
	case <-a.gone:
	case <-time.After(connWait):
		t.Fatal("the connection that timed out never stopped")
	}
	w.waitFor("every place given back at the end", func() bool {
		held, _, waiting := b.stats(true)
		return held == 0 && waiting == 0
	})
}

// TestApplyDecodedNamesNoSecret: a decoded apply that reaches a
// connection gone (a dead letter, which protoactor logs with its message
// at debug level) is named without its declarations: their add_env
// values are never logged (REFERENCE §5.5).
func TestApplyDecodedNamesNoSecret(t *testing.T) {
	st, err := messages.Parse("command apply dry-run " + messages.EncodeApplyData("service a cmd=sleep 1\nservice a add_env=K=s3cr3t-value\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := applyDecoded{t: &applyTicket{}, a: st.(messages.Apply)}
	for _, s := range []string{fmt.Sprint(m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m)} {
		if strings.Contains(s, "s3cr3t") {
			t.Fatalf("a decoded apply named %q", s)
		}
	}
}

// holdFirstDecode makes the first decode of budget b wait for release;
// it counts the decodes begun.
func holdFirstDecode(b *applyBudget, release chan struct{}) *atomic.Int64 {
	decodes := new(atomic.Int64)
	b.beforeDecode = func() {
		if decodes.Add(1) == 1 {
			<-release
		}
	}
	return decodes
}

package actors

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
	"github.com/sirupsen/logrus"
)

// The connection's tests run one connection actor against fakeController
// over a socketpair or a net.Pipe (REFERENCE §1.5).

const connWait = 20 * time.Second

// fakeController answers the statements of the connection under test:
//   - `service NAME ...`: at once, the body line NAME;
//   - `command restart service NAME`: after delay, the body line
//     "restarted NAME" (a deferred answer, as a real restart's);
//   - `command status service hang`: never;
//   - `command status ...`: at once, statusLines lines of 100 bytes;
//   - anything else: at once, an empty OK;
//   - a declareBatch: at once, each declaration's answer as above (with
//     holdBatches, when the test releases it: heldBatches).
//
// It records how many requests it got and the most it held unanswered.
type fakeController struct {
	delay       time.Duration
	gate        chan struct{} // not nil: a deferred answer waits, past delay, until it is closed
	statusLines int
	holdBatches bool
	streamGate  chan struct{} // not nil: a stream's OK waits until it is closed

	got, held, maxHeld atomic.Int64
	batches            atomic.Int64 // declareBatch messages

	mu             sync.Mutex
	heldBatches    []heldBatch // the answers of the batches held, in order
	maxHeldBatches int
	heldAtRequest  int // the most batches held when a lone request came
}

// heldBatch is the answer to a declareBatch, held (holdBatches).
type heldBatch struct {
	to  *actor.PID
	ans declared
}

// releaseBatch sends the answer of the first batch held, if any.
func (f *fakeController) releaseBatch(sys *actor.ActorSystem) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.heldBatches) == 0 {
		return false
	}
	h := f.heldBatches[0]
	f.heldBatches = f.heldBatches[1:]
	sys.Root.Send(h.to, h.ans)
	return true
}

type deferredAnswer struct {
	to  *actor.PID
	rep messages.Reply
}

// answerOf is the fake's answer to a statement (ok false: no answer).
func (f *fakeController) answerOf(st messages.Statement) (rep messages.Reply, deferred, ok bool) {
	switch m := st.(type) {
	case messages.SetServiceAttr:
		return messages.Reply{Lines: []string{m.Service}}, false, true
	case messages.ControlCommand:
		switch {
		case m.Verb == messages.VerbRestart:
			return messages.Reply{Lines: []string{"restarted " + m.Sel.Name}}, true, true
		case m.Verb == messages.VerbStatus && m.Sel.Name == "hang":
			return messages.Reply{}, false, false
		case m.Verb == messages.VerbStatus:
			lines := make([]string, f.statusLines)
			for i := range lines {
				lines[i] = strings.Repeat("s", 99)
			}
			return messages.Reply{Lines: lines}, false, true
		}
	}
	return messages.Reply{}, false, true
}

func (f *fakeController) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case messages.Statement:
		f.mu.Lock()
		f.heldAtRequest = max(f.heldAtRequest, len(f.heldBatches))
		f.mu.Unlock()
		f.got.Add(1)
		if h := f.held.Add(1); h > f.maxHeld.Load() {
			f.maxHeld.Store(h)
		}
		rep, deferred, ok := f.answerOf(m)
		switch {
		case !ok:
		case deferred:
			root, self, to, gate := ctx.ActorSystem().Root, ctx.Self(), ctx.Sender(), f.gate
			time.AfterFunc(f.delay, func() {
				if gate != nil {
					<-gate
				}
				root.Send(self, deferredAnswer{to: to, rep: rep})
			})
		default:
			f.held.Add(-1)
			ctx.Respond(rep)
		}
	case declareBatch: // a run of declarations: answered at once, each as alone
		f.got.Add(int64(len(m.decls)))
		f.batches.Add(1)
		if h := f.held.Add(1); h > f.maxHeld.Load() {
			f.maxHeld.Store(h)
		}
		replies := make([]messages.Reply, len(m.decls))
		for i, d := range m.decls {
			replies[i], _, _ = f.answerOf(d)
		}
		f.held.Add(-1)
		if f.holdBatches {
			f.mu.Lock()
			f.heldBatches = append(f.heldBatches, heldBatch{to: ctx.Sender(), ans: declared{replies: replies}})
			f.maxHeldBatches = max(f.maxHeldBatches, len(f.heldBatches))
			f.mu.Unlock()
			return
		}
		ctx.Respond(declared{replies: replies})
	case deferredAnswer:
		f.held.Add(-1)
		ctx.Send(m.to, m.rep)
	case streamRequest: // a stream: OK, but for the service "nosuch"
		f.got.Add(1)
		if m.cmd.Arg == "nosuch" || m.cmd.Sel.Name == "nosuch" {
			ctx.Respond(messages.ErrorReply(messages.ErrNoService))
			return
		}
		if gate := f.streamGate; gate != nil { // held until the gate is closed
			root, to := ctx.ActorSystem().Root, ctx.Sender()
			go func() {
				<-gate
				root.Send(to, messages.Reply{})
			}()
			return
		}
		ctx.Respond(messages.Reply{})
	}
}

// connRig is one connection actor, spawned by a watcher that reports its
// end, with its client side.
type connRig struct {
	t      testing.TB
	sys    *actor.ActorSystem
	fake   *fakeController
	client net.Conn
	conn   *connection
	hub    *eventHub // what streams read (connstream_test.go)
	tail   *Tail
	pid    *actor.PID
	gone   chan struct{}
	dead   atomic.Int64 // dead letters
}

type watcher struct {
	props *actor.Props
	pid   chan *actor.PID
	gone  chan struct{}
}

func (w *watcher) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		w.pid <- ctx.Spawn(w.props)
	case *actor.Terminated:
		close(w.gone)
	}
}

// newConnRig runs a connection on server (client is the other end).
func newConnRig(t testing.TB, client, server net.Conn, lim connLimits, privileged bool) *connRig {
	t.Helper()
	return newConnRigLog(t, client, server, lim, privileged, quietLogger())
}

// newConnRigLog is newConnRig with the connection's logger.
func newConnRigLog(t testing.TB, client, server net.Conn, lim connLimits, privileged bool, log *logrus.Logger) *connRig {
	t.Helper()
	return newConnRigWith(t, client, server, lim, privileged, log, nil)
}

// newConnRigWith is newConnRigLog with the connection's streams changed
// by with (when not nil) before it starts.
func newConnRigWith(t testing.TB, client, server net.Conn, lim connLimits, privileged bool, log *logrus.Logger, with func(*connStreams)) *connRig {
	t.Helper()
	return newConnRigGate(t, client, server, lim, privileged, log, with, nil)
}

// newConnRigGate is newConnRigWith with g (when not nil) as the
// connection's gate: a console with tokens (REFERENCE §5.3).
func newConnRigGate(t testing.TB, client, server net.Conn, lim connLimits, privileged bool, log *logrus.Logger, with func(*connStreams), g *gate) *connRig {
	t.Helper()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(newLogrusHandler(quietLogger()))
	}))
	r := &connRig{t: t, sys: sys, fake: &fakeController{delay: 5 * time.Millisecond, statusLines: 10},
		client: client, gone: make(chan struct{})}
	sub := r.sys.EventStream.Subscribe(func(ev any) {
		if _, ok := ev.(*actor.DeadLetterEvent); ok {
			r.dead.Add(1)
		}
	})
	ctrl := r.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return r.fake }))
	r.hub, r.tail = newEventHub(sys.EventStream), newTail(nopLines{}, 1024)
	streams := connStreams{hub: r.hub, tail: r.tail, backlog: Backlog{Lines: 100, Bytes: 64 << 10}}
	if with != nil {
		with(&streams)
	}
	r.conn = newConnection(server, privileged, ctrl, log, lim, streams)
	if g != nil {
		r.conn.gate = g
	}
	w := &watcher{props: actor.PropsFromProducer(func() actor.Actor { return r.conn }),
		pid: make(chan *actor.PID, 1), gone: r.gone}
	r.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return w }))
	r.pid = <-w.pid
	t.Cleanup(func() {
		client.Close()
		select {
		case <-r.gone:
		case <-time.After(connWait):
			t.Errorf("the connection actor never stopped")
		}
		r.sys.EventStream.Unsubscribe(sub)
		if n := r.dead.Load(); n > 0 {
			t.Errorf("%d dead letters", n)
		}
		r.sys.Shutdown()
	})
	client.SetDeadline(time.Now().Add(connWait))
	return r
}

// socketPair returns the two ends of a UNIX stream socketpair.
func socketPair(t testing.TB) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	syscall.ForkLock.RLock() // no SOCK_CLOEXEC on macOS
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]*net.UnixConn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c.(*net.UnixConn)
	}
	return conns[0], conns[1]
}

// countingConn counts the Write calls of the connection under test.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// expected is the wire form of the replies the fake's connection gives to
// lines, in order (privileged console).
func (r *connRig) expected(lines []string, privileged bool) []byte {
	var out []byte
	for _, l := range lines {
		if len(l) > protocol.MaxLine {
			out = protocol.AppendReply(out, messages.ErrorReply(protocol.ErrLineTooLong))
			continue
		}
		st, err := messages.Parse(l)
		switch {
		case err != nil:
			out = protocol.AppendReply(out, messages.ErrorReply(err))
		case st.NeedsPrivilege() && !privileged:
			out = protocol.AppendReply(out, messages.ErrorReply(messages.ErrNotAuthorized))
		default:
			rep, _, _ := r.fake.answerOf(st)
			out = protocol.AppendReply(out, rep)
		}
	}
	return out
}

// ioStats are the connection's counters.
func (r *connRig) ioStats() (reqs, reqBytes, replyBytes int) {
	io := r.conn.io
	io.mu.Lock()
	defer io.mu.Unlock()
	return io.reqs, io.reqBytes, io.replyBytes
}

func (r *connRig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	end := time.Now().Add(connWait)
	for !cond() {
		if time.Now().After(end) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// readAll reads until EOF and checks it got want.
func readAll(t *testing.T, c net.Conn, want []byte) {
	t.Helper()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (after %d bytes)", err, len(got))
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("replies differ at byte %d of %d (want %d): got %q, want %q", i, len(got), len(want),
			got[i:min(len(got), i+80)], want[i:min(len(want), i+80)])
	}
}

// mixedLines are pipelined requests of every kind: answered at once,
// deferred, refused by the parser, too long, and needing a privilege.
func mixedLines(n int) []string {
	lines := make([]string, 0, n)
	for i := range n {
		switch {
		case i%500 == 7:
			lines = append(lines, fmt.Sprintf("command restart service r%d", i))
		case i%100 == 3:
			lines = append(lines, fmt.Sprintf("bogus%d", i))
		case i%1000 == 999:
			lines = append(lines, strings.Repeat("x", protocol.MaxLine+1))
		case i%250 == 11:
			lines = append(lines, "command status")
		default:
			lines = append(lines, fmt.Sprintf("service s%d desc=x", i))
		}
	}
	return lines
}

func writeLines(c net.Conn, lines []string) error {
	w := bufio.NewWriter(c)
	for _, l := range lines {
		if _, err := w.WriteString(l + "\r\n"); err != nil {
			return err
		}
	}
	return w.Flush()
}

// TestConnectionPipelinedInOrder: a client writes thousands of requests of
// every kind without reading, then reads: one reply each, in order, with
// one request at most at the controller.
func TestConnectionPipelinedInOrder(t *testing.T) {
	t.Parallel()
	for _, privileged := range []bool{true, false} {
		t.Run(fmt.Sprintf("privileged=%v", privileged), func(t *testing.T) {
			client, server := socketPair(t)
			r := newConnRig(t, client, server, defaultConnLimits, privileged)
			lines := mixedLines(3000)
			if err := writeLines(client, lines); err != nil {
				t.Fatal(err)
			}
			client.CloseWrite() // the replies still come, then EOF
			readAll(t, client, r.expected(lines, privileged))
			if m := r.fake.maxHeld.Load(); m > 1 {
				t.Errorf("%d requests at the controller at once, want 1 at most", m)
			}
			select {
			case <-r.gone:
			case <-time.After(connWait):
				t.Fatal("the actor did not stop after the connection closed")
			}
		})
	}
}

// TestConnectionCoalescesReplies: replies that are ready together go out
// in one write.
func TestConnectionCoalescesReplies(t *testing.T) {
	t.Parallel()
	client, pipe := net.Pipe() // unbuffered: the first reply's write waits for the client
	server := &countingConn{Conn: pipe}
	r := newConnRig(t, client, server, defaultConnLimits, true)
	const n = 2000
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("service s%d desc=x", i)
	}
	if err := writeLines(client, lines); err != nil { // returns once cfkd has read them all
		t.Fatal(err)
	}
	r.waitFor("every request answered", func() bool { return r.fake.got.Load() == n })
	client.Write([]byte("exit\r\n"))
	readAll(t, client, r.expected(lines, true))
	// one write for the first reply, which waits for the client, one for
	// those queued meanwhile; and a few for replies that were still on
	// their way from the controller to the connection when the client
	// read (the fake counts a request as it answers it): under -race on
	// a loaded machine, 5. One write a reply would be 2000.
	if w := server.writes.Load(); w > n/100 {
		t.Errorf("%d replies took %d writes, want %d at most", n, w, n/100)
	}
}

// TestConnectionBackpressure: a client that writes and never reads gets
// its requests read only up to the bounds; once it reads, everything
// flows again, in order.
func TestConnectionBackpressure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		line func(i int) string
	}{
		{"requests bound", func(i int) string { return fmt.Sprintf("service s%d desc=x", i) }},
		{"bytes bound", func(i int) string { return "command status" }}, // 1 KiB replies
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := net.Pipe()
			lim := connLimits{bytes: 4096, requests: 64, timeout: RequestTimeout}
			r := newConnRig(t, client, server, lim, true)
			var (
				mu      sync.Mutex
				written []string
				stop    = make(chan struct{})
				done    = make(chan error, 1)
				blocked = make(chan struct{})
			)
			go func() { // writes forever; tells when a write stays blocked 100 ms
				var once sync.Once
				for i := 0; ; i++ {
					l := tc.line(i)
					for b := []byte(l + "\r\n"); len(b) > 0; {
						select {
						case <-stop:
							done <- nil
							return
						default:
						}
						client.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
						n, err := client.Write(b)
						b = b[n:]
						var ne net.Error
						switch {
						case errors.As(err, &ne) && ne.Timeout():
							once.Do(func() { close(blocked) })
						case err != nil:
							done <- err
							return
						}
					}
					mu.Lock()
					written = append(written, l)
					mu.Unlock()
				}
			}()
			select {
			case <-blocked:
			case err := <-done:
				t.Fatalf("writer: %v", err)
			case <-time.After(connWait):
				t.Fatal("cfkd kept reading from a client that never reads")
			}
			reqs, reqBytes, replyBytes := r.ioStats()
			const maxReply = 10*100 + 4
			if reqs > lim.requests || replyBytes > lim.bytes+maxReply || reqBytes+replyBytes > lim.bytes+protocol.MaxLine+maxReply {
				t.Fatalf("past the bounds: %d requests, %d request bytes, %d reply bytes", reqs, reqBytes, replyBytes)
			}
			if got := r.fake.got.Load(); got > int64(lim.requests) {
				t.Fatalf("%d requests went to the controller, want %d at most", got, lim.requests)
			}
			// the client reads now: everything flows, then stops with exit
			got := make(chan []byte, 1)
			go func() {
				b, _ := io.ReadAll(client)
				got <- b
			}()
			r.waitFor("more requests once the client reads", func() bool { return r.fake.got.Load() > 3*int64(lim.requests) })
			close(stop)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			client.SetWriteDeadline(time.Now().Add(connWait))
			if _, err := client.Write([]byte("exit\r\n")); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			want := r.expected(written, true)
			mu.Unlock()
			if b := <-got; !bytes.Equal(b, want) {
				t.Fatalf("got %d bytes of replies, want %d", len(b), len(want))
			}
		})
	}
}

// TestConnectionExitAfterPipelined: exit closes the connection after the
// replies due, and nothing after it is read.
func TestConnectionExitAfterPipelined(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	client.Write([]byte("service a desc=x\r\ncommand restart service r\r\n  ExIt \r\nservice c desc=x\r\n"))
	readAll(t, client, r.expected([]string{"service a desc=x", "command restart service r"}, true))
	if n := r.fake.got.Load(); n != 2 {
		t.Fatalf("the controller got %d requests, want 2", n)
	}
}

// TestConnectionTimeout: a request the controller does not answer in time
// is answered with an error, and the connection closes (what was queued
// behind it is dropped with it).
func TestConnectionTimeout(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	lim := defaultConnLimits
	lim.timeout = 100 * time.Millisecond
	newConnRig(t, client, server, lim, true)
	client.Write([]byte("service a desc=x\r\ncommand status service hang\r\nservice b desc=x\r\n"))
	readAll(t, client, []byte("a\nOK\r\nERROR: no answer after 100ms\r\n"))
}

// TestConnectionDrain: draining answers the request at the controller when
// it comes, the queued ones at once with an error, then closes; an idle
// connection closes at once.
func TestConnectionDrain(t *testing.T) {
	t.Parallel()
	t.Run("busy", func(t *testing.T) {
		client, server := socketPair(t)
		r := newConnRig(t, client, server, defaultConnLimits, true)
		r.fake.delay = 200 * time.Millisecond
		client.Write([]byte("command restart service slow\r\nservice b desc=x\r\n"))
		r.waitFor("both requests read, one at the controller", func() bool {
			reqs, _, _ := r.ioStats()
			return reqs == 2 && r.fake.got.Load() == 1
		})
		r.sys.Root.Send(r.pid, drainConnection{})
		readAll(t, client, []byte("restarted slow\nOK\r\nERROR: cfkd is shutting down\r\n"))
	})
	t.Run("idle", func(t *testing.T) {
		client, server := socketPair(t)
		r := newConnRig(t, client, server, defaultConnLimits, true)
		client.Write([]byte("service a desc=x\r\n"))
		buf := make([]byte, 6)
		if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "a\nOK\r\n" {
			t.Fatalf("%q %v", buf, err)
		}
		r.sys.Root.Send(r.pid, drainConnection{})
		readAll(t, client, nil)
	})
}

// TestConnectionDrainForUpgrade: drained for an upgrade in place, a
// connection still answers its request in flight when the answer comes
// at once, but does not wait for one that does not come (a restart taken
// before the freeze, whose service is frozen): it closes within
// upgradeDrainGrace, with no reply to what it queued behind, instead of
// holding the freeze for the upgrade's 3 s bound. What it queued behind
// one answered is answered `cfkd is being upgraded in place: try again`
// (it was `cfkd is shutting down`, which cfkd was not).
func TestConnectionDrainForUpgrade(t *testing.T) {
	t.Parallel()
	t.Run("answered", func(t *testing.T) {
		client, server := socketPair(t)
		r := newConnRig(t, client, server, defaultConnLimits, true)
		r.fake.delay = 20 * time.Millisecond
		r.fake.gate = make(chan struct{})
		client.Write([]byte("command restart service slow\r\nservice b desc=x\r\n"))
		r.waitFor("both requests read, one at the controller", func() bool {
			reqs, _, _ := r.ioStats()
			return reqs == 2 && r.fake.got.Load() == 1
		})
		r.sys.Root.Send(r.pid, drainConnection{upgrade: true})
		// the answer reaches the connection after the drain, however
		// late the fake's timer fires (under load it fired first)
		close(r.fake.gate)
		client.SetReadDeadline(time.Now().Add(connWait))
		readAll(t, client, []byte("restarted slow\nOK\r\nERROR: "+messages.UpgradeRetry+"\r\n"))
	})
	t.Run("never answered", func(t *testing.T) {
		client, server := socketPair(t)
		r := newConnRig(t, client, server, defaultConnLimits, true)
		r.fake.delay = time.Hour
		client.Write([]byte("command restart service slow\r\nservice b desc=x\r\n"))
		r.waitFor("both requests read, one at the controller", func() bool {
			reqs, _, _ := r.ioStats()
			return reqs == 2 && r.fake.got.Load() == 1
		})
		r.sys.Root.Send(r.pid, drainConnection{upgrade: true})
		// the upgrade waits 3 s for the console to drain
		client.SetReadDeadline(time.Now().Add(2 * time.Second))
		readAll(t, client, nil)
		select {
		case <-r.gone:
		case <-time.After(connWait):
			t.Fatal("the actor did not stop")
		}
	})
}

// TestConnectionClientGone: a client that goes away with a request at the
// controller and more queued ends the actor once the answer comes (no
// dead letter).
func TestConnectionClientGone(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	r := newConnRig(t, client, server, defaultConnLimits, true)
	r.fake.delay = 100 * time.Millisecond
	client.Write([]byte("command restart service slow\r\nservice a desc=x\r\nservice b desc=x\r\n"))
	r.waitFor("the restart at the controller", func() bool { return r.fake.got.Load() == 1 })
	client.Close()
	select {
	case <-r.gone:
	case <-time.After(connWait):
		t.Fatal("the actor did not stop")
	}
}

// BenchmarkConnectionPipelined: the connection's own cost per pipelined
// request, against a controller that answers at once (write(2) calls per
// request reported as writes/req).
func BenchmarkConnectionPipelined(b *testing.B) {
	client, server := socketPair(b)
	counted := &countingConn{Conn: server}
	newConnRig(b, client, counted, defaultConnLimits, true)
	lines := make([]string, 10000)
	for i := range lines {
		lines[i] = fmt.Sprintf("service s%05d desc=x", i)
	}
	var buf []byte
	for _, l := range lines {
		buf = append(buf, l+"\r\n"...)
	}
	br := bufio.NewReader(client)
	b.ResetTimer()
	for range b.N {
		go client.Write(buf)
		for range lines {
			if _, err := protocol.ReadReply(br); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(lines))/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(counted.writes.Load())/float64(b.N*len(lines)), "writes/req")
}

// nopLines is a LineLogger that logs nothing.
type nopLines struct{}

func (nopLines) ServiceLine(string, string, int, []byte) {}

// TestConnectionExitWithAComment: `exit` is recognized on the line as §1
// cleans it: a comment after white space, any case, spaces and tabs
// around it. `exit # bye` was run as a request, answered `unknown command
// 'exit'`, and the connection went on.
func TestConnectionExitWithAComment(t *testing.T) {
	t.Parallel()
	for _, exit := range []string{"exit # bye", "EXIT", "exit   ", "\texit\t# done", "Exit\t#"} {
		t.Run(exit, func(t *testing.T) {
			t.Parallel()
			client, server := socketPair(t)
			r := newConnRig(t, client, server, defaultConnLimits, true)
			client.Write([]byte("service a desc=x\r\n" + exit + "\r\nservice c desc=x\r\n"))
			readAll(t, client, r.expected([]string{"service a desc=x"}, true))
			if n := r.fake.got.Load(); n != 1 {
				t.Fatalf("the controller got %d requests, want 1", n)
			}
		})
	}
}

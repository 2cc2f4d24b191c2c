package actors

import (
	"bufio"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
	"github.com/cfk/cfk/rights"
)

// TestWithdrawnTokenEndsItsStream: REFERENCE §5.3, "a connection
// that authenticated with a token that is no longer in the file has no
// rights from its next request on". A client that turned its connection
// into a stream (`command events`, `command tail NAME follow`) sends no
// request any more, and a stream is never idle (§5.4): its rights
// were never looked at again, so a revoked token kept reading the events
// (or a service's output) for as long as the client liked. It ends now at
// its next line.
func TestWithdrawnTokenEndsItsStream(t *testing.T) {
	t.Parallel()
	write, store := tokenFile(t, "read "+readTok+" leaked\nadmin "+adminTok+" root\n")

	client, server := socketPair(t)
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(newLogrusHandler(quietLogger()))
	}))
	fake := &fakeController{delay: time.Millisecond, statusLines: 1}
	ctrl := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return fake }))
	hub := newEventHub(sys.EventStream)
	conn := newConnection(server, false, ctrl, quietLogger(), defaultConnLimits,
		connStreams{hub: hub, tail: newTail(nopLines{}, 1024), backlog: Backlog{Lines: 100, Bytes: 64 << 10}})
	conn.gate = &gate{tokens: store, cap: rights.Admin, delay: time.Millisecond, log: quietLogger()}
	gone := make(chan struct{})
	w := &watcher{props: actor.PropsFromProducer(func() actor.Actor { return conn }), pid: make(chan *actor.PID, 1), gone: gone}
	sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return w }))
	<-w.pid
	t.Cleanup(func() {
		client.Close()
		select {
		case <-gone:
		case <-time.After(connWait):
			t.Errorf("the connection actor never stopped")
		}
		sys.Shutdown()
	})
	client.SetDeadline(time.Now().Add(connWait))
	br := bufio.NewReader(client)

	if err := protocol.WriteRequest(client, "auth "+readTok); err != nil {
		t.Fatal(err)
	}
	if rep, err := protocol.ReadReply(br); err != nil || rep.Err != nil {
		t.Fatalf("auth: %v %v", err, rep.Err)
	}
	if err := protocol.WriteRequest(client, "command events service web1"); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(connWait)
	for !conn.io.streaming() {
		if time.Now().After(end) {
			t.Fatal("the stream never started")
		}
		time.Sleep(2 * time.Millisecond)
	}
	publish := func(pid int) {
		sys.EventStream.Publish(messages.ServiceStateChanged{Name: "web1", From: messages.Starting,
			To: messages.Running, Pid: pid, At: time.Now()})
	}
	publish(1)
	if l, err := br.ReadString('\n'); err != nil || !strings.Contains(l, `"pid":1`) {
		t.Fatalf("first event: %q %v", l, err)
	}

	// the token leaked: the operator removes it and reloads (SIGUSR1)
	write("admin " + adminTok + " root\n")
	if _, err := store.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := store.Lookup(readTok); ok {
		t.Fatal("the token is still there")
	}
	publish(2)
	// its last line says why (a client can tell it from a shutdown), then
	// it ends
	const want = `{"kind":"end","reason":"token leaked is no longer in the token file: rights withdrawn"}` + "\r\n"
	if l, err := br.ReadString('\n'); err != nil || l != want {
		t.Fatalf("the token %q was withdrawn: the stream's next line %q (%v), want %q", "leaked", l, err, want)
	}
	if l, err := br.ReadString('\n'); err == nil {
		t.Fatalf("the token %q was withdrawn, yet its stream goes on: it still gets %q", "leaked", strings.TrimSpace(l))
	}
}

package fleet

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
	"google.golang.org/protobuf/proto"
)

// heldLocal answers each request when the test says (answer).
type heldLocal struct {
	mu      sync.Mutex
	pending []func(messages.Reply)
}

func (h *heldLocal) Ask(_ messages.Statement, answer func(messages.Reply)) {
	h.mu.Lock()
	h.pending = append(h.pending, answer)
	h.mu.Unlock()
}

func (h *heldLocal) Subscribe(messages.Selector, actors.Backlog) *actors.Feed {
	return actors.NewFeed(actors.DefaultBacklog, nil, nil)
}

func (h *heldLocal) answer(t *testing.T) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		h.mu.Lock()
		if len(h.pending) > 0 {
			a := h.pending[0]
			h.pending = h.pending[1:]
			h.mu.Unlock()
			a(messages.Reply{Lines: []string{"done 1"}})
			return
		}
		h.mu.Unlock()
		if time.Now().After(end) {
			t.Fatal("the gateway never asked its cfkd")
		}
	}
}

// TestGatewayTellsOnlyAConnectedHubWhatEnded: once a host lost its
// connection to a hub, it told the hub that its streams ended and sent it
// the answers of its requests still running, dialling the hub's address
// again, also when the hub had left (a crash, a restart, an upgrade in
// place) and nothing listened there: protoactor's endpoint writer sleeps
// 2 s after a failed dial and dead-letters what goes to that address
// meanwhile, so a hub restarted then had its first requests run and
// reported `no answer within 5s` (TestFleetHubRestartedWithEventsOpen in
// integration/e2e). A hub that has no connection to the host (guard) is
// not dialled: the next message it gets is the answer to its next request.
func TestGatewayTellsOnlyAConnectedHubWhatEnded(t *testing.T) {
	loc := &heldLocal{}
	link := &hubLink{} // the hub's connection to the host (guard): open, then closed when it leaves
	link.up.Store(true)
	sys, g := spawnGateway(t, loc, func(gw *gateway) { gw.connected = link.connected })
	hub, got := collector[proto.Message](sys, 16)
	next := func() proto.Message { t.Helper(); return within(t, got, "nothing came to the hub") }
	sys.Root.RequestWithCustomSender(g, &wire.Subscribe{Id: 7, Hub: "hub", Line: "command events"}, hub)
	if e, ok := next().(*wire.Events); !ok || e.Id != 7 || e.Seq != 0 || e.Ended {
		t.Fatal("no subscription")
	}
	sys.Root.RequestWithCustomSender(g, &wire.Request{Id: 9, Hub: "hub", Lines: []string{"command restart all"}, Acks: true}, hub)
	if a, ok := next().(*wire.Accepted); !ok || a.Id != 9 {
		t.Fatal("request 9 not accepted")
	}
	// the hub leaves: its streams end, its request runs on
	link.up.Store(false)
	sys.Root.Send(g, endpointLost{addr: hub.Address, at: time.Now()})
	sys.Root.Send(g, streamsLost{subs: []lostSub{{key: callKey{"hub", 7}, to: hub}}})
	loc.answer(t)       // request 9 done
	link.waitDown(t, 2) // the gateway saw it gone for stream 7 and for request 9's answer
	link.up.Store(true) // it comes back
	sys.Root.RequestWithCustomSender(g, &wire.Request{Id: 10, Hub: "hub", Lines: []string{"command status"}}, hub)
	if m := next(); !proto.Equal(m, &wire.Accepted{Id: 10, Host: "h1"}) {
		t.Fatalf("after the hub left: %T %v, want request 10's acceptance (and nothing of stream 7 or request 9)", m, m)
	}
	loc.answer(t)
	if a, ok := next().(*wire.Answer); !ok || a.Id != 10 {
		t.Fatalf("%T %v, want request 10's answer", a, a)
	}
}

// TestGatewaySendsNothingToAHubWhoseConnectionClosed: a host stopped
// (SIGSTOP, swapping) while a hub sent it a request, and continued once
// the hub had shut down, read the request and the connection's end
// together: it ran the request and dialled the hub's address to accept
// it and to answer, where nothing listened; protoactor then
// dead-lettered for 2 s what went there, and the hub, restarted
// meanwhile, had its first request to that host reported `no answer
// within 5s`. The request still runs (`down` is not "not run", REFERENCE
// §12.4), and nothing goes back until the hub connects again.
func TestGatewaySendsNothingToAHubWhoseConnectionClosed(t *testing.T) {
	loc := &heldLocal{}
	link := &hubLink{}
	sys, g := spawnGateway(t, loc, func(gw *gateway) { gw.connected = link.connected })
	hub, got := collector[proto.Message](sys, 16)
	sys.Root.RequestWithCustomSender(g, &wire.Request{Id: 4, Hub: "hub", Lines: []string{"command restart all"}, Acks: true}, hub)
	sys.Root.RequestWithCustomSender(g, &wire.Subscribe{Id: 5, Hub: "hub", Line: "command events"}, hub)
	loc.answer(t) // request 4 ran
	// the gateway looks at the connection for request 4, stream 5 and
	// request 4's answer, and sends nothing
	for end := time.Now().Add(10 * time.Second); link.down.Load() < 3; {
		select {
		case m := <-got:
			t.Fatalf("sent %T %v to a hub whose connection closed", m, m)
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(end) {
			t.Fatalf("the gateway looked at the hub's connection %d times, want 3", link.down.Load())
		}
	}
	link.up.Store(true)
	sys.Root.RequestWithCustomSender(g, &wire.Request{Id: 1, Hub: "hub", Lines: []string{"command status"}, Acks: true}, hub)
	if m := within(t, got, "nothing came to the hub"); !proto.Equal(m, &wire.Accepted{Id: 1, Host: "h1"}) {
		t.Fatalf("%T %v, want request 1's acceptance (and nothing of request 4 nor of stream 5)", m, m)
	}
	loc.answer(t)
	if a, ok := within(t, got, "no answer").(*wire.Answer); !ok || a.Id != 1 {
		t.Fatalf("%T %v, want request 1's answer", a, a)
	}
}

// hubLink is a hub's connection to the gateway's member, as the guard
// sees it (gateway.connected): up, or not; down counts the times the
// gateway found it closed, which the test waits for.
type hubLink struct {
	up   atomic.Bool
	down atomic.Int64
}

func (l *hubLink) connected(string) bool {
	if l.up.Load() {
		return true
	}
	l.down.Add(1)
	return false
}

// waitDown waits until the gateway found the connection closed n times.
func (l *hubLink) waitDown(t *testing.T, n int64) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); l.down.Load() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the gateway looked at the hub's connection %d times, want %d", l.down.Load(), n)
		}
	}
}

package fleet

import (
	"sync"
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
	sys, g := spawnGateway(t, loc, func(gw *gateway) { gw.connected = func(string) bool { return false } })
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
	sys.Root.Send(g, endpointLost{addr: hub.Address, at: time.Now()})
	sys.Root.Send(g, streamsLost{subs: []lostSub{{key: callKey{"hub", 7}, to: hub}}})
	loc.answer(t) // request 9 done
	sys.Root.RequestWithCustomSender(g, &wire.Request{Id: 10, Hub: "hub", Lines: []string{"command status"}}, hub)
	if m := next(); !proto.Equal(m, &wire.Accepted{Id: 10, Host: "h1"}) {
		t.Fatalf("after the hub left: %T %v, want request 10's acceptance (and nothing of stream 7 or request 9)", m, m)
	}
	loc.answer(t)
	if a, ok := next().(*wire.Answer); !ok || a.Id != 10 {
		t.Fatalf("%T %v, want request 10's answer", a, a)
	}
}

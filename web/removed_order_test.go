package web

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/cfk/cfk/messages"
)

// A service destroyed leaves the stream after its last transition
// (REFERENCE §10.1): an update that answers a transition of its stop, read
// once cfkd had forgotten it, named it in removed, and its last
// transitions came after that removal. The removal is said by the update
// of the batch that holds its Gone, never before.
func TestEventStreamRemovedAfterLastTransition(t *testing.T) {
	src := &heldEvents{}
	r := newRig(t, Options{Events: src})
	src.Events = EventStreamEvents{Stream: r.tree.System.EventStream}
	r.ok("service a cmd=sleep 100", "service a startwait_secs=0.01", "service b cmd=sleep 100")
	s := r.stream(t, "/api/events")
	s.next("snapshot")
	r.ok("command start service a")
	s.updateUntil("a", func(i messages.ServiceInfo) bool { return i.State == messages.Running })

	// the events of the destroy wait until cfkd has forgotten a: each
	// update is then read after the forget, as on a loaded machine
	src.hold(true)
	r.ok("command destroy service a")
	held := src.held()
	if len(held) < 3 || !held[len(held)-1].Gone {
		t.Fatalf("held %+v, want the transitions of the stop, then the removal", held)
	}
	for k, ev := range held {
		src.release(1)
		if ev.Gone {
			break
		}
		var tr transition
		json.Unmarshal([]byte(s.next("transition").data), &tr)
		if tr.Service != "a" || tr.From != ev.From || tr.To != ev.To {
			t.Fatalf("transition %d: %+v, want %s -> %s", k, tr, ev.From, ev.To)
		}
		var u struct {
			Services []json.RawMessage
			Removed  []string
		}
		json.Unmarshal([]byte(s.next("update").data), &u)
		if len(u.Removed) > 0 {
			t.Fatalf("update %+v after the transition %s -> %s, before the last one: a removed before its last transition", u, ev.From, ev.To)
		}
	}
	// the removal: an update of its own, naming a
	ev := s.next("update")
	var u struct{ Removed []string }
	json.Unmarshal([]byte(ev.data), &u)
	if !slices.Equal(u.Removed, []string{"a"}) {
		t.Fatalf("update %s, want the removal of a", ev.data)
	}
}

// heldEvents passes on its Events' events, or, while held, keeps them
// for release, in order.
type heldEvents struct {
	Events
	mu sync.Mutex
	on bool
	q  []Event
	fn func(Event)
}

func (h *heldEvents) Subscribe(fn func(Event)) func() {
	h.mu.Lock()
	h.fn = fn
	h.mu.Unlock()
	return h.Events.Subscribe(func(ev Event) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.on {
			h.q = append(h.q, ev)
			return
		}
		fn(ev)
	})
}

func (h *heldEvents) hold(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.on = on
}

func (h *heldEvents) held() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.q)
}

// release passes on the next n events held.
func (h *heldEvents) release(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ; n > 0 && len(h.q) > 0; n-- {
		h.fn(h.q[0])
		h.q = h.q[1:]
	}
}

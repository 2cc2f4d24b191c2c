package web

import (
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/cfk/cfk/messages"
)

// Event is one change the page shows live: a transition of a service or
// of a proxy, or a destroyed service no longer declared.
type Event struct {
	Time     time.Time
	Proxy    bool   // a proxy's change; else a service's
	Gone     bool   // the service is no longer declared: no transition
	Name     string // the service or the proxy
	From, To string // state names
	Pid      int
	Reason   string // the fail reason, for a service that entered fail
}

// Events is where the live changes come from. Subscribe calls fn for
// every event, in the publisher's goroutine (an actor's), until cancel is
// called: fn must never block. The server subscribes only while at least
// one page is connected.
//
// It is the seam where cfkd's event stream (the one `command events`
// serves on the admin socket, once it exists) replaces the actor system's
// EventStream (REFERENCE §10.4).
type Events interface {
	Subscribe(fn func(Event)) (cancel func())
}

// EventStreamEvents reads the actor system's EventStream:
// ServiceStateChanged, ServiceForgotten and ProxyStateChanged.
type EventStreamEvents struct{ Stream *eventstream.EventStream }

// Subscribe implements Events.
func (e EventStreamEvents) Subscribe(fn func(Event)) (cancel func()) {
	sub := e.Stream.Subscribe(func(ev any) {
		switch m := ev.(type) {
		case messages.ServiceStateChanged:
			fn(Event{Time: m.At, Name: m.Name, From: m.From.String(), To: m.To.String(), Pid: m.Pid, Reason: m.Reason})
		case messages.ServiceForgotten:
			fn(Event{Time: m.At, Name: m.Name, Gone: true})
		case messages.ProxyStateChanged:
			fn(Event{Time: time.Now(), Proxy: true, Name: m.Name, From: m.From, To: m.To, Pid: m.Pid})
		}
	})
	return func() { e.Stream.Unsubscribe(sub) }
}

// hub fans the events out to the connected pages: one subscription to
// Events while any page is connected, one bounded queue per page. A page
// whose queue is full is cut off (its stream ends; the browser connects
// again and starts from a fresh snapshot): a slow page never makes the
// publisher wait, nor another page.
type hub struct {
	src   Events
	depth int // each page's queue

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	cancel func() // the subscription to src, while len(subs) > 0
}

// subscriber is one page's queue. It grows with what waits in it, up to
// the hub's depth: a channel of that depth took its whole memory at once
// (4,096 events, about 430 KB a page), so that 256 idle pages, which
// anyone reaching the listener may open, held 110 MB of cfkd.
type subscriber struct {
	mu   sync.Mutex
	q    []Event
	wake chan struct{} // holds a token while q may hold events
	cut  chan struct{} // closed when the hub cut it off
}

// push queues ev unless depth events wait already.
func (s *subscriber) push(ev Event, depth int) bool {
	s.mu.Lock()
	if len(s.q) >= depth {
		s.mu.Unlock()
		return false
	}
	s.q = append(s.q, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

// take returns up to max of the events waiting, oldest first.
func (s *subscriber) take(max int) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(len(s.q), max)
	batch := s.q[:n:n]
	if n == len(s.q) {
		s.q = nil // what a burst grew is freed with it
	} else {
		s.q = append([]Event(nil), s.q[n:]...)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return batch
}

func newHub(src Events, depth int) *hub {
	return &hub{src: src, depth: depth, subs: map[*subscriber]struct{}{}}
}

// join adds a subscriber; the first one subscribes to the events.
func (h *hub) join() *subscriber {
	s := &subscriber{wake: make(chan struct{}, 1), cut: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[s] = struct{}{}
	// not "the first page": a page cut off has left subs but keeps the
	// subscription until its handler returns (leave)
	if h.cancel == nil && h.src != nil {
		h.cancel = h.src.Subscribe(h.publish)
	}
	return s
}

// leave removes a subscriber (cut off or not); the last one unsubscribes.
func (h *hub) leave(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	h.unsubscribeLocked()
}

func (h *hub) unsubscribeLocked() {
	if len(h.subs) == 0 && h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
}

// publish queues ev for every page, and cuts off those whose queue is
// full. It runs in the publisher's goroutine and never waits but for the
// hub's lock, which nothing holds for long.
func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if !s.push(ev, h.depth) {
			close(s.cut)
			delete(h.subs, s)
		}
	}
	// a page cut off calls leave when its handler returns: the last one
	// unsubscribes then
}

// size is the number of pages connected (tests).
func (h *hub) size() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

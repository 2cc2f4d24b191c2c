package actors

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// eventHub turns what the tree publishes into event lines (messages.Event,
// REFERENCE §1.6) for the feeds subscribed to it (`command events`,
// (*Tree).Subscribe). It is one subscriber of the actor system's event
// stream, whose handler runs in the publisher's goroutine (a service actor,
// a proxy actor, the controller): it formats each event once, and pushes
// the line to every feed whose selector takes it, without waiting (a
// push is an append under the feed's lock). cfkd's own warnings and errors
// come from a hook on its logger (logHook), through the same path.
//
// Lines of one service come in the order of its transitions, and every
// feed sees the events in the same order (the hub's lock orders them).
type eventHub struct {
	mu      sync.Mutex
	stopped bool // the tree stopped: a new feed ends at once
	feeds   map[*Feed]messages.Selector
	// tags: each service's tags as declared (declared), kept with or
	// without a feed, so that a tag feed takes cfkd's records that name
	// a service of the tag (the log hook knows only the name)
	tags map[string][]string
	n    atomic.Int32 // len(feeds): no formatting without a reader
	es   *eventstream.EventStream
	sub  *eventstream.Subscription
}

func newEventHub(es *eventstream.EventStream) *eventHub {
	h := &eventHub{feeds: map[*Feed]messages.Selector{}, tags: map[string][]string{}, es: es}
	h.sub = es.Subscribe(h.onEvent)
	return h
}

// subscribe returns a feed of the event lines sel takes: with no
// selector or `all`, every event; with `service NAME` or `tag TAG`, the
// service events of the services it selects (a tag as the service has it
// when the transition happens), and cfkd's records that name one of them
// (a tag as declared when the record is logged).
// onCut, if not nil, is called once when the feed is cut off, in the
// publisher's goroutine: it must not block.
func (h *eventHub) subscribe(sel messages.Selector, b Backlog, onCut func()) *Feed {
	f := newFeed(b)
	f.onCut = onCut
	if sel.Kind == messages.SelectNone {
		sel.Kind = messages.SelectAll
	}
	f.detach = func() {
		h.mu.Lock()
		delete(h.feeds, f)
		h.n.Store(int32(len(h.feeds)))
		h.mu.Unlock()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		f.end()
		return f
	}
	h.feeds[f] = sel
	h.n.Store(int32(len(h.feeds)))
	return f
}

// declared records the tags of service name, as declared now (the
// controller, at each declaration: a mutex, no wait).
func (h *eventHub) declared(name string, tags []string) {
	h.mu.Lock()
	h.tags[name] = tags
	h.mu.Unlock()
}

// stop unsubscribes the hub and closes every feed.
func (h *eventHub) stop() {
	h.es.Unsubscribe(h.sub)
	h.mu.Lock()
	feeds := h.feeds
	h.stopped, h.feeds = true, map[*Feed]messages.Selector{}
	h.n.Store(0)
	h.mu.Unlock()
	for f := range feeds {
		f.endWith(messages.ShutdownReason) // the tree stops
	}
}

// onEvent is the event stream's handler: the events of the tree become
// lines; anything else is ignored.
func (h *eventHub) onEvent(ev any) {
	if m, ok := ev.(messages.ServiceForgotten); ok {
		h.mu.Lock()
		delete(h.tags, m.Name)
		h.mu.Unlock()
	}
	if h.n.Load() == 0 {
		return
	}
	var (
		e    messages.Event
		tags []string
	)
	switch m := ev.(type) {
	case messages.ServiceStateChanged:
		e, tags = messages.ServiceEvent(m), m.Tags
	case messages.ServiceForgotten:
		e, tags = messages.DestroyedEvent(m), m.Tags
	case messages.ProxyStateChanged:
		e = messages.ProxyEvent(m, time.Now())
	case messages.SocketStateChanged:
		e = messages.SocketEvent(m)
	default:
		return
	}
	h.publish(e, tags)
}

// publish pushes the line of e to every feed that takes it.
func (h *eventHub) publish(e messages.Event, tags []string) {
	var line []byte
	h.mu.Lock()
	defer h.mu.Unlock()
	if e.Kind == messages.EventCfkd && e.Service != "" {
		tags = h.tags[e.Service] // cfkd's record names the service
	}
	for f, sel := range h.feeds {
		if !takes(sel, e, tags) {
			continue
		}
		if line == nil {
			line = e.Append(nil)
		}
		f.push(line) // shared: nobody writes into a pushed line
	}
}

// takes reports whether a feed of selector sel takes event e (of a
// service with tags).
func takes(sel messages.Selector, e messages.Event, tags []string) bool {
	switch sel.Kind {
	case messages.SelectAll:
		return true
	case messages.SelectService:
		return ofService(e) && e.Service == sel.Name
	case messages.SelectTag:
		return ofService(e) && slices.Contains(tags, sel.Name)
	}
	return false
}

// ofService reports whether e is about one service, which service and
// tag selectors take: a transition, its end (destroyed), or a record of
// cfkd's that names it (`web1 crashed 2 times in a row; restarting in
// 1s`).
func ofService(e messages.Event) bool {
	switch e.Kind {
	case messages.EventService, messages.EventDestroyed:
		return true
	case messages.EventCfkd:
		return e.Service != ""
	}
	return false
}

// logHook makes cfkd's own records at warn and error level events of kind
// cfkd (the lines services write, which have a category of their own, are
// not cfkd's). It runs in the goroutine that logs, and only pushes.
// Tree.Stop leaves it on the logger, inert (a logger's hooks cannot be
// removed without a moment where the others are missing too).
type logHook struct{ h atomic.Pointer[eventHub] }

// Levels implements logrus.Hook.
func (*logHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

// Fire implements logrus.Hook.
func (l *logHook) Fire(en *logrus.Entry) error {
	h := l.h.Load()
	if h == nil || h.n.Load() == 0 {
		return nil
	}
	if c, ok := en.Data["category"]; ok && c != "cfkd" {
		return nil
	}
	e := messages.Event{Kind: messages.EventCfkd, Time: en.Time, Level: "error", Message: en.Message}
	if en.Level == logrus.WarnLevel {
		e.Level = "warn"
	}
	if err, ok := en.Data[logrus.ErrorKey]; ok {
		e.Message += fmt.Sprintf(": %v", err)
	}
	if s, ok := en.Data["service"].(string); ok && messages.ValidName(s) {
		e.Service = s
	}
	if p, ok := en.Data["proxy"].(string); ok && messages.ValidName(p) {
		e.Proxy = p
	}
	if pid, ok := en.Data["pid"].(int); ok && pid > 0 {
		e.Pid = pid
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	h.publish(e, nil)
	return nil
}

// Subscribe returns a feed of the event lines of the tree (REFERENCE
// §1.6: one messages.Event as JSON per line, without a line end), from
// now on, until the feed is closed or cut off. sel chooses: the zero
// Selector or `all` takes every event (services, proxies, sockets, cfkd's
// warnings); `service NAME` and `tag TAG` only the service events of the
// services they select, and cfkd's records that name one of them, a tag
// matched as the service has it when the transition happens (a retag
// applies from the next transition on; to a record, at once). A
// name that matches no service is not an error: its events come if one is
// declared.
//
// The feed holds at most b (DefaultBacklog when zero) of lines its reader
// has not taken; past it the reader is cut off (see Feed). It ends with
// ErrFeedClosed when the tree stops. The lines are
// shared between feeds: a reader must not modify them. This is what
// `command events` streams; an HTTP handler uses it the same way:
//
//	f := tree.Subscribe(messages.Selector{}, actors.DefaultBacklog)
//	defer f.Close()
//	for {
//		lines, err := f.Next(req.Context())
//		for _, l := range lines { /* write l, flush */ }
//		if err != nil { return } // *CutOffError: say so; ErrFeedClosed, ctx: done
//	}
func (t *Tree) Subscribe(sel messages.Selector, b Backlog) *Feed {
	return t.hub.subscribe(sel, b, nil)
}

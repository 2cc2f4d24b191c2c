package fleet

// The hub's event streams (`fleet events`, REFERENCE §12.3): a
// subscription on each host, its batches acknowledged as they come (the
// host's window), a host's failure said once and its subscription tried
// again while the stream is open.

import (
	"fmt"
	"time"

	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
)

// openStream opens a fleet events stream (REFERENCE §12.3): one
// subscription a host, each a call the host answers with its events.
func (h *hub) openStream(m streamOpen) {
	s := &hubStream{id: m.id, line: m.line, feed: m.feed}
	h.streams[m.id] = s
	for _, i := range m.hosts {
		sub := &hubSub{st: s, host: i}
		s.subs = append(s.subs, sub)
		h.subscribe(sub)
	}
}

func (h *hub) subscribe(sub *hubSub) {
	c := h.newCall(sub.host)
	c.sub = sub
	sub.call = c
	h.send(c, &wire.Subscribe{Id: c.id, Hub: h.name, Line: sub.st.line})
}

// events takes a batch of a host's events: the first says the host
// subscribed; the lines go to the stream's feed, tagged with the host;
// each batch is acknowledged (the host's window).
func (h *hub) events(c *hubCall, m *wire.Events) {
	sub := c.sub
	host := h.inv[c.host].Name
	if m.Seq == 0 && !c.acked && !m.Ended { // a refusal is no subscription
		c.acked = true
		if c.timer != nil {
			c.timer.Stop()
		}
		c.deadline = time.Now().Add(100 * 365 * 24 * time.Hour)
		if sub.down {
			sub.down = false
			h.hostEvent(sub, "down", "up", "")
		}
	}
	for _, l := range m.Lines {
		sub.st.feed.Push(messages.FleetEventLine(host, []byte(l)))
	}
	if m.Seq > 0 {
		h.post(c.host, &wire.EventsAck{Id: m.Id, Hub: h.name, Seq: m.Seq})
	}
	if m.Ended {
		why := m.Error
		if m.Lost > 0 {
			why += fmt.Sprintf(" (%d events lost)", m.Lost)
		}
		h.forget(c)
		h.subFailed(sub, "its stream ended: "+why)
	}
}

// subFailed: a host's part of a stream failed: said once (an event of
// kind host), then tried again after the deadline while the stream is
// open.
func (h *hub) subFailed(sub *hubSub, why string) {
	sub.call = nil
	if _, ok := h.streams[sub.st.id]; !ok {
		return
	}
	if !sub.down {
		sub.down = true
		h.hostEvent(sub, "up", "down", why)
	}
	root, self := h.root, h.self
	sub.retry = time.AfterFunc(h.timeout, func() { root.Send(self, resubscribe{sub: sub}) })
}

// hostEvent pushes an event of kind host (REFERENCE §1.6) to the stream.
func (h *hub) hostEvent(sub *hubSub, from, to, why string) {
	e := messages.Event{Kind: messages.EventHost, Time: time.Now(), From: from, To: to, Reason: why}
	sub.st.feed.Push(messages.FleetEventLine(h.inv[sub.host].Name, []byte(e.Format())))
}

func (h *hub) closeStream(id uint64) {
	s := h.streams[id]
	if s == nil {
		return
	}
	delete(h.streams, id)
	for _, sub := range s.subs {
		if sub.retry != nil {
			sub.retry.Stop()
		}
		if c := sub.call; c != nil {
			h.forget(c)
			sub.call = nil
			h.unsubscribe(c.host, c.id)
		}
	}
}

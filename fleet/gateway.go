package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// callKey names a hub's request (or subscription) at a gateway.
type callKey struct {
	hub string
	id  uint32
}

// gwCall is a request being run: its lines, the next one, what the
// replies said so far.
type gwCall struct {
	from *actor.PID
	// req: the request's lines, until all are parsed and checked;
	// parsed: the next one to parse (an apply being decoded meanwhile)
	req    []string
	parsed int
	stmts  []messages.Statement
	next   int
	lines  []string
	bytes  int
	// acks: the hub acknowledges the answer (wire.AnswerAck); the call
	// stays in flight until then (answered), so that a hub that stops
	// reading its answers soon has maxCallsPerHost in flight here, and
	// its next requests are refused instead of queued without bound
	acks, answered bool
	// orphan: the connection to the hub was lost while the call ran: no
	// acknowledgement will come for its answer
	orphan bool
}

// gwSub is an event subscription: a goroutine sends the feed's lines to
// the hub, eventsWindow batches ahead of its acknowledgements.
type gwSub struct {
	to     *actor.PID // the hub's, where its events go
	cancel context.CancelFunc
	credit chan struct{}
}

// lineDone: the controller answered the current line of a request.
type lineDone struct {
	key   callKey
	reply messages.Reply
}

// subEnded: a subscription's goroutine is done.
type subEnded struct{ key callKey }

// gateway is every member's one actor that peers may address (REFERENCE
// §12.6): it turns a hub's requests into what an admin connection would
// run (parse, rights, then the controller through Local.Ask), one line at
// a time, and answers: Accepted at once, Answer once done. It never waits:
// replies come back as messages, and what goes to the network goes
// through the outbox.
type gateway struct {
	local   Local
	policy  Policy
	out     *outbox
	name    string
	version string
	log     *logrus.Logger
	self    *actor.PID
	root    *actor.RootContext
	calls   map[callKey]*gwCall
	perHub  map[string]int // the calls in flight, answered ones not acknowledged included
	// lastDrop: when dropping last logged that a hub's requests are dropped
	lastDrop time.Time
	subs     map[callKey]*gwSub
	// creditWait: creditWait when zero (tests shorten it)
	creditWait time.Duration
	// connected reports whether a hub has its connection to this member
	// open (guard.connected; nil: always)
	connected func(hub string) bool
	// decodes: the applies waiting to be decoded, in order, one at a
	// time (decoding) off the actor (gateway_decode.go)
	decodes  []decodeJob
	decoding bool
	// beforeDecode, when set (tests), is called by the goroutine that
	// decodes an apply, before it decodes
	beforeDecode func()
	// hubs: where each hub's messages come from, where a Leaving goes;
	// leaving: the hubs told that have not acknowledged, leftDone closed
	// once none is left (leave.go)
	hubs     map[string]*actor.PID
	leaving  map[string]bool
	leftDone chan struct{}
	leaveID  uint32
}

// hubConnected reports whether hub has its connection to this member
// open: one that has none left, or restarted (a crash, an upgrade in
// place), and a host that dials its address to tell it what it no longer
// waits for may do so while nothing listens there; protoactor's endpoint
// writer then sleeps 2 s, and dead-letters what goes to that address
// meanwhile, the restarted hub's requests included.
func (g *gateway) hubConnected(hub string) bool {
	return g.connected == nil || g.connected(hub)
}

// streamsLost: the streams of a hub whose connection was lost ended
// hubGoneWait ago; said to the hub if it is still connected.
type streamsLost struct {
	subs []lostSub
}

type lostSub struct {
	key callKey
	to  *actor.PID
}

// hubGoneWait is how long after it lost its connection to a peer a
// member looks whether the peer's own connection to it is still open (a
// peer only stalled) or went too (one that left): the two connections of
// a member that left close together, but not in a known order.
const hubGoneWait = time.Second

func (g *gateway) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		g.self, g.root = ctx.Self(), ctx.ActorSystem().Root
	case *wire.Request:
		g.heard(m.Hub, ctx.Sender())
		g.request(ctx.Sender(), m)
	case lineDone:
		g.lineDone(m)
	case applyDecoded:
		g.applyDecoded(m)
	case *wire.AnswerAck:
		for _, id := range m.Ids {
			if c := g.calls[callKey{m.Hub, id}]; c != nil && c.answered {
				g.release(callKey{m.Hub, id})
			}
		}
	case *wire.Subscribe:
		g.heard(m.Hub, ctx.Sender())
		g.subscribe(ctx.Sender(), m)
	case leave:
		g.leave(m)
	case *wire.LeavingAck:
		if g.leaving[m.Hub] && m.Id == g.leaveID { // not a late one of a Leave before
			g.leaveAcked(m.Hub)
		}
	case *wire.EventsAck:
		if s := g.subs[callKey{m.Hub, m.Id}]; s != nil {
			select {
			case s.credit <- struct{}{}:
			default:
			}
		}
	case *wire.Unsubscribe:
		g.endSub(callKey{m.Hub, m.Id})
	case subEnded:
		g.endSub(m.key)
	case streamsLost:
		for _, l := range m.subs {
			// said to a hub that still has its connection to this host
			// (the message dials it again): one only stalled took the
			// stream for alive, and showed no event of this host any
			// more. A hub that left has nobody to tell (hubConnected)
			if g.hubConnected(l.key.hub) {
				end := &wire.Events{Id: l.key.id, Host: g.name, Ended: true, Error: "the connection to the hub was lost"}
				g.out.post(outMsg{to: l.to, from: g.self, msg: end})
			}
		}
	case endpointLost:
		var lost []lostSub
		for k, s := range g.subs {
			if s.to.Address == m.addr {
				lost = append(lost, lostSub{key: k, to: s.to})
				g.endSub(k)
			}
		}
		if len(lost) > 0 {
			root, self := g.root, g.self
			time.AfterFunc(hubGoneWait, func() { root.Send(self, streamsLost{subs: lost}) })
		}
		for k, c := range g.calls {
			if c.from.Address != m.addr {
				continue
			}
			if c.answered {
				g.release(k)
			} else if !c.orphan {
				// its answer will be nobody's: it no longer counts, so
				// that the hub, which let it go with the connection,
				// finds its room here when it comes back
				c.orphan = true
				g.uncount(k.hub)
			}
		}
	case *actor.Stopping:
		g.decodes = nil // a decoding under way ends, its result dead-lettered
		for k := range g.subs {
			g.endSub(k)
		}
	}
}

// audit is the audit record of a hub's request (REFERENCE §5.5).
func (g *gateway) audit(hub string) *logrus.Entry {
	return g.log.WithFields(logrus.Fields{"category": actors.AuditCategory, "peer": "fleet:" + hub, "right": g.policy.Level().String()})
}

func (g *gateway) request(from *actor.PID, m *wire.Request) {
	if from == nil {
		return
	}
	key := callKey{m.Hub, m.Id}
	n := g.perHub[m.Hub]
	if m.Acks && (g.calls[key] != nil || n >= maxCallsPerHost+maxRefusalsUnacked) {
		// a hub that acknowledges its answers and has this many not
		// acknowledged is not reading them: nothing more is queued for
		// it (its own deadline settles the request)
		g.dropping(m.Hub, n)
		return
	}
	if !g.hubConnected(m.Hub) {
		if g.calls[key] != nil {
			return
		}
		// the hub's connection to this member closed before its request
		// was read (a host stopped, then continued, reads what was queued
		// and the end together): the hub failed it already (`connection
		// lost`), or left. It runs all the same, as a request a hub gave
		// up on (`down` is not "not run", REFERENCE §12.4), but nothing
		// goes back: a hub that left or restarted would be dialled, and
		// protoactor would dead-letter for 2 s what goes to its address,
		// the restarted hub's first answers with it
		c := &gwCall{from: from, orphan: true, req: m.Lines}
		g.calls[key] = c
		g.parse(key, c)
		return
	}
	if g.calls[key] != nil {
		a := &wire.Answer{Id: m.Id, Host: g.name, Version: g.version,
			Error: fmt.Sprintf("request %d from hub %s is already in flight here", m.Id, m.Hub)}
		g.out.post(outMsg{to: from, from: g.self, msg: a})
		return
	}
	// in flight from now on, whatever its answer: with acks, until the
	// hub acknowledges it (finish)
	c := &gwCall{from: from, acks: m.Acks}
	g.calls[key] = c
	g.perHub[m.Hub]++
	if n >= maxCallsPerHost {
		g.finish(key, c, fmt.Errorf("too many requests from hub %s in flight (at most %d)", m.Hub, maxCallsPerHost))
		return
	}
	g.out.post(outMsg{to: from, from: g.self, msg: &wire.Accepted{Id: m.Id, Host: g.name}})
	c.req = m.Lines
	g.parse(key, c)
}

// parse reads the call's lines, in order, from c.parsed on: each is
// parsed and checked against the policy, and the call runs once all
// are. An apply is checked before its DATA is decoded (refused then if
// the policy refuses every apply) and decoded off the actor
// (gateway_decode.go): parse goes on at the next line once it is.
func (g *gateway) parse(key callKey, c *gwCall) {
	for ; c.parsed < len(c.req); c.parsed++ {
		line := c.req[c.parsed]
		st, err := messages.ParseDeferred(line)
		if err == nil {
			err = g.check(key.hub, st, line)
		}
		if err != nil {
			g.finish(key, c, err)
			return
		}
		if p, ok := st.(messages.PendingApply); ok {
			g.decode(decodeJob{key: key, c: c, p: p})
			return
		}
		c.stmts = append(c.stmts, st)
	}
	if len(c.stmts) == 0 {
		g.finish(key, c, nil)
		return
	}
	for i, st := range c.stmts {
		if actors.AuditNeeded(st) {
			g.audit(key.hub).Info(actors.AuditText(st, c.req[i]))
		}
	}
	c.req = nil
	g.run(key, c)
}

// check is the policy's verdict on st, a refusal audited (REFERENCE
// §5.5, §12.5).
func (g *gateway) check(hub string, st messages.Statement, line string) error {
	err := g.policy.Check(st)
	if errors.Is(err, messages.ErrNotAuthorized) {
		g.audit(hub).Warnf("not authorized: %s (the fleet allows %s: --fleet-allow)", actors.AuditText(st, line), g.policy)
	}
	return err
}

// dropping logs, once a second at most, that a hub's requests are
// dropped: it acknowledges none of its answers.
func (g *gateway) dropping(hub string, n int) {
	if now := time.Now(); now.Sub(g.lastDrop) >= time.Second {
		g.lastDrop = now
		g.log.WithField("category", logCategory).Warnf("fleet: hub %s has %d answers not acknowledged: its requests are dropped until it reads them", hub, n)
	}
}

// run asks the controller the call's next line.
func (g *gateway) run(key callKey, c *gwCall) {
	root, self := g.root, g.self
	g.local.Ask(c.stmts[c.next], func(r messages.Reply) { root.Send(self, lineDone{key: key, reply: r}) })
}

func (g *gateway) lineDone(m lineDone) {
	c := g.calls[m.key]
	if c == nil {
		return
	}
	var err error
	if m.reply.Err != nil {
		err = m.reply.Err
	} else {
		for _, l := range m.reply.Lines {
			c.bytes += len(l) + 1
		}
		if c.bytes > maxAnswerBytes {
			err = fmt.Errorf("answer too large (more than %d bytes): select fewer services", maxAnswerBytes)
		} else {
			c.lines = append(c.lines, m.reply.Lines...)
			if c.next++; c.next < len(c.stmts) {
				g.run(m.key, c)
				return
			}
		}
	}
	g.finish(m.key, c, err)
}

// finish answers call key with c.lines, or err: the call of a hub that
// acknowledges its answers stays in flight until it does (answered).
func (g *gateway) finish(key callKey, c *gwCall, err error) {
	a := &wire.Answer{Id: key.id, Host: g.name, Lines: c.lines, Version: g.version}
	if err != nil {
		a.Error, a.Lines = err.Error(), nil
	}
	if !g.hubConnected(key.hub) {
		// the hub has no connection to this member left: it failed the
		// call when its connection was lost, or left; sent, the answer
		// would dial it (request)
		g.release(key)
		return
	}
	// an orphan's hub is gone: nobody would acknowledge
	a.WantsAck = c.acks && !c.orphan
	if !g.out.post(outMsg{to: c.from, from: g.self, msg: a}) || !a.WantsAck {
		g.release(key) // an answer the full outbox dropped is never acknowledged
		return
	}
	c.answered, c.stmts, c.lines, c.req = true, nil, nil, nil
}

// release ends call key: it no longer counts as in flight (an orphan
// counts no more already).
func (g *gateway) release(key callKey) {
	if c := g.calls[key]; c != nil && !c.orphan {
		g.uncount(key.hub)
	}
	delete(g.calls, key)
}

func (g *gateway) uncount(hub string) {
	if g.perHub[hub]--; g.perHub[hub] <= 0 {
		delete(g.perHub, hub)
	}
}

func (g *gateway) subscribe(from *actor.PID, m *wire.Subscribe) {
	key := callKey{m.Hub, m.Id}
	fail := func(err error) {
		g.out.post(outMsg{to: from, from: g.self, msg: &wire.Events{Id: m.Id, Host: g.name, Ended: true, Error: err.Error()}})
	}
	if from == nil || g.subs[key] != nil || !g.hubConnected(m.Hub) {
		// a hub whose connection closed before this was read: nothing
		// goes back to it (request)
		return
	}
	n := 0
	for k := range g.subs {
		if k.hub == m.Hub {
			n++
		}
	}
	if n >= maxSubsPerHub {
		fail(fmt.Errorf("too many event streams for hub %s (at most %d)", m.Hub, maxSubsPerHub))
		return
	}
	st, err := messages.ParseDeferred(m.Line) // an apply is refused undecoded
	if err != nil {
		fail(err)
		return
	}
	cmd, ok := st.(messages.ControlCommand)
	if !ok || cmd.Verb != messages.VerbEvents {
		fail(fmt.Errorf("a subscription is to `command events [SEL]`"))
		return
	}
	feed := g.local.Subscribe(cmd.Sel, actors.DefaultBacklog)
	cctx, cancel := context.WithCancel(context.Background())
	s := &gwSub{to: from, cancel: cancel, credit: make(chan struct{}, eventsWindow)}
	for range eventsWindow {
		s.credit <- struct{}{}
	}
	g.subs[key] = s
	go g.stream(cctx, key, from, feed, s)
}

// creditWait is how long a subscription waits for its hub to acknowledge
// a batch before it ends.
const creditWait = 30 * time.Second

// stream sends the feed's lines to the hub, in batches, while it has
// credit (in a goroutine of its own: it waits).
func (g *gateway) stream(ctx context.Context, key callKey, to *actor.PID, feed *actors.Feed, s *gwSub) {
	defer g.root.Send(g.self, subEnded{key: key})
	defer feed.Close()
	send := func(e *wire.Events) {
		g.root.Send(to, &actor.MessageEnvelope{Message: e, Sender: g.self})
	}
	send(&wire.Events{Id: key.id, Host: g.name}) // seq 0: subscribed
	var seq uint64
	for {
		lines, err := feed.Next(ctx)
		if ctx.Err() != nil {
			return
		}
		e := &wire.Events{Id: key.id, Host: g.name}
		for _, l := range lines {
			e.Lines = append(e.Lines, string(l))
		}
		var cut *actors.CutOffError
		switch {
		case errors.As(err, &cut):
			e.Ended, e.Lost, e.Error = true, uint64(cut.Lost), "the hub fell behind"
		case err != nil:
			e.Ended, e.Error = true, "cfkd stopped"
		}
		wait := g.creditWait
		if wait <= 0 {
			wait = creditWait
		}
		timer := time.NewTimer(wait)
		select {
		case <-s.credit:
			timer.Stop()
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
			g.log.WithField("category", logCategory).Warnf("fleet: hub %s acknowledged no events for %v: its stream ends", key.hub, wait)
			// said to the hub: one only stalled keeps the subscription
			// as alive, and would show nothing more of this host; with
			// the events it will not get, the batch that waited and
			// those queued behind it, as a stream cut off says them
			send(&wire.Events{Id: key.id, Host: g.name, Ended: true, Lost: uint64(len(e.Lines) + untaken(feed)),
				Error: fmt.Sprintf("the hub acknowledged no events for %v", wait)})
			return
		}
		seq++
		e.Seq = seq
		send(e)
		if e.Ended {
			return
		}
	}
}

// untaken counts the lines feed holds that its reader has not taken,
// those it dropped once cut off included: they are lost when it ends.
func untaken(feed *actors.Feed) int {
	n := 0
	for range 2 { // a feed cut off gives its lines, then its count
		lines, lost, ended := feed.Take()
		n += len(lines) + lost
		if ended {
			break
		}
	}
	return n
}

func (g *gateway) endSub(key callKey) {
	if s := g.subs[key]; s != nil {
		s.cancel()
		delete(g.subs, key)
	}
}

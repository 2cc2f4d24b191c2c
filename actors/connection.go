package actors

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus"
)

// RequestTimeout bounds how long a console waits for the controller's
// answer to one request (a restart waits for stopwait, so it is generous).
const RequestTimeout = 10 * time.Minute

// The bounds of one connection's pending work (REFERENCE §1.5). Past
// either one the connection stops reading requests until its client
// reads replies: a client that never reads holds this much of cfkd's
// memory at most, plus one request line and one reply.
const (
	// MaxPendingBytes bounds the bytes of the request lines read and not
	// yet answered plus the reply bytes not yet written.
	MaxPendingBytes = 1 << 20
	// MaxPendingRequests bounds the requests read whose reply is not
	// written yet.
	MaxPendingRequests = 16 << 10
)

// streamCutGrace is how long a stream that was cut off (its client fell
// behind by more than its backlog) has to write what was queued before and
// its last line; what a client has not read by then is dropped, and only
// the lost line is written (connstream_cut.go, REFERENCE §1.5).
const streamCutGrace = 10 * time.Second

// connStreams are what a connection streams from: the event lines, the
// tails, and the backlog of a stream (REFERENCE §1.5).
type connStreams struct {
	hub     *eventHub
	tail    *Tail
	backlog Backlog
	fleet   FleetHandler // a hub's (nil: `command fleet` is refused)
	// afterBigReply is Options.AfterBigReply
	afterBigReply func()
	events        EventLogger // Options.Events, for audit records (nil: the gate's logger)
	// cutGrace is streamCutGrace (zero) or a test's
	cutGrace time.Duration
	// applies bounds the applies decoded and planned at once
	// (applybudget.go; nil: defaultApplyBudget, cfkd's)
	applies *applyBudget
}

// BigReply is the size of a reply that makes a connection call
// Options.AfterBigReply.
const BigReply = 64 << 10

// errShuttingDown answers the requests a connection drops when cfkd
// drains its consoles or stops.
var errShuttingDown = errors.New("cfkd is shutting down")

type (
	// lineReceived is a request line from the reader goroutine (tooLong:
	// the line was past protocol.MaxLine and dropped).
	lineReceived struct {
		line    string
		tooLong bool
	}
	// replyRoom: the writer brought the unwritten reply bytes back under
	// the bound the actor was waiting on.
	replyRoom struct{}
	// requestTimedOut: the timer of the request at the controller fired.
	requestTimedOut  struct{}
	connectionClosed struct{}
	// drainConnection: cfkd shuts down, or upgrades in place (upgrade:
	// a stream's last line then says so, and that its client may send
	// its request again at once)
	drainConnection struct{ upgrade bool }
)

// connLimits are a connection's bounds (MaxPendingBytes,
// MaxPendingRequests and RequestTimeout; smaller in tests).
type connLimits struct {
	bytes    int
	requests int
	timeout  time.Duration
}

var defaultConnLimits = connLimits{bytes: MaxPendingBytes, requests: MaxPendingRequests, timeout: RequestTimeout}

// connection is the actor of one admin client: a pipeline of three stages
// that keeps requests in order (REFERENCE §1.5).
//
//   - A reader goroutine reads request lines and sends them to the
//     actor (those its buffer holds at once in one message), as long as
//     the connection's pending work is under its bounds
//     (connLimits: requests read and not yet written back, bytes of
//     unanswered requests plus unwritten replies); past them it stops
//     reading, and the client's writes block: backpressure on that client
//     alone.
//   - The actor queues the lines and runs them one at a time, in order: a
//     request goes to the controller only once the previous one is
//     answered, so a pipelined `status` after a `restart` sees the restart
//     done, exactly as if the client had waited for each reply. (Several
//     in flight would need replies tagged by request: the controller
//     answers a restart after the status that follows it. The one
//     exception: a run of declarations behind a batch of them, which the
//     controller answers in order, at once: batch.go.) A line that
//     does not parse, or needs a privilege the console lacks, is answered
//     in its turn without the controller. Each reply is appended, formatted,
//     to the connection's output buffer (memory only: Receive does no I/O
//     and never blocks). The next request is sent only while the unwritten
//     reply bytes are under the bound, so they exceed it by one reply at
//     most (by the replies of two runs of declarations, which go to the
//     controller together: batch.go).
//   - A writer goroutine writes whatever replies are ready in one write(2),
//     and waits when none is: replies are coalesced exactly as much as
//     they are ready faster than the socket takes them.
//
// `exit`, or the client's end of input, stops the reader; the writer closes
// the connection once every reply due is written.
//
// A stream (`command events`, `command tail NAME follow`) is a request
// like the others until the controller says OK (it checks the selector or
// the name); then, instead of a reply, the actor subscribes a Feed and
// hands it to the writer, which writes it once the replies before are
// written. From then on the requests queued or read are dropped unanswered
// (the reader reads and drops lines until the end of input or `exit`, which
// end the stream), and the writer writes the feed's lines as they come,
// until it ends: closed by the end of input or a drain (what was queued is
// written first), or cut off (its last line says how many lines were lost).
type connection struct {
	io *connIO
	// gate is what the peer may do, checked on every request, and its
	// `auth` exchange (auth.go, REFERENCE §5).
	gate       *gate
	controller *actor.PID
	log        *logrus.Logger
	limits     connLimits
	streams    connStreams
	peer       string
	// queue holds the requests received and not yet sent to the
	// controller, in order; head is the first one.
	queue []lineReceived
	head  int
	// inFlight is the request at the controller, when busy (one at most).
	// The controller answers the actor itself (ctx.Request), not a future:
	// a future per request registers a new process id, and protoactor's
	// registry keeps a block in each of its 32,768 shard maps once it was
	// used (+9 MiB).
	inFlight lineReceived
	busy     bool // inFlight is set
	sentAt   time.Time
	timer    *time.Timer
	// draining: cfkd is going away; the requests queued are answered in
	// their turn with drainErr, the one in flight is waited for.
	draining bool
	// upgrading: drained for an upgrade in place (drainErr)
	upgrading bool
	// upgradeBy: drained for an upgrade in place with a request in
	// flight, which is waited for until then only (upgradeDrainGrace)
	upgradeBy time.Time
	// closed: the connection is gone; replies are dropped and the actor
	// stops once no request is in flight.
	closed bool
	// asked: the request in flight asks for a stream (the controller's OK
	// starts it); streaming: it started, nothing more is run.
	asked     *messages.ControlCommand
	streaming bool
	// batch is the run of declarations in flight, inFlight first, when
	// they went to the controller together (batch.go); empty otherwise.
	// ahead is the run sent after it, unanswered yet (declareAhead).
	batch, ahead []lineReceived
	// applying is the place of the apply in flight in the budget of
	// applies, waited for or held until it is answered (applybudget.go)
	applying *applyTicket
	// spare: the connection has the fd its console keeps for when cfkd
	// has no fd left (acceptSpare): its streams are refused with it, a
	// stream would keep that fd for as long as it lasts (REFERENCE §7.6)
	spare error
}

// Receive implements actor.Actor.
func (c *connection) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if c.peer == "" {
			c.peer = peerName(c.io.conn)
		}
		c.io.peer = c.peer
		c.log.Infof("new connection to admin from %s", c.peer)
		c.io.start(ctx.ActorSystem().Root, ctx.Self())
	case lineReceived:
		if !c.closed && !c.streaming {
			c.enqueue(m)
			c.pump(ctx)
		}
	case linesReceived:
		if !c.closed && !c.streaming {
			for _, l := range m {
				c.enqueue(l)
			}
			c.pump(ctx)
		}
	case messages.Reply:
		if !c.busy {
			c.log.Warnf("connection %s: a reply came with no request in flight: dropped", c.peer)
			return
		}
		if asked := c.asked; asked != nil {
			c.asked = nil
			if m.OK() && !c.closed {
				c.startStream(*asked)
				return
			}
		}
		c.answer(ctx, m) // a batch's lines all get it (the controller failed it)
		c.next(ctx)
	case declared:
		if !c.busy || len(c.batch) != len(m.replies) {
			c.log.Warnf("connection %s: %d replies came for %d declarations in flight: dropped", c.peer, len(m.replies), len(c.batch))
			return
		}
		for i, l := range c.batch {
			c.io.reply(l, m.replies[i])
		}
		c.endBatch()
		c.inFlight, c.busy = lineReceived{}, false
		c.promote(ctx)
		c.next(ctx)
	case applyDecoded:
		c.onApplyDecoded(ctx, m)
	case replyRoom:
		c.pump(ctx)
	case requestTimedOut:
		c.timedOut(ctx)
	case drainConnection:
		c.draining, c.upgrading = true, m.upgrade
		c.io.drain(m.upgrade)
		if !m.upgrade {
			c.dropWaitingApply(errShuttingDown, false) // as the controller would answer it
		}
		if m.upgrade && c.busy && c.upgradeBy.IsZero() {
			c.upgradeBy = time.Now().Add(upgradeDrainGrace)
			c.armTimer(ctx, upgradeDrainGrace)
		}
		c.next(ctx) // closed, its waiting apply just answered: it ends
	case connectionClosed:
		c.log.Infof("Console exiting (%s)", c.peer)
		c.closed = true
		c.queue, c.head = nil, 0
		c.dropWaitingApply(errClientGone, true) // dropped: the connection is closed
		c.next(ctx)
	case *actor.Stopping:
		if c.timer != nil {
			c.timer.Stop()
		}
		c.stopGate()
		if c.busy {
			c.answerAll(messages.ErrorReply(errShuttingDown))
		}
		for _, q := range c.queue[c.head:] {
			c.io.reply(q, messages.ErrorReply(errShuttingDown))
		}
		c.queue, c.head = nil, 0
		c.applyDone()
		c.io.abandon(true)
	case *actor.Stopped, *actor.Restarting:
	default:
		c.log.Warnf("connection: unknown message %T ignored", m)
	}
}

// enqueue adds a request to the queue, moving the queue down to its start
// when its consumed head is at least half of it (so that a connection that
// is never idle does not grow it forever).
func (c *connection) enqueue(m lineReceived) {
	if c.head > 0 && 2*c.head >= len(c.queue) {
		n := copy(c.queue, c.queue[c.head:])
		clear(c.queue[n:])
		c.queue, c.head = c.queue[:n], 0
	}
	c.queue = append(c.queue, m)
}

// next goes on after a request is answered: the next one in the queue, or
// the end of the actor once the connection is closed.
func (c *connection) next(ctx actor.Context) {
	if c.closed {
		if !c.busy {
			ctx.Stop(ctx.Self())
		}
		return
	}
	c.pump(ctx)
}

// pump runs the queued requests in order until one goes to the controller
// (its reply resumes the pump), the queue is empty, or the unwritten
// replies fill their bound (the writer sends replyRoom when they no longer
// do). Behind a batch of declarations at the controller, the next run of
// them may go too (declareAhead).
func (c *connection) pump(ctx actor.Context) {
	if c.authExhausted() {
		return
	}
	for !c.busy && c.head < len(c.queue) && c.io.roomForReply() {
		m := c.queue[c.head]
		c.queue[c.head] = lineReceived{}
		c.head++
		if c.head == len(c.queue) {
			c.queue, c.head = c.queue[:0], 0
		}
		if m.tooLong {
			c.io.reply(m, messages.ErrorReply(protocol.ErrLineTooLong))
			continue
		}
		if c.intercept(ctx, m) {
			continue
		}
		st, err := messages.ParseDeferred(m.line) // an apply is decoded off the actor
		// the checks of a request come first, in a drain as outside one:
		// a refusal replaced by the drain's (`cfkd is shutting down`, or
		// a stream's end line) read to a stream's client as a stream
		// granted and ended (REFERENCE §1.5, §5.1)
		switch {
		case err != nil && isAuthLine(m.line):
			// only in a drain (intercept takes an auth otherwise):
			// nothing is granted once cfkd drains
			c.io.reply(m, messages.ErrorReply(c.drainErr()))
		case err != nil:
			c.io.reply(m, messages.ErrorReply(err))
		case !c.allows(st, m.line):
			c.io.reply(m, messages.ErrorReply(messages.ErrNotAuthorized))
		case c.draining && c.fleetStreamOfNoHub(st):
			c.io.reply(m, messages.ErrorReply(ErrNotFleetHub)) // as toFleet outside a drain
		case c.draining && c.streamsAtDrain(st):
			c.endAtDrain(m) // nothing is run after a stream's request
		case c.draining:
			c.io.reply(m, messages.ErrorReply(c.drainErr()))
		case c.spare != nil && asksStream(st):
			c.io.reply(m, messages.ErrorReply(c.spare))
		default:
			c.inFlight, c.busy = m, true
			c.sentAt = time.Now()
			c.armTimer(ctx, c.limits.timeout)
			if p, ok := st.(messages.PendingApply); ok {
				// decoded once it has its place, then checked,
				// audited and sent (applybudget.go)
				c.decodeApply(ctx, p, c.gate.level.Allows(rights.Admin))
				break
			}
			c.audited(st, m.line)
			if f, ok := st.(messages.Fleet); ok {
				c.toFleet(ctx, f) // not the controller's (REFERENCE §12)
			} else if cmd, ok := st.(messages.ControlCommand); ok && cmd.Streams() {
				c.asked = &cmd // the controller checks it; the OK starts the stream
				ctx.Request(c.controller, streamRequest{cmd: cmd})
			} else if d, ok := st.(messages.SetServiceAttr); ok && c.declareRun(ctx, m, d) {
				// sent with the declarations queued after it (batch.go)
			} else {
				ctx.Request(c.controller, st)
			}
		}
	}
	if c.busy {
		c.declareAhead(ctx) // batch.go
	}
}

// startStream turns the connection into the stream cmd asked for, the
// controller having said OK: a feed of event lines or of the service's
// output, written once the replies before it are (REFERENCE §1.5). The
// requests queued behind it are dropped, never run.
func (c *connection) startStream(cmd messages.ControlCommand) {
	var f *Feed
	if cmd.Verb == messages.VerbEvents {
		f = c.streams.hub.subscribe(cmd.Sel, c.streams.backlog, c.io.cutOff)
	} else {
		f = c.streams.tail.follow(cmd.Arg, cmd.Lines, c.streams.backlog, c.io.cutOff)
	}
	c.becomeStream(f)
}

// becomeStream makes the connection the stream of f, in place of the
// reply to the request in flight.
func (c *connection) becomeStream(f *Feed) {
	c.io.stream(c.inFlight, f, c.log, c.gate.streamCheck())
	c.inFlight, c.busy = lineReceived{}, false
	c.streaming = true
	c.queue, c.head = nil, 0
	if c.timer != nil {
		c.timer.Stop()
	}
}

// drainErr answers a request the drain does not run (REFERENCE §1.5,
// §13.3): `cfkd is shutting down`, or in an upgrade in place's drain
// `cfkd is being upgraded in place: try again`, as a connection accepted
// then is answered. Nothing of it ran, and the next cfkd takes it: an
// upgrade's answered `cfkd is shutting down` sent a script that asked
// `status` at that moment looking for a cfkd going away.
func (c *connection) drainErr() error {
	if c.upgrading {
		return errUpgradeRetry
	}
	return errShuttingDown
}

// streamsAtDrain says whether st, read while the connection drains, asks
// for a stream the connection would have become: `command events`,
// `command tail NAME follow`, and on a hub `command fleet events`.
func (c *connection) streamsAtDrain(st messages.Statement) bool {
	return asksStream(st) && !c.fleetStreamOfNoHub(st)
}

// asksStream says whether st asks for a stream: `command events`,
// `command tail NAME follow`, `command fleet events`.
func asksStream(st messages.Statement) bool {
	switch s := st.(type) {
	case messages.ControlCommand:
		return s.Streams()
	case messages.Fleet:
		return s.Streams()
	}
	return false
}

// fleetStreamOfNoHub says whether st is `command fleet events` asked of
// a cfkd that is no fleet hub (toFleet refuses it).
func (c *connection) fleetStreamOfNoHub(st messages.Statement) bool {
	f, ok := st.(messages.Fleet)
	return ok && f.Streams() && c.streams.fleet == nil
}

// endAtDrain answers m, a stream's request read while the connection
// drains, with a stream that ends at once, its last line the one the
// drain gives a stream that had started: the end line of a shutdown, the
// resume line of an upgrade in place (REFERENCE §1.5). An ERROR there
// was a refusal to its client, where a stream asked a moment earlier
// ended as it should: `cfkctl events` exited 1 for the one, 0 for the
// other.
func (c *connection) endAtDrain(m lineReceived) {
	c.inFlight, c.busy = m, true
	c.becomeStream(newFeed(c.streams.backlog))
}

func (c *connection) armTimer(ctx actor.Context, d time.Duration) {
	if c.timer != nil {
		c.timer.Reset(d)
		return
	}
	root, self := ctx.ActorSystem().Root, ctx.Self()
	c.timer = time.AfterFunc(d, func() { root.Send(self, requestTimedOut{}) })
}

// timedOut answers a request the controller did not answer in time, and
// ends the connection: a late answer must not be taken for the next
// request's (REFERENCE §1.5). The requests queued behind it are dropped
// with the connection.
func (c *connection) timedOut(ctx actor.Context) {
	if !c.busy {
		return
	}
	if !c.upgradeBy.IsZero() {
		if left := time.Until(c.upgradeBy); left > 0 {
			c.armTimer(ctx, left) // a timer of an earlier request
			return
		}
		c.unansweredAtUpgrade(ctx)
		return
	}
	if left := c.limits.timeout - time.Since(c.sentAt); left > 0 {
		c.armTimer(ctx, left) // a timer of an earlier request
		return
	}
	c.log.Warnf("connection %s: no answer after %v to %q: closing", c.peer, c.limits.timeout, c.inFlight.line)
	c.answerAll(messages.ErrorReply(fmt.Errorf("no answer after %v", c.limits.timeout)))
	c.abandon(ctx)
}

// abandon ends the connection once what was written is (the error of a
// request not answered in time, or nothing): the requests queued are
// dropped, and the actor stops at once if the connection is gone already.
func (c *connection) abandon(ctx actor.Context) {
	if c.closed { // the connection is already gone: nothing more to wait for
		ctx.Stop(ctx.Self())
		return
	}
	c.closed = true // connectionClosed follows once what was written is
	c.queue, c.head = nil, 0
	c.io.abandon(false)
}

// upgradeDrainGrace bounds the wait of a connection drained for an
// upgrade in place (REFERENCE §13.3) for the answer to its request in
// flight: a change that came after the freeze, and a query, are answered
// at once, but a request taken before it (a restart waiting for its
// service to be down) waits for a service that is frozen: its answer
// never comes before the exec, and the drain held the freeze, every
// timer, the reaper and the output with it, for its 3 s bound.
var upgradeDrainGrace = 200 * time.Millisecond

// unansweredAtUpgrade closes a connection drained for an upgrade in place
// whose request in flight was not answered within upgradeDrainGrace: the
// client gets a clean close, with no reply to it nor to what it queued
// behind (a reply to those first would be taken for its). The new cfkd
// carries the service on; the answer is lost (REFERENCE §13.2).
func (c *connection) unansweredAtUpgrade(ctx actor.Context) {
	c.log.Infof("connection %s: %q not answered before the upgrade in place: closing", c.peer, c.inFlight.line)
	c.inFlight, c.busy, c.asked = lineReceived{}, false, nil
	c.applyDone()
	c.endBatch()
	clear(c.ahead)
	c.ahead = c.ahead[:0]
	c.abandon(ctx)
}

func newConnection(conn net.Conn, privileged bool, controller *actor.PID, log *logrus.Logger, lim connLimits, streams connStreams) *connection {
	io := &connIO{conn: conn, lim: lim, readerDone: make(chan struct{}), afterBig: streams.afterBigReply, cutGrace: streams.cutGrace, drainBound: drainWriteBound}
	if io.cutGrace <= 0 {
		io.cutGrace = streamCutGrace
	}
	io.cond = sync.NewCond(&io.mu)
	return &connection{io: io, gate: newGate(privileged, log), controller: controller, log: log, limits: lim, streams: streams}
}

func peerName(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil && a.String() != "" && a.String() != "@" {
		return a.Network() + ":" + a.String()
	}
	if a := c.LocalAddr(); a != nil {
		return a.Network() + ":" + a.String()
	}
	return "unknown"
}

package actors

import (
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
)

// FleetHandler is what a hub cfkd plugs into its tree (package fleet,
// REFERENCE §12): an admin connection hands it every `command fleet`
// request once the peer's rights allow it, and the controller never sees
// them. Both methods are called from a connection actor: they must not
// block.
type FleetHandler interface {
	// Request sends f to the hosts and calls answer once with the
	// gathered reply, from any goroutine.
	Request(f messages.Fleet, answer func(messages.Reply))
	// Stream starts `command fleet events`: a feed of the hosts' event
	// lines (messages.FleetEventLine), bounded by b; onCut as for the
	// event hub's feeds; admin: the peer holds admin (places are kept
	// for it). An error refuses the request.
	Stream(f messages.Fleet, admin bool, b Backlog, onCut func()) (*Feed, error)
}

// ErrNotFleetHub answers `command fleet` on a cfkd that has no inventory.
var ErrNotFleetHub = errors.New("this cfkd is not a fleet hub (cfkd --fleet-inventory FILE)")

// errFleetOnlyAdmin answers `command fleet` that reaches the controller: a
// line of a config file.
var errFleetOnlyAdmin = messages.ErrFleetOnlyAdmin

// toFleet runs the fleet request in flight (c.inFlight): a stream at once,
// or a request whose reply comes to the actor as the controller's would.
func (c *connection) toFleet(ctx actor.Context, f messages.Fleet) {
	fl := c.streams.fleet
	if fl == nil {
		c.answerNow(messages.ErrorReply(ErrNotFleetHub))
		return
	}
	if f.Streams() {
		feed, err := fl.Stream(f, c.gate.level.Allows(rights.Admin), c.streams.backlog, c.io.cutOff)
		if err != nil {
			c.answerNow(messages.ErrorReply(err))
			return
		}
		c.becomeStream(feed)
		return
	}
	root, self := ctx.ActorSystem().Root, ctx.Self()
	fl.Request(f, func(r messages.Reply) { root.Send(self, r) })
}

// answerNow answers the request in flight without the controller.
func (c *connection) answerNow(r messages.Reply) {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.io.reply(c.inFlight, r)
	c.inFlight, c.busy = lineReceived{}, false
}

// NewFeed returns a feed whose source is outside this package (a hub's
// merged stream of its hosts' events): the source pushes with Push and
// ends it with End; detach, if not nil, is called once when the reader is
// done with it (it closed it, or took its end). onCut as for the event
// hub's feeds.
func NewFeed(b Backlog, onCut, detach func()) *Feed {
	f := newFeed(b)
	f.onCut, f.detach = onCut, detach
	return f
}

// Push queues line, which the feed then owns. It never blocks; past the
// backlog, the feed is cut off.
func (f *Feed) Push(line []byte) { f.push(line) }

// End ends the feed from its source's side: the reader gets what was
// queued, then the end.
func (f *Feed) End() { f.end() }

// Ask sends st to the controller and calls answer once with its reply (in
// an actor of the tree, so answer must not block). It never waits: the
// request is made by a short-lived actor of its own. A controller that
// does not answer within RequestTimeout is answered for.
func (t *Tree) Ask(st messages.Statement, answer func(messages.Reply)) {
	controller := t.Controller
	t.System.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *actor.Started:
			ctx.SetReceiveTimeout(RequestTimeout)
			ctx.Request(controller, st)
		case messages.Reply:
			answer(m)
			ctx.Stop(ctx.Self())
		case *actor.ReceiveTimeout:
			answer(messages.ErrorReply(fmt.Errorf("no answer after %v", RequestTimeout)))
			ctx.Stop(ctx.Self())
		}
	}))
}

// AuditText is what an audit record says of a request (REFERENCE §5.5):
// the line, cleaned, but an apply's data and add_env values.
func AuditText(st messages.Statement, line string) string { return requestText(st, line) }

// AuditNeeded reports whether running st is recorded in the audit log:
// operate and admin requests are (REFERENCE §5.5).
func AuditNeeded(st messages.Statement) bool { return rights.Required(st) > rights.Read }

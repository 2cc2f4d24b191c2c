package actors

import (
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
)

// Pipelined declarations (REFERENCE §1.5): a client that writes many
// `service NAME ATTR=VALUE` lines before it reads a reply (a config file
// sent whole) would cost one round trip to the controller per line. So a
// connection sends the run of declarations at the head of its queue, up
// to maxDeclareBatch, as one declareBatch; the controller makes them in
// one Receive, in order, each exactly as a lone one (declareService), and
// answers declared: one reply per line, in order, each the one the line
// would have got alone. Every line of the run is parsed, checked against
// the peer's rights and audited in its turn as any request; a line that
// is not such a declaration, or that the rights refuse, ends the run and
// is run after it, as usual. While a batch is at the controller, the next
// run of declarations may follow it there unanswered (declareAhead, one
// at most): the controller makes it after the first all the same, and the
// connection's work on the lines of one overlaps the controller's on the
// other.

// maxDeclareBatch bounds the declarations of one declareBatch (the
// controller makes them in one Receive).
const maxDeclareBatch = 128

type (
	// linesReceived is a run of request lines the reader found in its
	// buffer at once, in order.
	linesReceived []lineReceived
	// declareBatch asks the controller for declarations, in order.
	declareBatch struct{ decls []messages.SetServiceAttr }
	// declared answers a declareBatch: one reply per declaration, in
	// order.
	declared struct{ replies []messages.Reply }
)

// String is the lines, an `auth` line's token left out (lineReceived's
// String): protoactor logs a dead letter with its message.
func (m linesReceived) String() string {
	s := make([]string, len(m))
	for i, l := range m {
		s[i] = l.String()
	}
	return strings.Join(s, "\n")
}

// GoString is String's, for %#v.
func (m linesReceived) GoString() string { return "linesReceived{" + m.String() + "}" }

// declareRun sends first (the declaration d, already checked and audited)
// with the declarations queued right after it as one declareBatch, and
// says so; false when none follows it (first then goes alone, as any
// request).
func (c *connection) declareRun(ctx actor.Context, first lineReceived, d messages.SetServiceAttr) bool {
	if c.head == len(c.queue) {
		return false
	}
	decls := append(make([]messages.SetServiceAttr, 0, min(len(c.queue)-c.head+1, maxDeclareBatch)), d)
	decls, lines := c.takeRun(decls, append(c.batch[:0], first))
	if len(decls) == 1 {
		clear(lines)
		c.batch = lines[:0]
		return false
	}
	c.batch = lines
	ctx.Request(c.controller, declareBatch{decls: decls})
	return true
}

// declareAhead sends the run of declarations at the head of the queue as
// a declareBatch while a batch is at the controller and unanswered (one
// such at most, c.ahead): the controller makes it after that one, as it
// would have once that one was answered, while the connection parses and
// audits the lines of the next (on another core). Nothing else goes
// ahead: a request that is not such a declaration waits for every reply
// before it, as usual.
func (c *connection) declareAhead(ctx actor.Context) {
	if len(c.batch) == 0 || len(c.ahead) > 0 || c.closed || !c.io.roomForReply() {
		return
	}
	decls, lines := c.takeRun(nil, c.ahead[:0])
	c.ahead = lines
	if len(decls) > 0 {
		ctx.Request(c.controller, declareBatch{decls: decls})
	}
}

// takeRun takes from the head of the queue the declarations that may go
// in a batch after decls (and their lines), up to maxDeclareBatch: what
// pump would have sent to the controller unchanged, one after the other.
// A line that is too long, an `auth`, a request before auth, one that
// does not parse, is no service declaration or is refused, or a drain,
// ends the run. Each line taken is audited, in its turn.
func (c *connection) takeRun(decls []messages.SetServiceAttr, lines []lineReceived) ([]messages.SetServiceAttr, []lineReceived) {
	for c.head < len(c.queue) && len(decls) < maxDeclareBatch && !c.draining {
		m := c.queue[c.head]
		if m.tooLong {
			break
		}
		if w, _ := authWords(m.line); w == "auth" || c.gate.tokens != nil && !c.gate.authed {
			break // intercept's
		}
		next, ok := messages.ParseServiceLine(m.line) // unboxed
		if !ok {
			st, err := messages.ParseDeferred(m.line) // `proxy P service ...`, or no declaration (an apply is not decoded)
			if next, ok = st.(messages.SetServiceAttr); err != nil || !ok {
				break
			}
		}
		c.refreshGate()
		if !c.gate.level.Allows(rights.Required(next)) {
			break // refused (and logged) in its turn
		}
		if decls == nil { // room for the run the queue holds
			decls = make([]messages.SetServiceAttr, 0, min(len(c.queue)-c.head, maxDeclareBatch))
		}
		c.audited(next, m.line)
		decls = append(decls, next)
		lines = append(lines, m)
		c.queue[c.head] = lineReceived{}
		c.head++
	}
	if c.head == len(c.queue) {
		c.queue, c.head = c.queue[:0], 0
	}
	return decls, lines
}

// answer answers the request in flight with rep: each line of the batch
// in flight, when there is one. A batch sent ahead is then the one in
// flight (promote).
func (c *connection) answer(ctx actor.Context, rep messages.Reply) {
	c.answerFirst(rep)
	c.promote(ctx)
}

// answerAll answers the request in flight and the batch sent ahead, if
// any, with rep: the connection is ending (no timer is armed).
func (c *connection) answerAll(rep messages.Reply) {
	c.answerFirst(rep)
	for _, l := range c.ahead {
		c.io.reply(l, rep)
	}
	clear(c.ahead)
	c.ahead = c.ahead[:0]
}

// answerFirst answers the request in flight with rep.
func (c *connection) answerFirst(rep messages.Reply) {
	if len(c.batch) > 0 {
		for _, l := range c.batch {
			c.io.reply(l, rep)
		}
		c.endBatch()
	} else {
		c.io.reply(c.inFlight, rep)
	}
	c.inFlight, c.busy = lineReceived{}, false
	c.applyDone()
}

// promote makes the batch sent ahead, if any, the one in flight (busy),
// its answer awaited from now.
func (c *connection) promote(ctx actor.Context) {
	if len(c.ahead) == 0 {
		return
	}
	c.batch, c.ahead = c.ahead, c.batch
	c.inFlight, c.busy, c.sentAt = c.batch[0], true, time.Now()
	c.armTimer(ctx, c.limits.timeout)
}

// endBatch empties the batch, keeping its array for the next one.
func (c *connection) endBatch() {
	clear(c.batch)
	c.batch = c.batch[:0]
}

// declareBatch makes the declarations of b in order, each as
// declareService does alone.
func (c *Controller) declareBatch(ctx actor.Context, b declareBatch) declared {
	replies := make([]messages.Reply, len(b.decls))
	for i, d := range b.decls {
		replies[i] = c.declareService(ctx, d)
	}
	return declared{replies: replies}
}

// IgnoreDeadLetterLogging keeps a batch, whose declarations hold add_env
// values, out of protoactor's dead-letter log (messages.SetServiceAttr's).
func (declareBatch) IgnoreDeadLetterLogging() {}

package actors

import (
	"strings"

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
// is run after it, as usual.

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
// request). It takes from the queue what pump would have sent to the
// controller unchanged, one after the other: a line that is too long, an
// `auth`, a request before auth, one that does not parse, is no service
// declaration or is refused, or a drain, ends the run.
func (c *connection) declareRun(ctx actor.Context, first lineReceived, d messages.SetServiceAttr) bool {
	var decls []messages.SetServiceAttr
	for c.head < len(c.queue) && len(decls) < maxDeclareBatch && !c.draining {
		m := c.queue[c.head]
		if m.tooLong {
			break
		}
		if w, _ := authWords(m.line); w == "auth" || c.gate.tokens != nil && !c.gate.authed {
			break // intercept's
		}
		st, err := messages.Parse(m.line)
		if err != nil {
			break
		}
		next, ok := st.(messages.SetServiceAttr)
		if !ok {
			break
		}
		c.refreshGate()
		if !c.gate.level.Allows(rights.Required(st)) {
			break // refused (and logged) in its turn
		}
		if decls == nil { // room for the run the queue holds
			decls = append(make([]messages.SetServiceAttr, 0, min(len(c.queue)-c.head+1, maxDeclareBatch)), d)
			c.batch = append(c.batch[:0], first)
		}
		c.audited(st, m.line)
		decls = append(decls, next)
		c.batch = append(c.batch, m)
		c.queue[c.head] = lineReceived{}
		c.head++
	}
	if c.head == len(c.queue) {
		c.queue, c.head = c.queue[:0], 0
	}
	if decls == nil {
		return false
	}
	ctx.Request(c.controller, declareBatch{decls: decls})
	return true
}

// answer answers the request in flight with rep: each line of the batch
// in flight, when there is one.
func (c *connection) answer(rep messages.Reply) {
	if len(c.batch) > 0 {
		for _, l := range c.batch {
			c.io.reply(l, rep)
		}
		c.endBatch()
	} else {
		c.io.reply(c.inFlight, rep)
	}
	c.inFlight, c.busy = lineReceived{}, false
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

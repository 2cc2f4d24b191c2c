package actors

import (
	"errors"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// An apply's DATA inflates to 16 MiB of text at most (64 KiB of base64
// do), and its declarations and its plan take as much again: about 36 MB
// of cfkd's memory while the apply is decoded and planned. A dry run
// needs only `read`, and a read peer may hold 128 connections (§5.4):
// 64 dry runs at once took cfkd to 2.3 GB. So cfkd decodes and plans a
// bounded number of applies at once, across all of its connections
// (REFERENCE §1.4): the others wait their turn, in the order they came,
// and their clients get a later answer, never a refusal.
//
// The applies of admin peers (every apply that changes anything, and an
// admin's dry runs) have places of their own: the dry runs of read and
// operate peers never hold them back.
const (
	// SharedApplies is how many applies of peers that are not admin are
	// decoded and planned at once.
	SharedApplies = 2
	// AdminApplies is how many applies of admin peers are, besides.
	AdminApplies = 2
)

// defaultApplyBudget is cfkd's, shared by every connection of every
// console (connStreams.applies nil).
var defaultApplyBudget = newApplyBudget(SharedApplies, AdminApplies)

// applyBudget is the places of applies being decoded and planned: a
// place is taken before DATA is decoded and given back once the apply is
// answered (connection.applyDone). Its methods never block: a request
// with no place waits in its pool's queue, holding only its request line,
// and its grant runs when a place is given back to it. A goroutine only
// decodes a granted apply; none waits.
type applyBudget struct {
	mu    sync.Mutex
	pools [2]applyPool // shared, admin
	// beforeDecode, when set (tests), is called by the goroutine that
	// decodes a granted apply, before it decodes.
	beforeDecode func()
}

type applyPool struct {
	size, held, maxHeld int
	waiting             []*applyTicket // in order
}

func newApplyBudget(shared, admin int) *applyBudget {
	b := &applyBudget{}
	b.pools[0].size, b.pools[1].size = shared, admin
	return b
}

// The states of an applyTicket.
const (
	ticketWaiting = iota
	ticketGranted
	ticketDone
)

// applyTicket is one apply's claim on a place: waiting, then granted,
// then done (given back, or given up while waiting).
type applyTicket struct {
	b      *applyBudget
	pool   int
	state  int
	dryRun bool
	grant  func() // run once granted (outside the lock); never blocks
	// decoding: granted, its DATA being decoded (by the goroutine grant
	// started); orphaned: released meanwhile (answered: its timeout,
	// the end of the connection), the place given back by that goroutine
	// once it is done rather than at once, as its memory is held until
	// then (decoded)
	decoding, orphaned bool
}

// ask queues t in its pool and grants it at once if a place is free and
// no one waits before it.
func (b *applyBudget) ask(t *applyTicket) {
	t.b = b
	b.mu.Lock()
	p := &b.pools[t.pool]
	if p.held < p.size && len(p.waiting) == 0 {
		p.take(t)
		b.mu.Unlock()
		t.grant()
		return
	}
	p.waiting = append(p.waiting, t)
	b.mu.Unlock()
}

func (p *applyPool) take(t *applyTicket) {
	t.state, t.decoding = ticketGranted, true
	p.held++
	p.maxHeld = max(p.maxHeld, p.held)
}

// release gives t's place back (and grants it to the first waiting in its
// pool), or takes t out of its queue if it was waiting. While t's DATA is
// being decoded, its place is given back once that ends (decoded). It reports
// whether t was waiting. Done twice, it does nothing.
func (t *applyTicket) release() (wasWaiting bool) {
	b := t.b
	b.mu.Lock()
	p := &b.pools[t.pool]
	switch t.state {
	case ticketDone:
		b.mu.Unlock()
		return false
	case ticketWaiting:
		for i, w := range p.waiting {
			if w == t {
				p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
				break
			}
		}
		t.state = ticketDone
		b.mu.Unlock()
		return true
	}
	if t.decoding { // its place is given back once the decoding ends (decoded)
		t.orphaned = true
		b.mu.Unlock()
		return false
	}
	t.state = ticketDone
	p.held--
	var next *applyTicket
	if len(p.waiting) > 0 && p.held < p.size {
		next = p.waiting[0]
		p.waiting[0] = nil
		p.waiting = p.waiting[1:]
		p.take(next)
	}
	b.mu.Unlock()
	if next != nil {
		next.grant()
	}
	return false
}

// decoded says that the decoding of granted t has ended, and whether t
// is still wanted; when it is not (released while it decoded), its place
// is given back now.
func (t *applyTicket) decoded() (wanted bool) {
	t.b.mu.Lock()
	t.decoding = false
	orphaned := t.orphaned
	t.b.mu.Unlock()
	if orphaned {
		t.release()
	}
	return !orphaned
}

// waitingFor is whether t still waits for a place.
func (t *applyTicket) waitingFor() bool {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	return t.state == ticketWaiting
}

// stats is the pool's places held, the most held at once, and the
// requests waiting (tests).
func (b *applyBudget) stats(admin bool) (held, maxHeld, waiting int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := &b.pools[poolOf(admin)]
	return p.held, p.maxHeld, len(p.waiting)
}

func poolOf(admin bool) int {
	if admin {
		return 1
	}
	return 0
}

// errClientGone answers, for nobody, a dry run dropped as its client went
// away (the connection is closed: the reply is not written).
var errClientGone = errors.New("the client is gone")

// applyDecoded is a PendingApply decoded, off the actor, for the ticket
// that holds its place.
type applyDecoded struct {
	t   *applyTicket
	a   messages.Apply
	err error
}

// String names the apply without its declarations: protoactor logs a
// dead letter with its message (at debug level; one reaches a connection
// stopped meanwhile), and an add_env value is never logged (REFERENCE
// §5.5).
func (m applyDecoded) String() string {
	if m.err != nil {
		return "applyDecoded{" + m.a.Request() + ": " + m.err.Error() + "}"
	}
	return "applyDecoded{" + m.a.Request() + " (" + m.a.Counts() + ")}"
}

// GoString is String's, for %#v.
func (m applyDecoded) GoString() string { return m.String() }

// decodeApply takes the request in flight, an apply whose DATA is not
// decoded yet, to the budget: once it has a place, a goroutine decodes
// it and sends the connection applyDecoded (REFERENCE §1.4). The place
// is the connection's (c.applying) until the apply is answered.
func (c *connection) decodeApply(ctx actor.Context, p messages.PendingApply, admin bool) {
	b := c.streams.applies
	if b == nil {
		b = defaultApplyBudget
	}
	root, self := ctx.ActorSystem().Root, ctx.Self()
	t := &applyTicket{pool: poolOf(admin), dryRun: p.DryRun}
	t.grant = func() {
		go func() {
			if b.beforeDecode != nil {
				b.beforeDecode()
			}
			a, err := p.Decode()
			if t.decoded() { // else answered meanwhile: its place given back, the result dropped
				root.Send(self, applyDecoded{t: t, a: a, err: err})
			}
		}()
	}
	c.applying = t
	b.ask(t)
}

// applyDecoded goes on with the apply in flight once decoded: refused
// when its DATA does not decode or declares what its peer may not see
// (add_env), dropped when its client went away (a dry run), sent to the
// controller otherwise. A decoding of a request answered meanwhile (its
// timeout) is dropped (decoded gave its place back, or release does).
func (c *connection) onApplyDecoded(ctx actor.Context, m applyDecoded) {
	if m.t != c.applying || !c.busy {
		m.t.release()
		return
	}
	switch {
	case m.err != nil:
		c.answer(ctx, messages.ErrorReply(m.err))
	case c.closed && m.a.DryRun: // a plan nobody would read
		c.answer(ctx, messages.ErrorReply(errClientGone))
	case !c.allows(m.a, c.inFlight.line):
		c.answer(ctx, messages.ErrorReply(messages.ErrNotAuthorized))
	default:
		c.audited(m.a, c.inFlight.line)
		m.a.From = c.peer // an apply under way is named so (REFERENCE §1.4)
		ctx.Request(c.controller, m.a)
		return
	}
	c.next(ctx)
}

// applyDone gives back the place of the apply in flight, if any: it was
// answered, or the connection ends.
func (c *connection) applyDone() {
	if t := c.applying; t != nil {
		c.applying = nil
		t.release()
	}
}

// dropWaitingApply answers the apply in flight with err if it still
// waits for a place (then it gives up its turn), and reports whether it
// did. The connection is closed (a dry run's plan nobody would read: the
// answer is dropped), or cfkd shuts down (which the controller would
// answer it).
func (c *connection) dropWaitingApply(err error, dryRunOnly bool) bool {
	if t := c.applying; t != nil && (t.dryRun || !dryRunOnly) && t.waitingFor() {
		c.answerFirst(messages.ErrorReply(err))
		return true
	}
	return false
}

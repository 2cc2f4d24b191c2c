package sockets

import (
	"sync/atomic"

	"github.com/cfk/cfk/messages"
)

// This file is the hand-over of what a bind off the actor binds, between
// its goroutine and the socket actor: exactly one of them closes a
// listener nobody wants, whatever the order of the bind's end, an unbind
// that cancels it, and the actor's end (after which a bindDone sent, or
// still in its mailbox, is never received).

// bindOp is a bind running off the actor (offActor): its lookups, and a
// UNIX socket's file system work.
type bindOp struct {
	req messages.RequestID
	cfg messages.SocketConfig
	// ln is the listener the goroutine hands the actor: nil while the
	// bind runs, then what it bound, then taken once the actor took
	// it, or dropped the op (an unbind cancelled it, or the actor
	// stopped): a listener handed after that is the goroutine's to close
	ln atomic.Pointer[Listener]
}

// taken marks a bindOp whose listener the actor took, or would not.
var taken = new(Listener)

// hand gives the actor l, bound by op's goroutine: false when the actor
// dropped op already, l then the goroutine's to close.
func (op *bindOp) hand(l *Listener) bool {
	return op.ln.CompareAndSwap(nil, l)
}

// take is the actor's end of op: it returns the listener handed, if any
// (the actor's to keep, or to close), and leaves none for later.
func (op *bindOp) take() *Listener {
	if l := op.ln.Swap(taken); l != taken {
		return l
	}
	return nil
}

// bindDone is what the goroutine of op sends back, once it handed what
// it bound (op.take gets it), or with err.
type bindDone struct {
	op  *bindOp
	err error
}

// bindHandedOver runs in a bind's goroutine between the hand-over of its
// listener and the bindDone sent (a test stops the actor meanwhile).
var bindHandedOver = func() {}

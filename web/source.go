package web

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
)

// Source is what the server reads and acts on: the controller, or a fake
// in tests. Both methods are called from HTTP handler goroutines and may
// wait (for ctx at most); neither may make an actor wait.
type Source interface {
	// Snapshot returns the records of the services named (all when names
	// is nil), and every proxy and socket.
	Snapshot(ctx context.Context, names []string) (actors.Snapshot, error)
	// Do runs `command VERB service NAME` and returns its reply.
	Do(ctx context.Context, verb messages.Verb, service string) (messages.Reply, error)
}

// ErrBusy answers a Do when every asker already has maxQueued requests
// waiting.
var ErrBusy = errors.New("too many requests in flight: try again")

// numAskers is how many actions may be at the controller at once; each
// asker runs its requests one at a time, as a console connection does.
const (
	numAskers = 4
	maxQueued = 16
)

// TreeSource is the Source of a running actor tree. Snapshots are
// actors.SnapshotRequest (a channel, answered in the controller's
// Receive); actions go through a few asker actors, spawned once, that
// send each request as a console connection does (the controller answers
// the asker, never a future: REFERENCE §1.5).
type TreeSource struct {
	sys        *actor.ActorSystem
	controller *actor.PID
	askers     [numAskers]askerRef
	closeOnce  sync.Once
}

type askerRef struct {
	pid     *actor.PID
	pending atomic.Int32 // requests sent to it and not yet answered
}

// NewTreeSource spawns the askers; Close stops them.
func NewTreeSource(sys *actor.ActorSystem, controller *actor.PID) *TreeSource {
	s := &TreeSource{sys: sys, controller: controller}
	for k := range s.askers {
		s.askers[k].pid = sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
			return &asker{controller: controller}
		}))
	}
	return s
}

// Close stops the askers (a request they hold is answered by the caller's
// context, never by them).
func (s *TreeSource) Close() {
	s.closeOnce.Do(func() {
		for k := range s.askers {
			s.sys.Root.Stop(s.askers[k].pid)
		}
	})
}

// Snapshot implements Source.
func (s *TreeSource) Snapshot(ctx context.Context, names []string) (actors.Snapshot, error) {
	ch := make(chan actors.Snapshot, 1)
	s.sys.Root.Send(s.controller, actors.SnapshotRequest{Names: names, Reply: ch})
	select {
	case snap := <-ch:
		return snap, nil
	case <-ctx.Done():
		return actors.Snapshot{}, fmt.Errorf("controller did not answer: %w", ctx.Err())
	}
}

// Do implements Source: the request goes to the asker with the fewest
// requests waiting.
func (s *TreeSource) Do(ctx context.Context, verb messages.Verb, service string) (messages.Reply, error) {
	a := &s.askers[0]
	for k := 1; k < numAskers; k++ {
		if s.askers[k].pending.Load() < a.pending.Load() {
			a = &s.askers[k]
		}
	}
	if a.pending.Add(1) > maxQueued {
		a.pending.Add(-1)
		return messages.Reply{}, ErrBusy
	}
	ch := make(chan messages.Reply, 1)
	s.sys.Root.Send(a.pid, ask{
		msg:   messages.ControlCommand{Verb: verb, Sel: messages.Selector{Kind: messages.SelectService, Name: service}},
		reply: ch, done: func() { a.pending.Add(-1) },
	})
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return messages.Reply{}, fmt.Errorf("controller did not answer: %w", ctx.Err())
	}
}

// ask is one request for an asker: reply has room for the answer.
type ask struct {
	msg   any
	reply chan messages.Reply
	done  func()
}

// asker sends its requests to the controller one at a time, in order, and
// hands each Reply to the channel of the request in flight (the
// controller's replies carry no request id: one in flight at a time is
// what pairs them, as in a console connection).
type asker struct {
	controller *actor.PID
	queue      []ask
	inFlight   *ask
}

// Receive implements actor.Actor.
func (a *asker) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case ask:
		a.queue = append(a.queue, m)
		a.next(ctx)
	case messages.Reply:
		if a.inFlight == nil {
			return
		}
		a.inFlight.reply <- m // room for one, and only this reply goes there
		a.inFlight.done()
		a.inFlight = nil
		a.next(ctx)
	case *actor.Stopping:
		// the requests left are answered by their callers' contexts
		for _, q := range a.queue {
			q.done()
		}
		a.queue = nil
	}
}

func (a *asker) next(ctx actor.Context) {
	if a.inFlight != nil || len(a.queue) == 0 {
		return
	}
	q := a.queue[0]
	a.queue = a.queue[1:]
	a.inFlight = &q
	ctx.Request(a.controller, q.msg)
}

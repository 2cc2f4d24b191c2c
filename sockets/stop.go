package sockets

import (
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// This file is the socket actor's end (*actor.Stopping), a safety net:
// the controller unbinds every socket at shutdown. Nothing is waited for:
// what the actor holds is closed off the actor, and every request not
// answered yet is answered now, since the replies of the work still
// under way would reach an actor gone: exactly one reply per request.

// errShuttingDown answers what the actor's end leaves unfinished.
var errShuttingDown = errors.New("cfkd is shutting down")

// stop closes, off the actor, the socket held, if any; a bind under way
// closes what it binds (bindop.go).
func (s *Socket) stop(_ actor.Context, _ any) {
	s.dropOp()
	if l := s.ln; l != nil {
		s.ln = nil
		go l.Close()
	}
}

// stopBind answers the bind under way, dropped: `cannot bind 'NAME':
// cfkd is shutting down`.
func (s *Socket) stopBind(ctx actor.Context, msg any) {
	if op := s.op; op != nil {
		s.reply(ctx, messages.SocketReply{Req: op.req, Err: fmt.Errorf("cannot bind '%s': %w", s.name, errShuttingDown)})
	}
	s.stop(ctx, msg)
}

// stopClose answers the unbinds waiting for the close under way (its
// goroutine closes the socket, its file perhaps left behind) or for the
// adoption (the socket closed now, its file left behind): `cfkd is
// shutting down`, whether the close ends or not.
func (s *Socket) stopClose(ctx actor.Context, msg any) {
	reqs := s.closing
	s.closing = nil
	for _, req := range reqs {
		s.reply(ctx, messages.SocketReply{Req: req, Err: errShuttingDown})
	}
	s.stop(ctx, msg)
}

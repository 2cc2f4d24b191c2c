package sockets

import (
	"context"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// LookupTimeout bounds the resolution of a host or service name, and
// each lookup of a UNIX socket's user or group (nss.Timeout).
const LookupTimeout = nss.Timeout

// lookedUp is what the lookup goroutine sends back: the target of the bind
// of generation gen.
type lookedUp struct {
	gen uint64
	t   target
	err error
}

// pendingBind is a bind waiting for its lookup.
type pendingBind struct {
	req messages.RequestID
	cfg messages.SocketConfig
}

// Socket is the actor of one shared socket (socket/NAME under the
// controller): it owns the listening fd. It answers BindSocket and
// UnbindSocket with a SocketReply to its parent.
type Socket struct {
	name string
	log  logrus.FieldLogger
	self *actor.PID

	ln      *Listener
	pending *pendingBind // a bind waiting for its lookup
	gen     uint64       // bumped by every bind and unbind: stale lookups are dropped
}

// New returns the actor of socket name (an actor.Producer's result).
func New(name string, log logrus.FieldLogger) *Socket {
	return &Socket{name: name, log: log.WithField("socket", name)}
}

// Receive implements actor.Actor.
func (s *Socket) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.self = ctx.Self()
	case messages.BindSocket:
		s.bind(ctx, m)
	case lookedUp:
		s.lookedUp(ctx, m)
	case messages.UnbindSocket:
		s.unbind(ctx, m)
	case *actor.Stopping:
		s.close() // a safety net: the controller unbinds every socket at shutdown
	case *actor.Stopped, *actor.Restarting:
	default:
		s.log.WithField("message", fmt.Sprintf("%T", m)).Warn("socket: unknown message ignored")
	}
}

func (s *Socket) bind(ctx actor.Context, m messages.BindSocket) {
	switch {
	case s.ln != nil:
		s.reply(ctx, messages.SocketReply{Req: m.Req, Err: fmt.Errorf("socket '%s' is already bound", s.name)})
		return
	case s.pending != nil:
		s.reply(ctx, messages.SocketReply{Req: m.Req, Err: fmt.Errorf("socket '%s' is being bound", s.name)})
		return
	}
	s.gen++
	if !needsLookup(m.Config) {
		t, err := resolve(context.Background(), m.Config) // no lookup: returns at once
		s.finishBind(ctx, m.Req, m.Config, t, err)
		return
	}
	// a host or service name: resolve it without blocking the actor
	s.pending = &pendingBind{req: m.Req, cfg: m.Config}
	root, self, gen, cfg := ctx.ActorSystem().Root, s.self, s.gen, m.Config
	go func() {
		c, cancel := context.WithTimeout(context.Background(), LookupTimeout)
		defer cancel()
		t, err := resolve(c, cfg)
		root.Send(self, lookedUp{gen: gen, t: t, err: err})
	}()
}

func (s *Socket) lookedUp(ctx actor.Context, m lookedUp) {
	if m.gen != s.gen || s.pending == nil {
		return // the bind was cancelled by an unbind
	}
	p := s.pending
	s.pending = nil
	s.finishBind(ctx, p.req, p.cfg, m.t, m.err)
}

// finishBind binds on t (quick syscalls) and answers.
func (s *Socket) finishBind(ctx actor.Context, req messages.RequestID, cfg messages.SocketConfig, t target, err error) {
	if err == nil {
		s.ln, err = listen(cfg, t)
	}
	if err != nil {
		err = fmt.Errorf("cannot bind '%s': %w", s.name, err)
		s.log.WithError(err).Error("socket not bound")
		s.reply(ctx, messages.SocketReply{Req: req, Err: err})
		return
	}
	s.log.Infof("'%s' socket is now bound on %s (fd %d, backlog %s, nonblocking %v)",
		s.name, cfg.Address(s.ln.Service), s.ln.File.Fd(), qsizeText(cfg.Qsize), cfg.Nonblocking)
	s.reply(ctx, messages.SocketReply{Req: req, File: s.ln.File, Service: s.ln.Service})
}

func (s *Socket) unbind(ctx actor.Context, m messages.UnbindSocket) {
	s.gen++
	if p := s.pending; p != nil {
		s.pending = nil
		s.reply(ctx, messages.SocketReply{Req: p.req, Err: fmt.Errorf("cannot bind '%s': cancelled by an unbind", s.name)})
	}
	if s.ln != nil {
		s.close()
		s.log.Infof("'%s' socket is now unbound", s.name)
	}
	s.reply(ctx, messages.SocketReply{Req: m.Req})
}

func (s *Socket) close() {
	if s.ln == nil {
		return
	}
	if err := s.ln.Close(); err != nil {
		s.log.WithError(err).Warn("closing the socket")
	}
	s.ln = nil
}

func (s *Socket) reply(ctx actor.Context, r messages.SocketReply) {
	r.Name = s.name
	ctx.Send(ctx.Parent(), r)
}

func qsizeText(n int) string {
	if n <= 0 {
		return fmt.Sprintf("max (%d)", somaxconn())
	}
	return fmt.Sprint(n)
}

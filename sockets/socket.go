package sockets

import (
	"context"
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// LookupTimeout bounds the resolution of a host or service name, and
// each lookup of a UNIX socket's user or group (nss.Timeout).
const LookupTimeout = nss.Timeout

// closed is what the goroutine closing a UNIX socket sends back: err
// from closing it, or a *PathTimeoutError.
type closed struct{ err error }

// Socket is the actor of one shared socket (socket/NAME under the
// controller): it owns the listening fd. It answers BindSocket and
// UnbindSocket with a SocketReply to its parent. Its lifecycle is the
// table transitions (lifecycle.go).
type Socket struct {
	name string
	log  logrus.FieldLogger
	self *actor.PID

	st      state
	ln      *Listener            // bound
	op      *bindOp              // binding
	closing []messages.RequestID // unbinding: the unbinds waiting for the close
}

// New returns the actor of socket name (an actor.Producer's result).
func New(name string, log logrus.FieldLogger) *Socket {
	return &Socket{name: name, log: log.WithField("socket", name)}
}

// Receive implements actor.Actor.
func (s *Socket) Receive(ctx actor.Context) {
	var ev event
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.self = ctx.Self()
		ev = evStarted
	case messages.BindSocket:
		ev = evBind
	case messages.UnbindSocket:
		ev = evUnbind
	case bindDone:
		ev = evBindDone
	case closed:
		ev = evClosed
	case identified:
		ev = evIdentified
	case *actor.Stopping:
		ev = evStopping // a safety net: the controller unbinds every socket at shutdown
	case *actor.Stopped, *actor.Restarting:
		return
	default:
		s.log.WithField("message", fmt.Sprintf("%T", m)).Warn("socket: unknown message ignored")
		return
	}
	if do := transitions[row{s.st, ev}]; do != nil {
		do(s, ctx, ctx.Message())
	}
}

// startBind binds: a TCP socket of numeric host and port at once (a few
// quick syscalls), any other off the actor (offActor).
func (s *Socket) startBind(ctx actor.Context, msg any) {
	m := msg.(messages.BindSocket)
	if !offActor(m.Config) {
		t, err := resolve(context.Background(), m.Config) // no lookup: returns at once
		var l *Listener
		if err == nil {
			l, err = listen(m.Config, t)
		}
		s.finishBind(ctx, m.Req, m.Config, l, err)
		return
	}
	op := &bindOp{req: m.Req, cfg: m.Config}
	s.st, s.op = binding, op
	root, self, timeout := ctx.ActorSystem().Root, s.self, pathTimeout
	go func() {
		l, err := bindOff(op.cfg, timeout)
		if l != nil {
			if !op.hand(l) {
				l.Close() // nobody wants it any more
				return
			}
			bindHandedOver()
		}
		root.Send(self, bindDone{op: op, err: err}) // if the actor stopped, its stop closed l
	}()
}

// bindEnded ends the bind of op: it answers it, unless an unbind
// cancelled it.
func (s *Socket) bindEnded(ctx actor.Context, msg any) {
	m := msg.(bindDone)
	if m.op != s.op {
		s.dropBind(ctx, msg)
		return
	}
	s.op = nil
	s.finishBind(ctx, m.op.req, m.op.cfg, m.op.take(), m.err)
}

// dropBind ends a bind dropped meanwhile (cancelled by an unbind): its
// listener, if it handed one, was closed then (dropOp); take closes
// whatever is left, off the actor.
func (s *Socket) dropBind(_ actor.Context, msg any) {
	if l := msg.(bindDone).op.take(); l != nil {
		go l.Close()
	}
}

// finishBind answers a bind that ended with l or err.
func (s *Socket) finishBind(ctx actor.Context, req messages.RequestID, cfg messages.SocketConfig, l *Listener, err error) {
	if err != nil {
		s.st = unbound
		err = fmt.Errorf("cannot bind '%s': %w", s.name, err)
		s.log.WithError(err).Error("socket not bound")
		s.reply(ctx, messages.SocketReply{Req: req, Err: err})
		return
	}
	s.st, s.ln = bound, l
	v6only := ""
	if cfg.IPv6Only {
		v6only = ", ipv6only"
	}
	s.log.Infof("'%s' socket is now bound on %s (fd %d, backlog %s, nonblocking %v%s)",
		s.name, cfg.Address(l.Service), l.File.Fd(), qsizeText(cfg.Qsize, l.backlog), cfg.Nonblocking, v6only)
	s.reply(ctx, messages.SocketReply{Req: req, File: l.File, Service: l.Service})
}

// refuse answers a bind that the state refuses: the socket is busy or
// bound (REFERENCE §1.7).
func refuse(why string) func(*Socket, actor.Context, any) {
	return func(s *Socket, ctx actor.Context, msg any) {
		s.reply(ctx, messages.SocketReply{Req: msg.(messages.BindSocket).Req, Err: fmt.Errorf("socket '%s' is %s", s.name, why)})
	}
}

// alreadyUnbound answers the unbind of an unbound socket: nothing to do.
func (s *Socket) alreadyUnbound(ctx actor.Context, msg any) {
	s.reply(ctx, messages.SocketReply{Req: msg.(messages.UnbindSocket).Req})
}

// cancelBind answers the bind under way, cancelled, then the unbind; the
// bind's goroutine closes what it binds, if it ever ends.
func (s *Socket) cancelBind(ctx actor.Context, msg any) {
	op := s.op
	s.dropOp()
	s.reply(ctx, messages.SocketReply{Req: op.req, Err: fmt.Errorf("cannot bind '%s': cancelled by an unbind", s.name)})
	s.alreadyUnbound(ctx, msg)
}

// unbind closes the socket.
func (s *Socket) unbind(ctx actor.Context, msg any) {
	s.startClose(ctx, []messages.RequestID{msg.(messages.UnbindSocket).Req})
}

// startClose closes the socket for the unbinds reqs: a TCP one at once, a
// UNIX one off the actor (its path is removed), reqs answered once that
// is done.
func (s *Socket) startClose(ctx actor.Context, reqs []messages.RequestID) {
	l := s.ln
	s.ln = nil
	if l.path == "" {
		s.closedNow(ctx, reqs, l.Close())
		return
	}
	s.st, s.closing = unbinding, reqs
	root, self, timeout := ctx.ActorSystem().Root, s.self, pathTimeout
	go func() {
		_, err := onPath("remove", l.path, timeout, func() (struct{}, error) { return struct{}{}, l.Close() }, nil)
		root.Send(self, closed{err: err})
	}()
}

// waitClose makes an unbind during the close, or the adoption, wait for
// it: answered with the first one, in order.
func (s *Socket) waitClose(_ actor.Context, msg any) {
	s.closing = append(s.closing, msg.(messages.UnbindSocket).Req)
}

// closeDone ends the close of a UNIX socket.
func (s *Socket) closeDone(ctx actor.Context, msg any) {
	reqs := s.closing
	s.closing = nil
	s.closedNow(ctx, reqs, msg.(closed).err)
}

// closedNow answers the unbinds reqs of the socket just closed, with err
// from its close. A path that did not answer (a hung mount) fails them:
// the socket is closed, but its file may be left behind, a stale socket
// that the next bind removes (nobody accepts on it).
func (s *Socket) closedNow(ctx actor.Context, reqs []messages.RequestID, err error) {
	s.st = unbound
	var hung *PathTimeoutError
	var replyErr error
	switch {
	case errors.As(err, &hung):
		replyErr = fmt.Errorf("socket '%s' unbound, its file perhaps left behind (the next bind removes it): %w", s.name, err)
		s.log.WithError(err).Warnf("'%s' socket is now unbound, its file perhaps left behind", s.name)
	case err != nil:
		s.log.WithError(err).Warn("closing the socket")
		fallthrough
	default:
		s.log.Infof("'%s' socket is now unbound", s.name)
	}
	for _, req := range reqs {
		s.reply(ctx, messages.SocketReply{Req: req, Err: replyErr})
	}
}

// dropOp forgets the bind under way, if any: what its goroutine handed
// already is closed off the actor, what it binds later the goroutine
// closes (bindop.go).
func (s *Socket) dropOp() {
	if s.op != nil {
		if l := s.op.take(); l != nil {
			go l.Close()
		}
		s.op, s.st = nil, unbound
	}
}

func (s *Socket) reply(ctx actor.Context, r messages.SocketReply) {
	r.Name = s.name
	ctx.Send(ctx.Parent(), r)
}

func qsizeText(n, backlog int) string {
	if n <= 0 {
		return fmt.Sprintf("max (%d)", backlog)
	}
	return fmt.Sprint(n)
}

package actors

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// StartConsole asks the controller to serve the admin protocol on
// Listener; it answers with the console's *actor.PID. Policy says who
// gets in and with what rights (REFERENCE §5.2), and bounds the
// connections; without one, every client gets admin (operate unless
// Privileged), unbounded: what tests use.
type StartConsole struct {
	Listener   net.Listener
	Privileged bool
	Policy     *ConsolePolicy
}

// DrainConsole closes the console's listener and its connections: each
// one stops reading, answers the requests it has read (the one at the
// controller when it comes, the queued ones with `cfkd is shutting down`,
// `cfkd is being upgraded in place: try again` with KeepListener),
// and closes once those replies are written (within 2 seconds); the
// console answers ConsoleDrained when every connection is closed.
// KeepListener (an upgrade in place, REFERENCE §13): the listener is not
// closed, only no longer accepted on, so that new clients wait in its
// backlog for the next cfkd; ResumeConsole accepts again.
type DrainConsole struct{ KeepListener bool }

// errUpgradeRetry answers a connection accepted as an upgrade in place
// drained the console (REFERENCE §13.3).
var errUpgradeRetry = errors.New(messages.UpgradeRetry)

// ResumeConsole makes a console drained with KeepListener accept again
// (the upgrade did not happen).
type ResumeConsole struct{}

// ConsoleDrained answers DrainConsole.
type ConsoleDrained struct{}

type connAccepted struct {
	conn net.Conn
	adm  *admission // nil without a policy
	// spare: the connection has the accept loop's spare fd, and its
	// streams are refused with this error (acceptSpare); nil for the
	// others
	spare error
}

// console is the actor of one admin listener: it accepts connections (in
// a goroutine that only turns Accept into messages) and runs one
// connection actor per client.
type console struct {
	ln         net.Listener
	privileged bool
	policy     *ConsolePolicy
	log        *logrus.Logger
	streams    connStreams
	conns      map[string]*actor.PID // by actor id
	drainedTo  []*actor.PID
	paused     bool // drained with KeepListener: not accepting until ResumeConsole
	// accepting is closed once the accept goroutine running (the last
	// one started) has returned
	accepting chan struct{}
	// closing: drained for good, the listener is closed once its backlog
	// is refused (console_backlog.go); closed: that is done
	closing, closed bool
}

// backlogRefused: the backlog of the console's listener was refused and
// the listener closed (DrainConsole).
type backlogRefused struct{}

// Receive implements actor.Actor.
func (c *console) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.conns = map[string]*actor.PID{}
		if c.policy != nil {
			c.policy.init()
		}
		c.accept(ctx)
	case connAccepted:
		if c.drainedTo != nil {
			// accepted before the drain stopped accepting: its
			// request is never read, and a bare close read as cfkd
			// lost (REFERENCE §7.4). An upgrade's listener crosses
			// the exec, but what it accepted cannot go back to its
			// backlog: its client is told to send it again (§13.3).
			why := errShuttingDown
			if c.paused {
				why = errUpgradeRetry
			}
			c.policy.refuse(m.conn, why)
			return
		}
		conn := newConnection(m.conn, c.privileged, ctx.Parent(), c.log, defaultConnLimits, c.streams)
		conn.spare = m.spare
		if m.adm != nil {
			c.admitted(conn, m.adm)
		} else if g, ok := m.conn.(*guardedConn); ok {
			g.busy = conn.io.pending // on the spare, without a policy
		}
		pid := ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return conn }))
		c.conns[pid.Id] = pid
	case *actor.Terminated:
		delete(c.conns, m.Who.Id)
		c.maybeDrained(ctx)
	case DrainConsole:
		switch {
		case m.KeepListener:
			stopAccepting(c.ln)
			c.paused = true
		case c.closing:
		case canStopAccepting(c.ln):
			// the accept goroutine returns, then what waits in the
			// backlog is refused and the listener closed (a close
			// would reset those clients), off the actor
			c.closing, c.paused = true, false
			stopAccepting(c.ln)
			go refuseBacklogOf(ctx.ActorSystem().Root, ctx.Self(), c.ln, c.policy, c.accepting)
		default:
			c.closing, c.closed, c.paused = true, true, false
			c.ln.Close()
		}
		c.drainedTo = append(c.drainedTo, ctx.Sender())
		for _, pid := range c.conns {
			ctx.Send(pid, drainConnection{upgrade: m.KeepListener})
		}
		c.maybeDrained(ctx)
	case ResumeConsole:
		if c.paused { // the connections still draining close on their own
			c.paused, c.drainedTo = false, nil
			resumeAccepting(c.ln)
			c.accept(ctx)
		}
	case backlogRefused:
		c.closed = true
		c.maybeDrained(ctx)
	case *actor.Stopping:
		c.ln.Close()
	case *actor.Stopped, *actor.Restarting:
	default:
		c.log.Warnf("console: unknown message %T ignored", m)
	}
}

// accept starts the accept goroutine.
func (c *console) accept(ctx actor.Context) {
	done := make(chan struct{})
	c.accepting = done
	root, self, ln, log, policy := ctx.ActorSystem().Root, ctx.Self(), c.ln, c.log, c.policy
	go func() {
		defer close(done)
		acceptLoop(root, self, ln, log, policy)
	}()
}

// refuseBacklogOf waits for the accept goroutine to return (accepting
// closed), refuses what waits in ln's backlog, closes ln and tells the
// console.
func refuseBacklogOf(root *actor.RootContext, self *actor.PID, ln net.Listener, policy *ConsolePolicy, accepting chan struct{}) {
	<-accepting
	RefuseBacklog(ln, policy, errShuttingDown)
	ln.Close()
	root.Send(self, backlogRefused{})
}

func (c *console) maybeDrained(ctx actor.Context) {
	if c.drainedTo == nil || len(c.conns) > 0 || c.closing && !c.closed {
		return
	}
	for _, to := range c.drainedTo {
		if to != nil {
			ctx.Send(to, ConsoleDrained{})
		}
	}
	c.drainedTo = c.drainedTo[:0]
}

// admitted gives a connection what the accept goroutine decided: its
// peer's name and rights, and the idle clock and the auth deadline of its
// guardedConn.
func (c *console) admitted(conn *connection, a *admission) {
	conn.gate, conn.peer = a.gate, a.peer
	if g, ok := conn.io.conn.(*guardedConn); ok {
		g.busy, g.judged = conn.io.pending, conn.io.judged
		log, peer, idle, authIn, io := c.log, a.peer, g.idle, c.policy.authTimeout(), conn.io
		g.onIdle = func() { log.Infof("connection %s idle for %v: closing it", peer, idle) }
		g.onAuthTimeout = func() {
			log.WithFields(logrus.Fields{"category": AuditCategory, "peer": peer}).
				Warnf("no auth within %v of connecting: closing the connection", authIn)
			io.abandon(false) // its replies due within 2 s, whether its reader reads or waits
		}
		g.armAuth()
	}
	if a.warn != "" {
		c.log.Warn(a.warn)
	}
}

// acceptLoop turns accepted connections into messages until the listener
// is closed. When cfkd has no fd left (EMFILE), it waits for a client and
// serves it on the fd it keeps in reserve (acceptSpare), one such client
// at a time, so that a full fd table neither spins the CPU nor leaves
// clients unanswered, and a `stop` that frees fds can still be run. With
// a policy, it decides here, off the actors, who gets in (the peer's
// credentials are read with getsockopt) and refuses those that do not,
// or that are one too many (REFERENCE §5.2, §5.4).
func acceptLoop(root *actor.RootContext, self *actor.PID, ln net.Listener, log *logrus.Logger, policy *ConsolePolicy) {
	spare := newAcceptSpare(log)
	defer spare.close()
	for {
		conn, err := ln.Accept()
		var onSpare error // what a stream asked on the spare is answered
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
				return // closed, or no longer accepted on (stopAccepting)
			}
			if conn = spare.failed(ln, err); conn == nil {
				continue
			}
			onSpare = fdsShortStreamError(spare.short)
		} else if spare.accepted() {
			onSpare = fdsShortStreamError(spare.short)
		}
		if policy == nil {
			if onSpare != nil {
				conn = spare.guard(conn)
			}
			root.Send(self, connAccepted{conn: conn, spare: onSpare})
			continue
		}
		g, a := admitConn(conn, log, policy)
		if g == nil {
			if onSpare != nil {
				spare.refused()
			}
			continue
		}
		if onSpare != nil {
			g.idle, g.spareBack = spareIdleOf(policy.IdleTimeout), spare.returned
		}
		root.Send(self, connAccepted{conn: g, adm: a, spare: onSpare})
	}
}

// admitConn decides whether conn gets in under policy: it refuses and
// closes it (nil), or returns the guardedConn it is served through and
// its admission.
func admitConn(conn net.Conn, log *logrus.Logger, policy *ConsolePolicy) (*guardedConn, *admission) {
	a := policy.admit(conn, log)
	unauthed := "" // the peer counted by takeUnauthed: its address, or its uid on loopback
	if a.refuse == nil && a.gate.tokens != nil {
		if key := unauthedKey(conn); policy.takeUnauthed(key) {
			unauthed = key
		} else {
			a.refuse, a.why = messages.ErrTooManyConnections, fmt.Sprintf("%d connections from %s not authenticated yet", unauthedPerAddr, key)
		}
	}
	var share *shareHold // its peer's share: taken now when its level is known, else at its auth
	if a.refuse == nil && (a.shareKey != "" || unauthed != "") {
		share = &shareHold{p: policy, key: a.shareKey, log: log, peer: a.peer}
		if unauthed != "" {
			share.key = unauthed
		} else if why := share.take(); why != "" {
			a.refuse, a.why = messages.ErrTooManyConnections, why
		}
	}
	if a.refuse == nil && !policy.take(a.kept) {
		a.refuse, a.why = messages.ErrTooManyConnections, policy.tooMany(a.kept)
		if unauthed != "" {
			policy.releaseUnauthed(unauthed)
		}
		share.give(true)
	}
	if a.refuse != nil {
		policy.logRefusal(log, a.peer, a.refuse, a.why)
		policy.refuse(conn, a.refuse)
		return nil, nil
	}
	g := &guardedConn{Conn: conn, release: policy.release, idle: policy.IdleTimeout, share: share}
	if a.gate.tokens != nil {
		g.authBy = time.Now().Add(policy.authTimeout())
		g.unauthed = func() { policy.releaseUnauthed(unauthed) }
	}
	return g, &a
}

// stopAccepting makes the accept loop of ln return without closing ln:
// an Accept under way or to come fails with a deadline.
func stopAccepting(ln net.Listener) {
	if d, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
		d.SetDeadline(time.Unix(1, 0))
	}
}

// canStopAccepting says whether stopAccepting stops the accept
// goroutine of ln.
func canStopAccepting(ln net.Listener) bool {
	_, ok := ln.(interface{ SetDeadline(time.Time) error })
	return ok
}

// resumeAccepting undoes stopAccepting.
func resumeAccepting(ln net.Listener) {
	if d, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
		d.SetDeadline(time.Time{})
	}
}

package actors

import (
	"errors"
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sirupsen/logrus"
)

// StartConsole asks the controller to serve the admin protocol on
// Listener; it answers with the console's *actor.PID. A privileged console
// may declare services; a command-only one runs `command ...` lines only.
type StartConsole struct {
	Listener   net.Listener
	Privileged bool
}

// DrainConsole closes the console's listener and its connections: each
// one stops reading, answers the requests it has read (the one at the
// controller when it comes, the queued ones with `cfkd is shutting down`),
// and closes once those replies are written (within 2 seconds); the
// console answers ConsoleDrained when every connection is closed.
type DrainConsole struct{}

// ConsoleDrained answers DrainConsole.
type ConsoleDrained struct{}

type connAccepted struct{ conn net.Conn }

// console is the actor of one admin listener: it accepts connections (in
// a goroutine that only turns Accept into messages) and runs one
// connection actor per client.
type console struct {
	ln         net.Listener
	privileged bool
	log        *logrus.Logger
	streams    connStreams
	conns      map[string]*actor.PID // by actor id
	drainedTo  []*actor.PID
}

// Receive implements actor.Actor.
func (c *console) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.conns = map[string]*actor.PID{}
		go acceptLoop(ctx.ActorSystem().Root, ctx.Self(), c.ln, c.log)
	case connAccepted:
		if c.drainedTo != nil {
			m.conn.Close()
			return
		}
		controller := ctx.Parent()
		props := actor.PropsFromProducer(func() actor.Actor {
			return newConnection(m.conn, c.privileged, controller, c.log, defaultConnLimits, c.streams)
		})
		pid := ctx.Spawn(props)
		c.conns[pid.Id] = pid
	case *actor.Terminated:
		delete(c.conns, m.Who.Id)
		c.maybeDrained(ctx)
	case DrainConsole:
		c.ln.Close()
		c.drainedTo = append(c.drainedTo, ctx.Sender())
		for _, pid := range c.conns {
			ctx.Send(pid, drainConnection{})
		}
		c.maybeDrained(ctx)
	case *actor.Stopping:
		c.ln.Close()
	case *actor.Stopped, *actor.Restarting:
	default:
		c.log.Warnf("console: unknown message %T ignored", m)
	}
}

func (c *console) maybeDrained(ctx actor.Context) {
	if c.drainedTo == nil || len(c.conns) > 0 {
		return
	}
	for _, to := range c.drainedTo {
		if to != nil {
			ctx.Send(to, ConsoleDrained{})
		}
	}
	c.drainedTo = c.drainedTo[:0]
}

// acceptLoop turns accepted connections into messages until the listener
// is closed. On a temporary error (EMFILE...) it waits a little, so that a
// full fd table does not spin the CPU.
func acceptLoop(root *actor.RootContext, self *actor.PID, ln net.Listener, log *logrus.Logger) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			log.WithError(err).Error("admin console: accept failed")
			time.Sleep(100 * time.Millisecond)
			continue
		}
		root.Send(self, connAccepted{conn: conn})
	}
}

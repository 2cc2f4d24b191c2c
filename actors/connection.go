package actors

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
	"github.com/sirupsen/logrus"
)

// RequestTimeout bounds how long a console waits for the controller's
// answer to one request (a restart waits for stopwait, so it is generous).
const RequestTimeout = 10 * time.Minute

type (
	lineReceived     struct{ line string }
	connectionClosed struct{}
	drainConnection  struct{}
)

// connection is the actor of one admin client. Its I/O goroutine reads one
// request, asks the actor, writes the reply, then reads the next: replies
// come in request order, a client that does not read blocks only its own
// goroutine, and one request at most is in flight per client.
type connection struct {
	conn       net.Conn
	privileged bool
	controller *actor.PID
	log        *logrus.Logger
	io         *connIO
	peer       string
}

// Receive implements actor.Actor.
func (c *connection) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.peer = peerName(c.conn)
		c.log.Infof("new connection to admin from %s", c.peer)
		c.io = &connIO{conn: c.conn}
		go c.io.serve(ctx.ActorSystem().Root, ctx.Self())
	case lineReceived:
		c.request(ctx, m.line)
	case drainConnection:
		c.io.drain()
	case connectionClosed:
		c.log.Infof("Console exiting (%s)", c.peer)
		ctx.Stop(ctx.Self())
	case *actor.Stopping:
		c.io.drain()
	case *actor.Stopped, *actor.Restarting:
	default:
		c.log.Warnf("connection: unknown message %T ignored", m)
	}
}

// request parses a line and forwards it to the controller, which answers
// the waiting I/O goroutine directly.
func (c *connection) request(ctx actor.Context, line string) {
	st, err := messages.Parse(line)
	switch {
	case err != nil:
		ctx.Respond(messages.ErrorReply(err))
	case st.NeedsPrivilege() && !c.privileged:
		ctx.Respond(messages.ErrorReply(messages.ErrNotAuthorized))
	default:
		ctx.RequestWithCustomSender(c.controller, st, ctx.Sender())
	}
}

// connIO is the I/O side of a connection, shared by its goroutine and its
// actor under mu: drain closes the connection at once when it is idle,
// else right after the reply in flight is written.
type connIO struct {
	conn     net.Conn
	mu       sync.Mutex
	busy     bool
	draining bool
}

func (io *connIO) serve(root *actor.RootContext, self *actor.PID) {
	defer root.Send(self, connectionClosed{})
	defer io.conn.Close()
	r := bufio.NewReader(io.conn)
	var out []byte
	for {
		line, err := protocol.ReadRequest(r)
		var reply messages.Reply
		switch {
		case errors.Is(err, protocol.ErrLineTooLong):
			reply = messages.ErrorReply(err)
		case err != nil:
			return
		case strings.EqualFold(strings.TrimSpace(line), "exit"):
			return
		}
		if !io.begin() {
			return
		}
		if err == nil {
			reply = ask(root, self, line)
		}
		out = protocol.AppendReply(out[:0], reply)
		_, werr := io.conn.Write(out)
		if !io.end() || werr != nil {
			return
		}
	}
}

func ask(root *actor.RootContext, self *actor.PID, line string) messages.Reply {
	res, err := root.RequestFuture(self, lineReceived{line: line}, RequestTimeout).Result()
	if err != nil {
		return messages.ErrorReply(fmt.Errorf("no answer: %w", err))
	}
	if r, ok := res.(messages.Reply); ok {
		return r
	}
	return messages.ErrorReply(fmt.Errorf("internal error: unexpected answer %T", res))
}

// begin marks a request in flight; false when draining.
func (io *connIO) begin() bool {
	io.mu.Lock()
	defer io.mu.Unlock()
	io.busy = !io.draining
	return io.busy
}

// end marks the reply written; false when the connection must close.
func (io *connIO) end() bool {
	io.mu.Lock()
	defer io.mu.Unlock()
	io.busy = false
	return !io.draining
}

func (io *connIO) drain() {
	io.mu.Lock()
	defer io.mu.Unlock()
	io.draining = true
	if !io.busy {
		io.conn.Close()
		return
	}
	// a client that does not read its last reply cannot hold shutdown
	io.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
}

func peerName(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil && a.String() != "" && a.String() != "@" {
		return a.Network() + ":" + a.String()
	}
	if a := c.LocalAddr(); a != nil {
		return a.Network() + ":" + a.String()
	}
	return "unknown"
}

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
	// lineReceived is a request line from the I/O goroutine, which waits
	// for its reply on reply (buffered: the actor never blocks on it).
	lineReceived struct {
		line  string
		reply chan messages.Reply
	}
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
	// pending is where the reply of the request in flight goes (one at
	// most: the I/O goroutine waits for it before reading the next line).
	// The controller answers the actor itself, not a future: a future per
	// request registers a new process id, and protoactor's registry keeps
	// a block in each of its 32,768 shard maps once it was used (+9 MiB).
	pending chan messages.Reply
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
		c.request(ctx, m)
	case messages.Reply:
		if c.pending == nil {
			c.log.Warnf("connection %s: a reply came with no request in flight: dropped", c.peer)
			return
		}
		c.pending <- m
		c.pending = nil
	case drainConnection:
		c.io.drain()
	case connectionClosed:
		c.log.Infof("Console exiting (%s)", c.peer)
		ctx.Stop(ctx.Self())
	case *actor.Stopping:
		if c.pending != nil {
			c.pending <- messages.ErrorReply(errors.New("cfkd is shutting down"))
			c.pending = nil
		}
		c.io.drain()
	case *actor.Stopped, *actor.Restarting:
	default:
		c.log.Warnf("connection: unknown message %T ignored", m)
	}
}

// request parses a line and forwards it to the controller, whose reply
// comes back to this actor for the waiting I/O goroutine.
func (c *connection) request(ctx actor.Context, m lineReceived) {
	st, err := messages.Parse(m.line)
	switch {
	case err != nil:
		m.reply <- messages.ErrorReply(err)
	case st.NeedsPrivilege() && !c.privileged:
		m.reply <- messages.ErrorReply(messages.ErrNotAuthorized)
	default:
		c.pending = m.reply
		ctx.Request(c.controller, st)
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
		answered := true
		if err == nil {
			reply, answered = ask(root, self, line)
		}
		out = protocol.AppendReply(out[:0], reply)
		_, werr := io.conn.Write(out)
		if !io.end() || werr != nil || !answered {
			// no answer in time: the late one must not be taken for the
			// next request's, so this connection ends here
			return
		}
	}
}

// ask sends a request line to the connection's actor and waits for its
// reply, RequestTimeout at most (answered false then).
func ask(root *actor.RootContext, self *actor.PID, line string) (messages.Reply, bool) {
	ch := make(chan messages.Reply, 1)
	root.Send(self, lineReceived{line: line, reply: ch})
	t := time.NewTimer(RequestTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r, true
	case <-t.C:
		return messages.ErrorReply(fmt.Errorf("no answer after %v", RequestTimeout)), false
	}
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

package actors

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/internal/printable"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/sockets"
)

// This file is the controller's side of shared sockets (REFERENCE §3): the
// declarations, bind, unbind, the listing, and the table of bound sockets
// handed to the service actors. The listening fds themselves are owned by
// the socket actors (package sockets).

// sockEntry is the controller's view of one socket.
type sockEntry struct {
	cfg  messages.SocketConfig // as declared now; a change takes effect at the next bind
	pid  *actor.PID            // the socket actor
	busy string                // "bound" or "unbound" while that is in progress

	file     *os.File              // the listening socket when bound (owned by the actor)
	boundCfg messages.SocketConfig // the declaration it was bound with
	service  string                // the real port, or the path
}

// declareSocket applies `socket NAME ATTR=VALUE`. The socket actor is
// spawned on the first mention.
func (c *Controller) declareSocket(ctx actor.Context, m messages.SetSocketAttr) messages.Reply {
	if c.shutdown != nil {
		return messages.ErrorReply(fmt.Errorf("cfkd is shutting down"))
	}
	cfg := messages.SocketConfig{Name: m.Socket}
	if e := c.sockets[m.Socket]; e != nil {
		cfg = e.cfg
	}
	cfg, err := cfg.Apply(m.Attr, m.Value)
	if err != nil {
		return messages.ErrorReply(err)
	}
	e, err := c.ensureSocket(ctx, m.Socket)
	if err != nil {
		return messages.ErrorReply(err)
	}
	e.cfg = cfg
	return messages.Reply{}
}

// ensureSocket returns socket name, spawning its actor on its first
// mention (declared with no attribute yet).
func (c *Controller) ensureSocket(ctx actor.Context, name string) (*sockEntry, error) {
	if e := c.sockets[name]; e != nil {
		return e, nil
	}
	log := c.log
	props := actor.PropsFromProducer(func() actor.Actor { return sockets.New(name, log) })
	pid, err := ctx.SpawnNamed(props, "socket/"+name)
	if err != nil {
		return nil, fmt.Errorf("socket '%s': %w", name, err)
	}
	e := &sockEntry{pid: pid, cfg: messages.SocketConfig{Name: name}}
	c.sockets[name] = e
	c.declareName(name)
	return e, nil
}

// socketsDeclared hands a service actor the names of every declared
// socket (Controller.sockNames), so that its start says a socket it
// names that is not declared so, rather than "not bound": `command
// bind` of that name would answer `unknown socket` (REFERENCE §3).
type socketsDeclared struct{ names map[string]bool }

// declareName adds name to the declared sockets and tells every service
// actor (one not spawned yet gets c.sockNames at its spawn).
func (c *Controller) declareName(name string) {
	declared := make(map[string]bool, len(c.sockNames)+1)
	for k := range c.sockNames {
		declared[k] = true
	}
	declared[name] = true
	c.sockNames = declared
	c.sendServices(socketsDeclared{names: declared})
}

// bindSocket runs `command bind NAME`: answered once the socket actor has
// bound it, after the services have the new table.
func (c *Controller) bindSocket(ctx actor.Context, name string) {
	e, err := c.socketFor(name)
	if err == nil && e.file != nil {
		err = fmt.Errorf("socket '%s' is already bound", name)
	}
	if err != nil {
		ctx.Respond(messages.ErrorReply(err))
		return
	}
	to, cfg := ctx.Sender(), e.cfg
	e.busy = "bound"
	c.askSocket(e, func(req messages.RequestID) any { return messages.BindSocket{Req: req, Config: cfg} },
		func(r messages.SocketReply) {
			e.busy = ""
			if r.Err != nil {
				c.answer(to, messages.ErrorReply(c.bindHint(name, cfg, r.Err)))
				return
			}
			e.file, e.boundCfg, e.service = r.File, cfg, r.Service
			c.publishFiles(withFile(c.files, name, r.File))
			c.socketChanged(name, "unbound", "bound", cfg.Address(r.Service))
			c.answer(to, messages.Reply{})
		})
}

// unbindSocket runs `command unbind NAME`. It is refused while a service
// that uses the socket is up (or about to be). Otherwise every service and
// every proxy (whose launch passes the proxy process every bound socket)
// gets the table without the socket and acknowledges it, and only then
// the socket actor closes the fd: no launch can use a closed, or reused,
// descriptor.
func (c *Controller) unbindSocket(ctx actor.Context, name string) {
	e, err := c.socketFor(name)
	if err == nil && e.file == nil {
		err = fmt.Errorf("socket '%s' is not bound", name)
	}
	if err == nil {
		if users := c.socketUsers(name, true); len(users) > 0 {
			err = fmt.Errorf("socket '%s' is in use by %s", name, strings.Join(users, ","))
		}
	}
	if other := c.socketBeing("bound"); err == nil && other != "" {
		// its end publishes the table of then: it must not be one
		// without this socket while the unbind may still be undone
		err = fmt.Errorf("socket '%s' is being bound: try again once it is", other)
	}
	if err != nil {
		ctx.Respond(messages.ErrorReply(err))
		return
	}
	to := ctx.Sender()
	e.busy = "unbound"
	files := withFile(c.files, name, nil)
	c.files = files
	mk := func(req messages.RequestID) any { return messages.SocketsChanged{Req: req, Files: files, Unbind: name} }
	left := 1 + len(c.proxies) // the services' gather, and each proxy
	var inUse []string         // who refused: a launch in flight, a running proxy
	acked := func() {
		if left--; left > 0 {
			return
		}
		if len(inUse) > 0 { // undone: the socket stays bound, the table as it was
			sort.Strings(inUse)
			e.busy = ""
			c.publishFiles(withFile(c.files, name, e.file))
			c.answer(to, messages.ErrorReply(fmt.Errorf("socket '%s' is in use by %s", name, strings.Join(inUse, ", "))))
			return
		}
		c.askSocket(e, func(req messages.RequestID) any { return messages.UnbindSocket{Req: req} },
			func(r messages.SocketReply) {
				e.busy, e.file, e.service = "", nil, ""
				c.socketChanged(name, "bound", "unbound", "")
				c.answer(to, messages.Reply{Err: r.Err})
			})
	}
	for _, p := range c.proxies { // a proxy's launch passes it every bound socket
		c.nextReq++
		c.sockWait[c.nextReq] = func(r messages.SocketReply) {
			if r.Err != nil {
				inUse = append(inUse, r.Err.Error())
			}
			acked()
		}
		c.sys.Root.Send(p.pid, mk(c.nextReq))
	}
	var all []*entry // the services spawned: one not yet gets c.files at its spawn
	for _, s := range c.byName() {
		if s.pid != nil {
			all = append(all, s)
		}
	}
	g := c.newGather(messages.VerbUnbind, mk, nil, nil)
	g.then = func(messages.Reply) {
		for _, n := range g.order {
			if err := g.errs[n]; err != nil {
				inUse = append(inUse, n+" ("+err.Error()+")")
			}
		}
		acked()
	}
	for _, e := range all {
		c.newStep(g, e, messages.VerbUnbind, mk, true)
	}
	c.kick(g)
}

// socketBeing names a socket whose bind or unbind (busy) is under way;
// "" when there is none. While an unbind is under way, no other bind or
// unbind begins, so that no table sent meanwhile lacks a socket that
// stays bound (the unbind may be undone).
func (c *Controller) socketBeing(busy string) string {
	for name, e := range c.sockets {
		if e.busy == busy {
			return name
		}
	}
	return ""
}

// socketFor returns the socket that bind or unbind may act on.
func (c *Controller) socketFor(name string) (*sockEntry, error) {
	e, unbinding := c.sockets[name], c.socketBeing("unbound")
	switch {
	case e == nil:
		return nil, fmt.Errorf("unknown socket '%s'", name)
	case c.shutdown != nil:
		return nil, fmt.Errorf("cfkd is shutting down")
	case e.busy != "":
		return nil, fmt.Errorf("socket '%s' is being %s", name, e.busy)
	case unbinding != "":
		return nil, fmt.Errorf("socket '%s' is being unbound: try again once it is", unbinding)
	}
	return e, nil
}

// closeSockets unbinds every socket (shutdown), then runs then.
func (c *Controller) closeSockets(then func()) {
	left := len(c.sockets)
	if left == 0 {
		then()
		return
	}
	for _, e := range c.sockets {
		e := e
		c.askSocket(e, func(req messages.RequestID) any { return messages.UnbindSocket{Req: req} },
			func(r messages.SocketReply) {
				if r.Err != nil {
					c.log.WithError(r.Err).Warnf("socket %s not closed cleanly", r.Name)
				}
				if e.file != nil {
					c.socketChanged(e.cfg.Name, "bound", "unbound", "")
				}
				e.file, e.service = nil, ""
				if left--; left == 0 {
					c.files = map[string]*os.File{}
					then()
				}
			})
	}
}

// socketChanged publishes a socket's bind or close on the event stream
// (`command events`, REFERENCE §1.6).
func (c *Controller) socketChanged(name, from, to, address string) {
	c.sys.EventStream.Publish(messages.SocketStateChanged{Name: name, From: from, To: to, Address: address, At: time.Now()})
}

// socketLines answers `command sockets`: one line per socket, by name.
func (c *Controller) socketLines() messages.Reply {
	names := make([]string, 0, len(c.sockets))
	for n := range c.sockets {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := make([]string, 0, len(names))
	for _, n := range names {
		e := c.sockets[n]
		cfg, service := e.cfg, e.cfg.Service
		if e.file != nil {
			cfg, service = e.boundCfg, e.service
		}
		// a path quoted: its control bytes \xNN (lines.go)
		lines = append(lines, printable.Line(messages.SocketLine{Name: cfg.Name, Host: cfg.Host, Service: service,
			Bound: e.file != nil, Services: c.socketUsers(n, false),
			User: cfg.User, Group: cfg.Group, Mode: cfg.Mode}.Format()))
	}
	return messages.Reply{Lines: lines}
}

// socketUsers lists the services that use socket name, by name: those
// declared with it, and an up one whose run was launched with it,
// declared since without it (a run of a former declaration: its process
// holds the socket). active: only those that are up, in backoff, or have
// a start in flight.
func (c *Controller) socketUsers(name string, active bool) []string {
	var out []string
	for _, e := range c.selectServices(messages.Selector{Kind: messages.SelectAll}) {
		if e.rt.State.IsUp() && e.run != nil && e.run.UsesSocket(name) {
			out = append(out, e.cfg.Name)
			continue
		}
		if !e.cfg.UsesSocket(name) {
			continue
		}
		if active && !e.rt.State.IsUp() && e.rt.State != messages.Backoff && !c.startPending(e.cfg.Name) {
			continue
		}
		out = append(out, e.cfg.Name)
	}
	return out
}

// startPending reports whether a request that may start service name is
// still waiting for its reply: name asked already, or a step of it not
// asked yet (a start waiting for what its service requires).
func (c *Controller) startPending(name string) bool {
	stepOf := func(g *gather) bool {
		for _, st := range g.all {
			if !st.decided && st.e.cfg.Name == name && st.verb != messages.VerbStop && st.verb != messages.VerbDown {
				return true
			}
		}
		return false
	}
	var seen map[*gather]bool // a gather is pending under each of its requests: its steps are looked at once
	for req, g := range c.pending {
		if !startsServices(g.verb) {
			continue
		}
		if g.names[req] == name {
			return true
		}
		if seen[g] {
			continue
		}
		if seen == nil {
			seen = map[*gather]bool{}
		}
		seen[g] = true
		if stepOf(g) {
			return true
		}
	}
	for _, p := range c.parked { // a step parked leaves its gather nothing in flight (rerun.go)
		if startsServices(p.g.verb) && stepOf(p.g) {
			return true
		}
	}
	return false
}

// publishFiles makes files the table of bound sockets and sends it to
// every service actor (no acknowledgement wanted: a socket was added).
func (c *Controller) publishFiles(files map[string]*os.File) {
	c.files = files
	c.sendProxies(messages.SocketsChanged{Files: files})
	c.sendServices(messages.SocketsChanged{Files: files}) // one not spawned yet gets c.files at its spawn
}

// askSocket sends a request to a socket actor; then runs on its reply.
func (c *Controller) askSocket(e *sockEntry, msg func(messages.RequestID) any, then func(messages.SocketReply)) {
	c.nextReq++
	req := c.nextReq
	c.sockWait[req] = then
	c.sys.Root.Send(e.pid, msg(req))
}

func (c *Controller) onSocketReply(r messages.SocketReply) {
	then := c.sockWait[r.Req]
	if then == nil {
		return
	}
	delete(c.sockWait, r.Req)
	then(r)
}

// answer sends a reply to a requester (nil: an internal request).
func (c *Controller) answer(to *actor.PID, r messages.Reply) {
	if to != nil {
		c.sys.Root.Send(to, r)
	}
}

// withFile returns a copy of files with name set to f (removed when nil).
func withFile(files map[string]*os.File, name string, f *os.File) map[string]*os.File {
	out := make(map[string]*os.File, len(files)+1)
	for k, v := range files {
		out[k] = v
	}
	if f != nil {
		out[name] = f
	} else {
		delete(out, name)
	}
	return out
}

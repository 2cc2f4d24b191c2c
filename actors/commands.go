package actors

import (
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// command runs a `command VERB ...` line. Every path answers exactly once.
func (c *Controller) command(ctx actor.Context, m messages.ControlCommand) {
	switch m.Verb {
	case messages.VerbStatus, messages.VerbDesc, messages.VerbPids, messages.VerbInspect:
		ctx.Respond(c.query(m))
	case messages.VerbList:
		var lines []string
		for _, e := range c.selectServices(messages.Selector{Kind: messages.SelectAll}) {
			lines = append(lines, e.cfg.Name)
		}
		ctx.Respond(messages.Reply{Lines: lines})
	case messages.VerbVersion:
		ctx.Respond(messages.Reply{Lines: []string{c.opts.Version}})
	case messages.VerbUpgraded:
		line := NoUpgrade
		if c.opts.Upgraded != nil {
			line = c.opts.Upgraded()
		}
		ctx.Respond(messages.Reply{Lines: []string{line}})
	case messages.VerbProxyStatus:
		ctx.Respond(c.proxyLines())
	case messages.VerbProxyUp, messages.VerbProxyDown:
		c.proxyCommand(ctx, m)
	case messages.VerbBind:
		c.bindSocket(ctx, m.Arg)
	case messages.VerbUnbind:
		c.unbindSocket(ctx, m.Arg)
	case messages.VerbSockets:
		ctx.Respond(c.socketLines())
	case messages.VerbShutdown:
		c.beginShutdown(ctx)
	case messages.VerbTail, messages.VerbEvents:
		if m.Streams() {
			// a config file, or a caller of Tree.Exec: nothing to stream to
			ctx.Respond(messages.ErrorReply(messages.StreamsOnlyAdmin(m.Verb)))
			return
		}
		if err := c.streamCheck(m); err != nil {
			ctx.Respond(messages.ErrorReply(err))
			return
		}
		var lines []string
		for _, l := range c.opts.tail.Last(m.Arg, m.Lines) {
			lines = append(lines, string(l))
		}
		ctx.Respond(messages.Reply{Lines: lines})
	default:
		c.serviceVerb(ctx, m) // the multi-service verbs, or unknown command
	}
}

// IsServiceVerb reports whether v is a verb that acts on the services a
// selector names, answered by the "done N" rule (REFERENCE §1.4).
func IsServiceVerb(v messages.Verb) bool {
	_, ok := serviceMessages[v]
	return ok
}

// serviceMessages maps each multi-service verb to the message every
// selected service gets. It is the only source of those messages for a
// verb: a verb that is not here has none (serviceMessage answers ok=false)
// and is answered `unknown command`, so no verb can fall through to a
// destroy.
var serviceMessages = map[messages.Verb]func(messages.ControlCommand, messages.RequestID) any{
	messages.VerbStart: func(_ messages.ControlCommand, r messages.RequestID) any { return messages.StartService{Req: r} },
	messages.VerbStop:  func(_ messages.ControlCommand, r messages.RequestID) any { return messages.StopService{Req: r} },
	messages.VerbUp:    func(_ messages.ControlCommand, r messages.RequestID) any { return messages.UpService{Req: r} },
	messages.VerbDown:  func(_ messages.ControlCommand, r messages.RequestID) any { return messages.DownService{Req: r} },
	messages.VerbRestart: func(_ messages.ControlCommand, r messages.RequestID) any {
		return messages.RestartService{Req: r}
	},
	messages.VerbRollingRestart: func(_ messages.ControlCommand, r messages.RequestID) any {
		return messages.RestartService{Req: r, UntilRunning: true}
	},
	messages.VerbDestroy: func(_ messages.ControlCommand, r messages.RequestID) any { return messages.DestroyService{Req: r} },
	// the parser checked the signal's name
	messages.VerbSignal: func(m messages.ControlCommand, r messages.RequestID) any {
		sig, _ := messages.ParseSignal(m.Arg)
		return messages.SignalService{Req: r, Sig: sig}
	},
}

// serviceMessage returns the constructor of the message a multi-service
// verb sends to each selected service; ok is false for any other verb.
func serviceMessage(m messages.ControlCommand) (mk func(messages.RequestID) any, ok bool) {
	f, ok := serviceMessages[m.Verb]
	if !ok {
		return nil, false
	}
	return func(r messages.RequestID) any { return f(m, r) }, true
}

// serviceVerb fans a start/stop/up/down/restart/destroy out to the
// services its selectors select, in one gather; a verb without a service
// message is an unknown command.
func (c *Controller) serviceVerb(ctx actor.Context, m messages.ControlCommand) {
	mk, ok := serviceMessage(m)
	if !ok {
		ctx.Respond(messages.ErrorReply(fmt.Errorf("unknown command '%s'", m.Verb)))
		return
	}
	targets := c.selectEach(m.Selectors())
	if len(targets) == 0 {
		ctx.Respond(messages.ErrorReply(messages.ErrNoService))
		return
	}
	if c.shutdown != nil && m.Verb != messages.VerbStop && m.Verb != messages.VerbDown {
		ctx.Respond(messages.ErrorReply(fmt.Errorf("cfkd is shutting down")))
		return
	}
	c.fanOut(m.Verb, mk, ctx.Sender(), targets, nil)
}

// selectEach is what several selectors of one request select (REFERENCE
// §1.4): each service once, in name order, so that the plan orders them
// by what they require whatever the order of the selectors (`stop
// service db service app` stops app, then db, each answered for itself,
// as `stop service app service db` does). When one of them selects
// nothing, it is nothing: the request is refused whole, as each of its
// selectors alone would be.
func (c *Controller) selectEach(sels []messages.Selector) []*entry {
	if len(sels) == 1 {
		return c.selectServices(sels[0])
	}
	picked := map[*entry]bool{}
	for _, sel := range sels {
		got := c.selectServices(sel)
		if len(got) == 0 {
			return nil
		}
		for _, e := range got {
			picked[e] = true
		}
	}
	var out []*entry
	for _, e := range c.byName() {
		if picked[e] {
			out = append(out, e)
		}
	}
	return out
}

// streamRequest is a connection asking whether it may turn into the stream
// of cmd (`command events`, `command tail NAME follow`, REFERENCE §1.5):
// the controller answers an empty OK, or the error, and the connection
// subscribes on OK.
type streamRequest struct{ cmd messages.ControlCommand }

// streamCheck says whether events or tail may run: a service named (by
// `service NAME` or by tail) must exist, as for status (REFERENCE §1.4).
func (c *Controller) streamCheck(m messages.ControlCommand) error {
	name := m.Arg
	if m.Verb == messages.VerbEvents {
		if m.Sel.Kind != messages.SelectService {
			return nil
		}
		name = m.Sel.Name
	}
	if c.services[name] == nil {
		return messages.ErrNoService
	}
	return nil
}

// haltService is the message of a shutdown to every service.
func haltService(r messages.RequestID) any { return messages.HaltService{Req: r} }

// query answers status, desc, pids and inspect from the controller's own
// view. Without a selector they cover all services. An unknown service
// name is an error; a tag (or all) that matches nothing is an empty OK.
func (c *Controller) query(m messages.ControlCommand) messages.Reply {
	sel := m.Sel
	if sel.Kind == messages.SelectNone {
		sel.Kind = messages.SelectAll
	}
	if m.Verb == messages.VerbStatus && sel.Kind == messages.SelectAll {
		return messages.Reply{Lines: c.statusOfAll()}
	}
	targets := c.selectServices(sel)
	// A name is a reference to one service, which must exist: a name that
	// matches nothing is a mistake worth an error. A tag is a set, which
	// may be empty (never used, or emptied by a retag or a destroy): the
	// original answered its status with an empty OK, and scripts polling
	// a tag that is momentarily empty rely on it (REFERENCE §1.4, §1.5).
	// The multi-service verbs (serviceVerb) still refuse an empty tag.
	if len(targets) == 0 && sel.Kind == messages.SelectService {
		return messages.ErrorReply(messages.ErrNoService)
	}
	lines := make([]string, 0, len(targets))
	var waits map[*entry][]string
	if m.Verb == messages.VerbInspect {
		waits = c.startWaits()
	}
	for _, e := range targets {
		switch m.Verb {
		case messages.VerbStatus:
			lines = append(lines, c.statusLine(e))
		case messages.VerbDesc:
			lines = append(lines, descLine(e))
		case messages.VerbInspect:
			lines = append(lines, c.infoOf(e, waits).Format())
		default:
			lines = append(lines, c.pidsOf(e).Format())
		}
	}
	return messages.Reply{Lines: lines}
}

// ErrAlreadyShuttingDown is the answer to a shutdown asked while one runs.
var ErrAlreadyShuttingDown = errors.New("cfkd is already shutting down")

// beginShutdown brings every service down, then closes every socket
// (removing the paths of UNIX ones), answers, and publishes
// ShutdownCompleted. New starts, binds and declarations are refused
// meanwhile.
func (c *Controller) beginShutdown(ctx actor.Context) {
	if c.shutdown != nil {
		ctx.Respond(messages.ErrorReply(ErrAlreadyShuttingDown))
		return
	}
	c.log.Info("shutting down: bringing every service down")
	// the starts not forked yet are not: each would be stopped as soon as
	// it ran (REFERENCE §7.4); their services end stopped, the halt
	// below finding them down
	if ls, ok := c.opts.Launcher.(LaunchStopper); ok {
		ls.StopLaunching()
	}
	all := c.selectServices(messages.Selector{Kind: messages.SelectAll})
	sys, to := ctx.ActorSystem(), ctx.Sender()
	c.shutdown = c.fanOut(messages.VerbShutdown, haltService, nil, all,
		func(r messages.Reply) {
			// each such start logged its own record, in its service's
			// category; this one line says how many (REFERENCE §7.4)
			if n := c.opts.notStarted.Load(); n == 1 {
				c.log.Info("shutdown: 1 start not forked")
			} else if n > 1 {
				c.log.Infof("shutdown: %d starts not forked", n)
			}
			c.log.Info("every service is down: shutting the proxies down")
			c.haltProxies(func() {
				c.log.Info("every proxy is down: closing the sockets")
				c.closeSockets(func() {
					c.log.Info("shutdown complete: every service is down, every socket closed")
					c.answer(to, r)
					sys.EventStream.Publish(messages.ShutdownCompleted{})
				})
			})
		})
}

package actors

import (
	"fmt"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// command runs a `command VERB ...` line. Every path answers exactly once.
func (c *Controller) command(ctx actor.Context, m messages.ControlCommand) {
	switch m.Verb {
	case messages.VerbStart, messages.VerbStop, messages.VerbUp, messages.VerbDown,
		messages.VerbRestart, messages.VerbDestroy, messages.VerbRollingRestart:
		c.serviceVerb(ctx, m)
	case messages.VerbStatus, messages.VerbDesc, messages.VerbPids:
		ctx.Respond(c.query(m))
	case messages.VerbList:
		var lines []string
		for _, e := range c.selectServices(messages.Selector{Kind: messages.SelectAll}) {
			lines = append(lines, e.cfg.Name)
		}
		ctx.Respond(messages.Reply{Lines: lines})
	case messages.VerbVersion:
		ctx.Respond(messages.Reply{Lines: []string{c.opts.Version}})
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
	default:
		ctx.Respond(messages.ErrorReply(fmt.Errorf("unknown command '%s'", m.Verb)))
	}
}

// serviceVerb fans a start/stop/up/down/restart/destroy out to the selected
// services.
func (c *Controller) serviceVerb(ctx actor.Context, m messages.ControlCommand) {
	targets := c.selectServices(m.Sel)
	if len(targets) == 0 {
		ctx.Respond(messages.ErrorReply(messages.ErrNoService))
		return
	}
	if c.shutdown != nil && m.Verb != messages.VerbStop && m.Verb != messages.VerbDown {
		ctx.Respond(messages.ErrorReply(fmt.Errorf("cfkd is shutting down")))
		return
	}
	c.fanOut(m.Verb, ctx.Sender(), targets, nil)
}

func verbMessage(v messages.Verb) func(messages.RequestID) any {
	return func(r messages.RequestID) any {
		switch v {
		case messages.VerbStart:
			return messages.StartService{Req: r}
		case messages.VerbStop:
			return messages.StopService{Req: r}
		case messages.VerbUp:
			return messages.UpService{Req: r}
		case messages.VerbDown:
			return messages.DownService{Req: r}
		case messages.VerbRestart:
			return messages.RestartService{Req: r}
		case messages.VerbRollingRestart:
			return messages.RestartService{Req: r, UntilRunning: true}
		case messages.VerbShutdown:
			return messages.HaltService{Req: r}
		default:
			return messages.DestroyService{Req: r}
		}
	}
}

// query answers status, desc and pids from the controller's own view.
// Without a selector they cover all services; a selector that matches
// nothing is an error.
func (c *Controller) query(m messages.ControlCommand) messages.Reply {
	sel := m.Sel
	if sel.Kind == messages.SelectNone {
		sel.Kind = messages.SelectAll
	}
	targets := c.selectServices(sel)
	if len(targets) == 0 && sel.Kind != messages.SelectAll {
		return messages.ErrorReply(messages.ErrNoService)
	}
	lines := make([]string, 0, len(targets))
	for _, e := range targets {
		switch m.Verb {
		case messages.VerbStatus:
			lines = append(lines, c.statusLine(e))
		case messages.VerbDesc:
			lines = append(lines, descLine(e))
		default:
			lines = append(lines, c.pidsLine(e))
		}
	}
	return messages.Reply{Lines: lines}
}

// beginShutdown brings every service down, then closes every socket
// (removing the paths of UNIX ones), answers, and publishes
// ShutdownCompleted. New starts, binds and declarations are refused
// meanwhile.
func (c *Controller) beginShutdown(ctx actor.Context) {
	if c.shutdown != nil {
		ctx.Respond(messages.ErrorReply(fmt.Errorf("cfkd is already shutting down")))
		return
	}
	c.log.Info("shutting down: bringing every service down")
	all := c.selectServices(messages.Selector{Kind: messages.SelectAll})
	sys, to := ctx.ActorSystem(), ctx.Sender()
	c.shutdown = c.fanOut(messages.VerbShutdown, nil, all,
		func(r messages.Reply) {
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

// statusLine is the status line of REFERENCE §1.6, built once per change.
func (c *Controller) statusLine(e *entry) string {
	if e.status == "" {
		rt := e.rt
		e.status = strings.Join([]string{
			e.cfg.Name, rt.State.String(), itoa(rt.Pid), epoch(rt.StartTime), epoch(rt.StopTime),
			c.proxyColumn(e), rt.FailReason, rt.RunningCmd,
		}, "\t")
	}
	return e.status
}

func descLine(e *entry) string {
	return strings.Join([]string{e.cfg.Name, e.cfg.TagsText(), e.cfg.Desc, e.cfg.Proxy, e.cfg.CmdText()}, "\t")
}

// pidsLine: `NAME: PID`, or `NAME: PROXYPID, PID` under a proxy.
func (c *Controller) pidsLine(e *entry) string {
	if p := c.proxies[e.cfg.Proxy]; e.cfg.Proxy != "" && p != nil {
		return e.cfg.Name + ": " + itoa(p.procPid) + ", " + itoa(e.rt.Pid)
	}
	return e.cfg.Name + ": " + itoa(e.rt.Pid)
}

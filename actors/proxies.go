package actors

import (
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// This file is the controller's side of proxies (REFERENCE §1.3, §4): the
// declarations, proxystatus, proxyup, proxydown, the routing of the
// services' messages to their proxy, and the proxies' part in shutdown.
// The proxy processes themselves are owned by the proxy actors (proxy.go).

// proxyEntry is the controller's view of one proxy.
type proxyEntry struct {
	cfg     messages.ProxyConfig
	pid     *actor.PID // the proxy actor
	running bool
	procPid int
	run     *messages.ProxyConfig // what its process was launched with, while it runs
	sockets map[string]bool       // the sockets its process got at its launch, while it runs
}

// runsFormer reports whether the proxy's process was launched from a
// declaration other than its current one, in what makes the process (cmd,
// add_env): its change takes effect at its next run (REFERENCE §1.3).
func (e *proxyEntry) runsFormer() bool {
	return e.running && e.run != nil && messages.ProxyRunChanged(*e.run, e.cfg)
}

// declareProxy applies `proxy NAME ATTR=VALUE`.
func (c *Controller) declareProxy(ctx actor.Context, m messages.SetProxyAttr) messages.Reply {
	if c.shutdown != nil {
		return messages.ErrorReply(fmt.Errorf("cfkd is shutting down"))
	}
	e, err := c.ensureProxy(ctx, m.Proxy)
	if err != nil {
		return messages.ErrorReply(err)
	}
	cfg, err := e.cfg.Apply(m.Attr, m.Value)
	if err != nil {
		return messages.ErrorReply(err)
	}
	e.cfg = cfg
	ctx.Send(e.pid, configureProxy{cfg: cfg})
	return messages.Reply{}
}

// ensureProxy returns proxy name, declaring it (with its defaults) on its
// first mention.
func (c *Controller) ensureProxy(ctx actor.Context, name string) (*proxyEntry, error) {
	if e := c.proxies[name]; e != nil {
		return e, nil
	}
	cfg, opts, files := messages.NewProxyConfig(name), c.opts, c.files
	props := actor.PropsFromProducer(func() actor.Actor { return newProxy(opts, cfg, files) })
	pid, err := ctx.SpawnNamed(props, "proxy/"+name)
	if err != nil {
		return nil, fmt.Errorf("proxy '%s': %w", name, err)
	}
	e := &proxyEntry{cfg: cfg, pid: pid}
	c.proxies[name] = e
	return e, nil
}

// routeToProxy forwards a service's message to its proxy actor. A start
// that a service asks of a proxy whose proxydown it has not answered yet
// (entry.proxyDowns) was launched before the proxydown, its env_file read
// or user looked up by the time the proxydown reached the service: it is
// not sent, but cancelled, as the proxydown's launch cancelled would have
// (REFERENCE §4.5): none runs the proxy again.
func (c *Controller) routeToProxy(ctx actor.Context, m toProxy) {
	if r, ok := m.msg.(proxyStartRequest); ok {
		if s := c.services[r.cfg.Name]; s != nil && slices.Contains(s.proxyDowns, m.proxy) {
			ctx.Send(r.svc, proxyStartRefused{attempt: r.attempt, err: errProxyShutDown(m.proxy), why: refusedDownCame})
			return
		}
	}
	if e := c.proxies[m.proxy]; e != nil {
		ctx.Send(e.pid, m.msg)
		return
	}
	switch r := m.msg.(type) { // cannot happen: declared with the service
	case proxyStartRequest:
		ctx.Send(r.svc, proxyStartRefused{attempt: r.attempt, err: messages.ErrNoProxy})
	case proxyStopRequest:
		if r.svc != nil { // its stop waits for it
			ctx.Send(r.svc, proxyStopHeard{attempt: r.attempt})
		}
	}
}

func (c *Controller) onProxyUpdated(m proxyUpdated) {
	e := c.proxies[m.name]
	if e == nil {
		return
	}
	e.running, e.procPid, e.run, e.sockets = m.running, m.pid, m.run, m.sockets
	for _, s := range c.services {
		if s.cfg.Proxy == m.name {
			s.status = "" // the proxy column changes
		}
	}
}

// startRefusal is why a start of service e is refused at once: it is
// being destroyed (REFERENCE §2.5), or its proxy is down and noauto, or
// cannot run (§4.5), or, for the restart of a process, its proxy runs
// without its tie_stdin_to socket, bound since its launch (§3). Nil
// otherwise (the proxy actor still has the last word).
func (c *Controller) startRefusal(verb messages.Verb, e *entry) error {
	switch verb {
	case messages.VerbStart, messages.VerbUp, messages.VerbRestart, messages.VerbRollingRestart:
	default:
		return nil
	}
	if e.destroying { // from the destroy's start (REFERENCE §2.5)
		return fmt.Errorf("Service '%s' is being destroyed", e.cfg.Name)
	}
	p := c.proxies[e.cfg.Proxy]
	// an up service's up starts nothing; its restart stops it, then
	// starts it under its proxy of now, which it was moved to if that one
	// does not run: refused first, its process kept (REFERENCE §1.4)
	if p == nil || (verb == messages.VerbUp && e.rt.State.IsUp()) {
		return nil
	}
	if p.running {
		// nor can it start under a proxy whose process does not hold
		// its socket: the proxy would refuse the start once the process
		// is stopped (a socket not bound at all is the service's own
		// check's, §2.7)
		restart := verb == messages.VerbRestart || verb == messages.VerbRollingRestart
		if tie := e.cfg.TieStdinTo; restart && (e.rt.State == messages.Starting || e.rt.State == messages.Running) &&
			tie != "" && c.files[tie] != nil && !p.sockets[tie] {
			return fmt.Errorf("Service '%s' cannot start: %w", e.cfg.Name, boundAfterProxy(tie, p.cfg.Name))
		}
		return nil
	}
	switch {
	case p.cfg.NoAuto:
		return fmt.Errorf("Proxy is not running, not starting service '%s'", e.cfg.Name)
	case !p.cfg.HasCmd():
		return fmt.Errorf("Proxy '%s' can't run: no command", p.cfg.Name)
	}
	return nil
}

// launchedProxy is the proxy the restart of service e would run: its
// proxy when it does not run (auto, with a command: startRefusal refuses
// the others) and e is starting or running. Its restart checks that
// launch, off the actor, before it stops the process (REFERENCE §1.4).
func (c *Controller) launchedProxy(verb messages.Verb, e *entry) *messages.ProxyConfig {
	if verb != messages.VerbRestart && verb != messages.VerbRollingRestart {
		return nil
	}
	p := c.proxies[e.cfg.Proxy]
	if p == nil || p.running || (e.rt.State != messages.Starting && e.rt.State != messages.Running) {
		return nil
	}
	cfg := p.cfg
	return &cfg
}

// proxyCommand runs proxyup and proxydown.
func (c *Controller) proxyCommand(ctx actor.Context, m messages.ControlCommand) {
	e := c.proxies[m.Arg]
	switch {
	case e == nil:
		ctx.Respond(messages.ErrorReply(messages.ErrNoProxy))
	case c.shutdown != nil && m.Verb == messages.VerbProxyUp:
		ctx.Respond(messages.ErrorReply(fmt.Errorf("cfkd is shutting down")))
	case m.Verb == messages.VerbProxyUp && !e.cfg.HasCmd():
		ctx.Respond(messages.ErrorReply(fmt.Errorf("Proxy '%s' can't run: no command", e.cfg.Name)))
	case m.Verb == messages.VerbProxyUp:
		ctx.Send(e.pid, proxyUp{to: ctx.Sender()})
	default:
		// the proxy's actor stops those up under it. The services under
		// it that wait in backoff are stopped too: their next start would
		// run it again (REFERENCE §4.5). Those the controller sees run
		// under it are stopped from here too, as a request of its own:
		// until they answer, a restart of what they require takes none of
		// them along (stopsSent), whose `stopping` may be still on its
		// way (REFERENCE §2.8); sent after the proxyDown, the stop each
		// then asks of the proxy finds it stopping. As a stop, it cancels
		// the starts other requests planned and have not asked of those,
		// and of those whose start would run the proxy again (declared
		// under it; a service down, waiting for what it requires to run):
		// they came before it (REFERENCE §2.8, §4.5); the starts that come
		// after it wait for its end. And a launch under way of those
		// declared under it, whose start has not reached the proxy, is
		// cancelled: it came before (REFERENCE §4.5). Those are told
		// before the proxy actor, which answers the proxydown: a read
		// or a check that ends after the answer (an exit after it) is
		// queued behind the proxyDownCancel in the service's mailbox.
		// Told after it, a proxy that does not run would answer at once,
		// and a lookup ending then could reach the service first: its
		// start would go on and be answered done.
		var up, told []*entry
		down := map[*entry]*step{}
		for _, s := range c.byName() {
			runs := s.launched() && s.run != nil && s.run.Proxy == m.Arg
			if s.cfg.Proxy == m.Arg && s.pid != nil {
				if s.rt.State == messages.Backoff {
					ctx.Send(s.pid, messages.StopService{})
				}
				told = append(told, s)
			}
			if runs {
				up = append(up, s)
			}
			if runs || s.cfg.Proxy == m.Arg {
				down[s] = nil
			}
		}
		for _, s := range told {
			ctx.Send(s.pid, proxyDownCancel{proxy: m.Arg})
			s.proxyDowns = append(s.proxyDowns, m.Arg)
		}
		ctx.Send(e.pid, proxyDown{to: ctx.Sender()})
		if len(up) > 0 {
			c.gatherOn(messages.VerbStop, verbMessage(messages.VerbStop), nil, up, nil)
		}
		c.cancelStartsOf(nil, down)
	}
}

// errProxyShutDown is why a start launched before a proxydown of its
// proxy was not started (REFERENCE §4.5).
func errProxyShutDown(proxy string) error { return fmt.Errorf("proxy '%s' was shut down", proxy) }

// proxyLines answers proxystatus: `NAME\tup|down\tPID` per proxy, by name.
func (c *Controller) proxyLines() messages.Reply {
	names := make([]string, 0, len(c.proxies))
	for n := range c.proxies {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := make([]string, 0, len(names))
	for _, n := range names {
		e, state := c.proxies[n], "down"
		if e.running {
			state = "up"
		}
		lines = append(lines, n+"\t"+state+"\t"+itoa(e.procPid))
	}
	return messages.Reply{Lines: lines}
}

// proxyDown reports whether service e has a proxy that does not run: its
// status line shows the proxy `NAME!` (REFERENCE §1.6).
func (c *Controller) proxyDown(e *entry) bool {
	name := e.cfg.Proxy
	p := c.proxies[name]
	return name != "" && (p == nil || !p.running)
}

// haltProxies shuts every proxy down for good (shutdown), then runs then.
func (c *Controller) haltProxies(then func()) {
	c.haltLeft = len(c.proxies)
	c.haltThen = then
	if c.haltLeft == 0 {
		c.haltThen = nil
		then()
		return
	}
	for _, e := range c.proxies {
		c.sys.Root.Send(e.pid, proxyDown{halt: true})
	}
}

func (c *Controller) onProxyHalted() {
	if c.haltThen == nil {
		return
	}
	if c.haltLeft--; c.haltLeft == 0 {
		then := c.haltThen
		c.haltThen = nil
		then()
	}
}

// sendProxies sends msg to every proxy actor.
func (c *Controller) sendProxies(msg any) {
	for _, e := range c.proxies {
		c.sys.Root.Send(e.pid, msg)
	}
}

// sendServices sends msg to every service actor spawned (one spawned
// later is given what msg says at its spawn: servicePID).
func (c *Controller) sendServices(msg any) {
	for _, e := range c.services {
		if e.pid != nil {
			c.sys.Root.Send(e.pid, msg)
		}
	}
}

// proxyOfRun is the actor of the proxy that ran service e's last process,
// nil when a direct one did (or none ran, or that proxy is not declared).
func (c *Controller) proxyOfRun(e *entry) *actor.PID {
	if e.run == nil || e.run.Proxy == "" {
		return nil
	}
	if p := c.proxies[e.run.Proxy]; p != nil {
		return p.pid
	}
	return nil
}

// boundAfterProxy is why a service tied to socket tie cannot start under
// proxy, whose running process got no such socket at its launch
// (REFERENCE §3).
func boundAfterProxy(tie, proxy string) error {
	return fmt.Errorf("socket '%s' was bound after proxy '%s' started, whose process does not have it: proxydown and proxyup it", tie, proxy)
}

// socketNames is the set of the names of a proxy's run's sockets.
func socketNames(files map[string]*os.File) map[string]bool {
	names := make(map[string]bool, len(files))
	for n := range files {
		names[n] = true
	}
	return names
}

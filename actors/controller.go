package actors

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// LookupService asks the controller for a service actor's PID (nil when
// unknown). For tests and tools that talk to one service directly.
type LookupService struct{ Name string }

// entry is the controller's view of one service.
type entry struct {
	pid *actor.PID // nil until the service gets a message (servicePID)
	// cfg is shared with the service's actor, which got the same pointer
	// (servicePID, ConfigureService): never changed, replaced.
	cfg        *messages.ServiceConfig
	rt         messages.ServiceRuntime
	run        *messages.ServiceConfig // the declaration its run was launched with (ServiceUpdated.Run)
	destroying bool
	status     string // the status line, cached; "" once cfg or rt changed
	env        envOwn // its add_env list, appended to (envappend.go)
	tailGen    uint64 // its declaration in the Tail (Tail.declare)
	// proxyDowns: the proxies whose proxydown its actor was told of
	// (proxyDownCancel) and has not answered yet: a start it asks of one
	// of them meanwhile was launched before the proxydown, and is not
	// sent (REFERENCE §4.5, routeToProxy)
	proxyDowns []string
}

// setConfig and setRuntime are the only writers of cfg and rt: they drop
// the cached status line, so a status of N services builds only the
// lines of the services that changed (and little garbage).
func (e *entry) setConfig(c *messages.ServiceConfig)  { e.cfg, e.status = c, "" }
func (e *entry) setRuntime(r messages.ServiceRuntime) { e.rt, e.status = r, "" }

// setConfig declares cfg as e's, and tells the event hub its tags: a
// `tag` stream takes cfkd's records that name the service (REFERENCE
// §1.4).
func (c *Controller) setConfig(e *entry, cfg *messages.ServiceConfig) {
	if e.cfg != nil {
		c.countRequires(e.cfg.Requires, -1)
	}
	c.countRequires(cfg.Requires, 1)
	e.setConfig(cfg)
	if c.opts.hub != nil {
		c.opts.hub.declared(cfg.Name, cfg.Tags)
	}
}

// runsFormer says whether e is up (starting or running) with a run
// launched from a declaration other than its current one, in what a
// restart would change (not desc, tags nor requires, nor what acts on
// nothing in either, messages.ActingAttrs): a restart of it
// was refused, or it was declared anew since and not restarted. An
// apply restarts it (REFERENCE §1.4).
func (e *entry) runsFormer() bool {
	if e.run == nil || e.run == e.cfg || !e.launched() {
		return false
	}
	return messages.ServiceRunChanged(*e.run, *e.cfg)
}

// launched says whether e has a run: starting or running, once launched.
// A launch under way shows starting too (Launching), and has none yet:
// it forks the declaration of its lookup's end, an apply has nothing to
// restart, a restart of what it requires nothing to take along (its
// restart would wait for a lookup that may never end).
func (e *entry) launched() bool {
	st := e.rt.State
	return (st == messages.Starting || st == messages.Running) && !e.rt.Launching
}

// doneOneShot says whether e is a oneshot whose job is done (REFERENCE
// §2.10): stopped by its clean exit, and declared oneshot still. It
// counts as up for a restart of what it requires, as systemd's oneshot
// with RemainAfterExit: that restart runs it again, and takes along what
// requires it in turn (§2.8).
func (e *entry) doneOneShot() bool {
	return e.rt.Done && e.rt.State == messages.Stopped && e.cfg.OneShot
}

// Controller is the root actor: it owns the declarations and the registry
// of services and sockets, turns statements into commands to service and
// socket actors, and gathers their replies into one Reply per request.
type Controller struct {
	opts     Options
	log      *logrus.Logger
	self     *actor.PID
	sys      *actor.ActorSystem
	services map[string]*entry
	nextReq  messages.RequestID
	pending  map[messages.RequestID]*gather
	shutdown *gather // the shutdown in progress, if any
	// downWaits holds, by service, the steps of stops whose waiters go on
	// once that service is down (REFERENCE §2.8).
	downWaits map[string][]downWait
	// reruns: the restarts planned and not asked yet, by service; parked:
	// the steps that wait for one to be asked (rerun.go)
	reruns   map[*entry][]*step
	parked   []parkedStep
	strategy *resumeStrategy

	sockets map[string]*sockEntry
	// files is the table of bound sockets the services launch with. It is
	// never mutated: every change makes a new map, sent to every service.
	files map[string]*os.File
	// sockNames holds the name of every declared socket, bound or not (a
	// socket is never forgotten): never mutated, replaced and sent to
	// every service (socketsDeclared), whose start tells a socket not
	// declared from one not bound
	sockNames map[string]bool
	sockWait  map[messages.RequestID]func(messages.SocketReply) // socket requests in flight

	byPid map[int]string // the service of each process, for notify datagrams
	// unrouted: datagrams from no known pid yet (notify.go), at most
	// maxUnrouted, each kept unroutedFor
	unrouted []unroutedNotify
	// goneSaid: when a datagram of a sender reaped before its read was
	// last logged (notify.go: once in goneEvery at most)
	goneSaid time.Time
	sorted   []*entry // the services in name order (byName); nil: to be made again
	// requirers counts, for each name, the declared services whose
	// requires name it (setConfig and forget keep it): a declaration of a
	// service nothing requires closes no cycle, and is not searched
	// (requiresCycle).
	requirers map[string]int
	// statusAll is the last status of every service (statusOfAll).
	statusAll []string
	proxies   map[string]*proxyEntry
	haltLeft  int    // proxies not yet halted by the shutdown
	haltThen  func() // what the shutdown does once they are

	applying *applyRun // `command apply`: the one in its second half, nil when none (apply.go)

	up controllerUpgrade // an upgrade in place (upgrade.go)

	// serviceProps spawns every service actor, the one servicePID sets in
	// spawning, as a child of spawner, the controller's context (apply.go).
	serviceProps *actor.Props
	spawning     *Service
	spawner      actor.SpawnerContext
}

func newController(opts Options) *Controller {
	c := &Controller{
		opts:      opts,
		log:       opts.Log,
		services:  map[string]*entry{},
		requirers: map[string]int{},
		byPid:     map[int]string{},
		pending:   map[messages.RequestID]*gather{},
		downWaits: map[string][]downWait{},
		reruns:    map[*entry][]*step{},
		sockets:   map[string]*sockEntry{},
		files:     map[string]*os.File{},
		sockNames: map[string]bool{},
		sockWait:  map[messages.RequestID]func(messages.SocketReply){},
		proxies:   map[string]*proxyEntry{},
	}
	c.strategy = &resumeStrategy{log: opts.Log, answer: c.answerLost}
	c.serviceProps = c.newServiceProps()
	return c
}

var _ actor.SupervisorStrategy = (*Controller)(nil)

// HandleFailure supervises the service actors (see resumeStrategy). It
// runs in the controller's own goroutine.
func (c *Controller) HandleFailure(sys *actor.ActorSystem, sup actor.Supervisor, child *actor.PID,
	rs *actor.RestartStatistics, reason, message any) {
	c.strategy.HandleFailure(sys, sup, child, rs, reason, message)
}

// answerLost answers the request a panicking service or socket actor was
// handling.
func (c *Controller) answerLost(msg any, err error) {
	switch m := msg.(type) {
	case messages.BindSocket:
		c.onSocketReply(messages.SocketReply{Req: m.Req, Err: err})
		return
	case messages.UnbindSocket:
		c.onSocketReply(messages.SocketReply{Req: m.Req, Err: err})
		return
	}
	if req, ok := messages.RequestIDOf(msg); ok {
		c.onServiceReply(messages.ServiceReply{Req: req, Name: c.nameOfRequest(req), Err: err})
	}
}

// Receive implements actor.Actor.
func (c *Controller) Receive(ctx actor.Context) {
	if c.upgradeMessage(ctx) {
		return
	}
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.self, c.sys, c.spawner = ctx.Self(), ctx.ActorSystem(), ctx
	case messages.SetServiceAttr:
		ctx.Respond(c.declareService(ctx, m))
	case declareBatch:
		ctx.Respond(c.declareBatch(ctx, m))
	case messages.SetSocketAttr:
		ctx.Respond(c.declareSocket(ctx, m))
	case messages.SocketReply:
		c.onSocketReply(m)
	case messages.SetProxyAttr:
		ctx.Respond(c.declareProxy(ctx, m))
	case toProxy:
		c.routeToProxy(ctx, m)
	case proxyDownCancelDone:
		if e := c.services[m.name]; e != nil {
			if i := slices.Index(e.proxyDowns, m.proxy); i >= 0 {
				e.proxyDowns = slices.Delete(e.proxyDowns, i, i+1)
			}
		}
	case proxyUpdated:
		c.onProxyUpdated(m)
	case proxyHalted:
		c.onProxyHalted()
	case messages.ControlCommand:
		c.command(ctx, m)
	case streamRequest:
		ctx.Respond(messages.Reply{Err: c.streamCheck(m.cmd)})
	case messages.Apply:
		c.apply(ctx, m)
	case messages.Fleet:
		ctx.Respond(messages.ErrorReply(errFleetOnlyAdmin))
	case messages.ServiceReply:
		c.onServiceReply(m)
	case messages.ServiceUpdated:
		if e := c.services[m.Runtime.Name]; e != nil {
			c.trackPid(m.Runtime.Name, e.rt.Pid, m.Runtime.Pid)
			e.setRuntime(m.Runtime)
			e.run = m.Run
			if len(c.downWaits) > 0 && !m.Runtime.State.IsUp() {
				c.downReached(m.Runtime.Name)
			}
		}
	case notifyReceived:
		c.routeNotify(m)
	case SnapshotRequest:
		c.snapshot(m)
	case underWayQuery:
		ctx.Respond(c.underWay())
	case StartConsole:
		streams := connStreams{hub: c.opts.hub, tail: c.opts.tail, backlog: c.opts.Backlog, fleet: c.opts.Fleet,
			afterBigReply: c.opts.AfterBigReply, events: c.opts.Events}
		props := actor.PropsFromProducer(func() actor.Actor {
			return &console{ln: m.Listener, privileged: m.Privileged, policy: m.Policy, log: c.log, streams: streams}
		}, actor.WithSupervisor(&resumeStrategy{log: c.log}))
		ctx.Respond(ctx.Spawn(props))
	case LookupService:
		var pid *actor.PID
		if e := c.services[m.Name]; e != nil {
			pid = c.servicePID(e)
		}
		ctx.Respond(pid)
	case *actor.Terminated:
		ctx.Send(ctx.Self(), serviceGone{pid: m.Who})
	case serviceGone:
		c.onServiceGone(m)
	case *actor.Stopping, *actor.Stopped, *actor.Restarting:
	default:
		c.log.WithField("message", fmt.Sprintf("%T", m)).Warn("controller: unknown message ignored")
	}
}

// declareService applies `service NAME ATTR=VALUE`. A failed declaration
// changes nothing (a new service is not even created).
func (c *Controller) declareService(ctx actor.Context, m messages.SetServiceAttr) messages.Reply {
	if c.shutdown != nil {
		return messages.ErrorReply(fmt.Errorf("cfkd is shutting down"))
	}
	e := c.services[m.Service]
	if e != nil && e.destroying {
		return messages.ErrorReply(fmt.Errorf("Service '%s' is being destroyed", m.Service))
	}
	cfg := messages.NewServiceConfig(m.Service)
	if e != nil {
		cfg = *e.cfg
	}
	var err error
	if env, ok := e.appendEnvFor(m); ok {
		cfg.Env = env // a new key, at a constant cost (envappend.go)
	} else {
		cfg, err = cfg.Apply(m.Attr, m.Value)
	}
	if err != nil {
		return messages.ErrorReply(err)
	}
	if m.Attr == messages.SvcRequires {
		if cycle := c.requiresCycle(m.Service, cfg.Requires); cycle != "" {
			return messages.ErrorReply(fmt.Errorf("dependency cycle: %s", cycle))
		}
	}
	if m.Proxy != "" {
		if _, err := c.ensureProxy(ctx, m.Proxy); err != nil {
			return messages.ErrorReply(err)
		}
		cfg.Proxy = m.Proxy
	}
	if e == nil {
		c.addService(&cfg)
		c.warnRoom(m.Service)
		return messages.Reply{}
	}
	if e.pid != nil { // one not spawned yet gets it at its spawn
		ctx.Send(e.pid, messages.ConfigureService{Config: &cfg})
	}
	c.setConfig(e, &cfg)
	return messages.Reply{}
}

// warnRoom logs a warning when the service just declared is the first one
// more than cfkd's fd limit holds (REFERENCE §7.6). Only a log: nothing is
// refused, and a start that finds no fd waits in backoff (REFERENCE §2.1).
func (c *Controller) warnRoom(name string) {
	if room := c.opts.ServiceRoom; room > 0 && len(c.services) == room+1 {
		c.log.WithField("service", name).Warnf("%d services declared: cfkd's limit of %d open files holds about %d running at once "+
			"(2 fds each); the others will wait in backoff. Raise the hard limit (ulimit -Hn before cfkd starts, LimitNOFILE= under systemd) and restart cfkd",
			len(c.services), c.opts.FdLimit, room)
	}
}

// selectServices returns the services a selector picks, sorted by name.
func (c *Controller) selectServices(sel messages.Selector) []*entry {
	switch sel.Kind {
	case messages.SelectService:
		if e := c.services[sel.Name]; e != nil {
			return []*entry{e}
		}
		return nil
	case messages.SelectAll:
		return append([]*entry(nil), c.byName()...)
	case messages.SelectTag:
		var out []*entry
		for _, e := range c.byName() {
			if e.cfg.HasTag(sel.Name) {
				out = append(out, e)
			}
		}
		return out
	}
	return nil
}

// byName is every service in name order, kept until a service is declared
// or forgotten (a status of 9,000 services sorted them on every request).
// The caller must not change the slice.
func (c *Controller) byName() []*entry {
	if c.sorted == nil {
		c.sorted = make([]*entry, 0, len(c.services))
		for _, e := range c.services {
			c.sorted = append(c.sorted, e)
		}
		sort.Slice(c.sorted, func(i, j int) bool { return c.sorted[i].cfg.Name < c.sorted[j].cfg.Name })
	}
	return c.sorted
}

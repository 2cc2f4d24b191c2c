package actors

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/upgrade"
)

// This file is the controller's side of an upgrade in place (REFERENCE
// §13). `command upgrade [PATH]` is refused while cfkd shuts down or
// upgrades already; otherwise it goes to Options.Upgrade (cfkd's, package
// daemon), which runs the upgrade off the actors and answers through a
// message. The daemon drives the tree with three messages, each answered
// once the services have answered (the controller never waits):
//
//   - ExportState: every declaration and every service's lifecycle. With
//     Freeze, each service stashes what comes after its answer, and the
//     controller refuses every change (`cfkd is upgrading`) until
//     ThawState; queries are still answered.
//   - ThawState: the exec did not happen; everything goes on.
//   - RestoreState, in the new cfkd: the declarations made again, the
//     sockets adopted, each service's lifecycle restored with its process
//     and output pipes.
//
// A new cfkd that fails once its tree took the services over rolls back
// as an upgrade to the former binary, with no `command upgrade`: it says
// so first (RollingBack, answered at once), and a shutdown is refused
// from then on as while an upgrade runs.

// UpgradeHook runs an upgrade in place to path ("" for cfkd's own
// executable) and calls answer once, with the reply to the asker (from any
// goroutine). It must not block.
type UpgradeHook func(path string, answer func(messages.Reply))

// NoUpgrade is the answer to `command upgraded` of a cfkd never upgraded
// in place: EXECS KIND TIME TEXT, tab-separated (REFERENCE §13.4).
const NoUpgrade = "0\tnone\t0\t"

// ExportState asks for the tree's state; answered with Exported.
type ExportState struct{ Freeze bool }

// Exported is the tree's state. Err says why it cannot be exported (a
// running proxy, a shutdown): nothing was frozen then.
type Exported struct {
	Services []upgrade.Service
	Sockets  []ExportedSocket
	Proxies  []upgrade.Proxy
	Err      error
}

// ExportedSocket is a declared socket and, when bound, its listening
// socket.
type ExportedSocket struct {
	upgrade.Socket
	File *os.File // nil when unbound
}

// ThawState ends a freeze; answered with messages.Reply.
type ThawState struct{}

// RestoreState makes the tree what State says (a new cfkd, before it
// serves): Files are the listening sockets by fd. Answered with
// messages.Reply once every service has its lifecycle back.
type RestoreState struct {
	State *upgrade.State
	Files map[int]*os.File
}

// RollingBack tells the controller that the new cfkd of an upgrade in
// place, which failed once its tree took the services over, rolls back
// as an upgrade to the former binary (daemon's rollback_taken.go): from
// then on a shutdown, and an upgrade, are refused as while an upgrade
// runs (REFERENCE §13.5), and cfkd either execs or stops. Answered with
// messages.Reply: an ERROR when a shutdown runs already (asked first: it
// goes on, no rollback) or an upgrade.
type RollingBack struct{}

// ErrShuttingDown is why an upgrade, or a rollback, is refused once a
// shutdown has begun.
var ErrShuttingDown = errors.New("cfkd is shutting down")

// upgradeDone is the hook's answer to the asker.
type upgradeDone struct {
	to *actor.PID
	r  messages.Reply
}

// controllerUpgrade is the controller's upgrade state.
type controllerUpgrade struct {
	busy   bool // a `command upgrade` is under way
	frozen bool // the services are frozen: changes are refused
	export *exportRun
}

// exportRun is an ExportState waiting for the proxies' answers, then the
// services': the proxies freeze first, so that what they tell the
// services reaches them before they freeze.
type exportRun struct {
	to        *actor.PID
	req       uint64
	freeze    bool
	left      map[string]bool // services
	proxyLeft map[string]bool
	out       Exported
}

// ErrUpgradeUnderWay is the answer to a shutdown asked while an upgrade,
// or its rollback, runs (REFERENCE §13.5).
var ErrUpgradeUnderWay = errors.New("an upgrade is under way")

// ErrUpgrading is the answer to a change while the services are frozen.
var ErrUpgrading = errors.New("cfkd is upgrading")

// upgradeMessage handles the upgrade's messages, and refuses changes while
// frozen; it reports whether msg was taken.
func (c *Controller) upgradeMessage(ctx actor.Context) bool {
	switch m := ctx.Message().(type) {
	case ExportState:
		c.exportState(ctx, m)
	case serviceExported:
		c.onServiceExported(m)
	case proxyExported:
		c.onProxyExported(ctx, m)
	case ThawState:
		// an export cut short (the daemon gave up waiting) is over: its
		// late answers are dropped, and the next upgrade may export again
		c.up.frozen, c.up.export = false, nil
		for _, e := range c.proxies {
			ctx.Send(e.pid, thawProxy{})
		}
		for _, e := range c.services {
			if e.pid != nil { // one not spawned was not frozen
				ctx.Send(e.pid, thawService{})
			}
		}
		ctx.Respond(messages.Reply{})
	case RestoreState:
		ctx.Respond(c.restoreState(ctx, m))
	case RollingBack:
		switch {
		case c.shutdown != nil:
			ctx.Respond(messages.ErrorReply(ErrShuttingDown))
		case c.up.busy || c.up.frozen:
			ctx.Respond(messages.ErrorReply(errors.New("an upgrade is already under way")))
		default:
			c.up.busy = true // until cfkd execs, or stops
			ctx.Respond(messages.Reply{})
		}
	case upgradeDone:
		c.up.busy = false
		c.answer(m.to, m.r)
	case messages.ControlCommand:
		switch {
		case m.Verb == messages.VerbUpgrade:
			c.upgradeCommand(ctx, m)
		case m.Verb == messages.VerbShutdown && c.up.busy:
			ctx.Respond(messages.ErrorReply(ErrUpgradeUnderWay))
		case c.up.frozen && !readOnly(m.Verb):
			ctx.Respond(messages.ErrorReply(ErrUpgrading))
		default:
			return false
		}
	case messages.SetServiceAttr, messages.SetSocketAttr, messages.SetProxyAttr, messages.Apply:
		if !c.up.frozen {
			return false
		}
		ctx.Respond(messages.ErrorReply(ErrUpgrading))
	case declareBatch: // a pipelined run of declarations (batch.go): each refused
		if !c.up.frozen {
			return false
		}
		replies := make([]messages.Reply, len(m.decls))
		for i := range replies {
			replies[i] = messages.ErrorReply(ErrUpgrading)
		}
		ctx.Respond(declared{replies: replies})
	default:
		return false
	}
	return true
}

// readOnly says whether a verb changes nothing (answered while frozen).
func readOnly(v messages.Verb) bool {
	switch v {
	case messages.VerbStatus, messages.VerbDesc, messages.VerbPids, messages.VerbInspect,
		messages.VerbList, messages.VerbVersion, messages.VerbProxyStatus, messages.VerbSockets,
		messages.VerbTail, messages.VerbEvents, messages.VerbUpgraded:
		return true
	}
	return false
}

// upgradeCommand runs `command upgrade [PATH]`.
func (c *Controller) upgradeCommand(ctx actor.Context, m messages.ControlCommand) {
	switch {
	case c.shutdown != nil:
		ctx.Respond(messages.ErrorReply(ErrShuttingDown))
		return
	case c.up.busy || c.up.frozen: // answered, not yet exec'd: still under way
		ctx.Respond(messages.ErrorReply(errors.New("an upgrade is already under way")))
		return
	case c.opts.Upgrade == nil:
		ctx.Respond(messages.ErrorReply(errors.New("upgrade in place is not available here")))
		return
	}
	c.up.busy = true
	to, root, self := ctx.Sender(), ctx.ActorSystem().Root, ctx.Self()
	c.opts.Upgrade(m.Arg, func(r messages.Reply) { root.Send(self, upgradeDone{to: to, r: r}) })
}

// exportState asks every service for its state.
func (c *Controller) exportState(ctx actor.Context, m ExportState) {
	if err := c.exportRefusal(); err != nil || c.up.export != nil {
		if err == nil {
			err = errors.New("an export is under way")
		}
		ctx.Respond(Exported{Err: err})
		return
	}
	if m.Freeze {
		c.up.frozen = true
	}
	c.nextReq++
	run := &exportRun{to: ctx.Sender(), req: uint64(c.nextReq), freeze: m.Freeze, left: map[string]bool{}, proxyLeft: map[string]bool{}}
	for name, e := range c.proxies {
		run.proxyLeft[name] = true
		ctx.Send(e.pid, exportProxy{req: run.req, freeze: m.Freeze})
	}
	for name := range c.services {
		run.left[name] = true
	}
	for _, name := range sortedKeys(c.sockets) {
		e := c.sockets[name]
		s := ExportedSocket{Socket: upgrade.Socket{Config: e.cfg, Fd: -1}}
		if e.file != nil {
			s.Fd, s.Bound, s.Service, s.File = upgrade.FdOf(e.file), e.boundCfg, e.service, e.file
		}
		run.out.Sockets = append(run.out.Sockets, s)
	}
	c.up.export = run
	c.askServices(ctx)
	c.maybeExported()
}

// askServices asks the services once every proxy has answered.
func (c *Controller) askServices(ctx actor.Context) {
	run := c.up.export
	if run == nil || len(run.proxyLeft) > 0 || run.out.Err != nil {
		return
	}
	for name := range run.left {
		ctx.Send(c.servicePID(c.services[name]), exportService{req: run.req, freeze: run.freeze})
	}
}

func (c *Controller) onProxyExported(ctx actor.Context, m proxyExported) {
	run := c.up.export
	name := m.px.Config.Name
	if run == nil || m.req != run.req {
		return
	}
	if m.err != nil {
		// the proxies frozen already are thawed by the daemon (ThawState)
		run.out.Err = m.err
		run.out.Services, run.out.Proxies, run.out.Sockets = nil, nil, nil
		c.up.export = nil
		c.up.frozen = false
		c.sys.Root.Send(run.to, run.out)
		return
	}
	if !run.proxyLeft[name] {
		return
	}
	delete(run.proxyLeft, name)
	run.out.Proxies = append(run.out.Proxies, m.px)
	c.askServices(ctx)
	c.maybeExported()
}

// exportRefusal says why the tree cannot cross an exec now.
func (c *Controller) exportRefusal() error {
	if c.shutdown != nil {
		return ErrShuttingDown
	}
	for _, name := range sortedKeys(c.sockets) {
		if b := c.sockets[name].busy; b != "" {
			return fmt.Errorf("socket '%s' is being %s", name, b)
		}
	}
	var destroying []string
	for name, e := range c.services {
		if e.destroying {
			destroying = append(destroying, name)
		}
	}
	if len(destroying) > 0 {
		sort.Strings(destroying)
		return fmt.Errorf("services being destroyed: %s", strings.Join(destroying, ","))
	}
	// a request whose plan has steps not asked yet (a start waiting for
	// what it requires, a rolling restart part way): the services do not
	// know of them, the state would not carry them, and the new cfkd
	// would never take them (REFERENCE §13.4)
	if cur := c.applying; cur != nil {
		return cur.refusal() // who, how far, what it waits for: as to another apply (REFERENCE §1.4)
	}
	// a request is in c.pending while a step awaits its reply, in
	// c.downWaits while a step waits for a service to be down (a stop's
	// reply comes at SIGTERM), in c.parked while a step waits for another
	// request's restart (rerun.go): the oldest is said
	gathers := c.liveGathers()
	for _, g := range gathers {
		var left []string // its client may be gone: who is waited for is said
		for _, s := range g.all {
			if !s.decided {
				left = append(left, s.e.cfg.Name)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("'%s' is under way (%d of its steps not begun: %s): try again once it is done",
				g.verb, len(left), namesCut(left, 5))
		}
	}
	return nil
}

func (c *Controller) onServiceExported(m serviceExported) {
	run := c.up.export
	if run == nil || m.req != run.req || !run.left[m.svc.Config.Name] {
		return
	}
	delete(run.left, m.svc.Config.Name)
	run.out.Services = append(run.out.Services, m.svc)
	c.maybeExported()
}

func (c *Controller) maybeExported() {
	run := c.up.export
	if run == nil || len(run.left) > 0 || len(run.proxyLeft) > 0 {
		return
	}
	c.up.export = nil
	sort.Slice(run.out.Services, func(i, j int) bool {
		return run.out.Services[i].Config.Name < run.out.Services[j].Config.Name
	})
	sort.Slice(run.out.Proxies, func(i, j int) bool {
		return run.out.Proxies[i].Config.Name < run.out.Proxies[j].Config.Name
	})
	c.sys.Root.Send(run.to, run.out)
}

// ServiceTag is the osproc.Spec.Tag of a service's processes.
func ServiceTag(name string) string { return "service:" + name }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// namesCut is names joined by ", ", the first n of them and then "...".
func namesCut(names []string, n int) string {
	if len(names) > n {
		return strings.Join(names[:n], ", ") + ", ..."
	}
	return strings.Join(names, ", ")
}

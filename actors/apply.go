package actors

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// This file is the controller's side of `command apply` (REFERENCE §1.4):
// the declarations of a whole config file made cfkd's own, as one unit.
//
// An apply runs in two halves. The first is one Receive: the plan is
// computed (messages.PlanOf, from the configurations the controller holds
// and those the file declares) and every declaration is made, whole
// configurations replacing the old ones, so that nothing else happens in
// between. The second is asynchronous, as every verb that waits for
// services (gather.go): the services absent from the file are destroyed
// (with prune), then the changed services that were up are restarted, all
// at once or one at a time (rolling); the reply comes at the end. A
// service up with a run of a former declaration (entry.runsFormer: its
// restart was refused) is a change of every plan, restarted again, until
// its run is of its declaration: an apply converges.
//
// Applies never interleave, and none waits for another: while one is in
// its second half (c.applying), a dry run is answered at once, against the
// declarations it made, with a note naming it; another apply is refused
// at once, naming it and what it waits for (applyRun.refusal, which begins
// messages.ApplyUnderWay). A queue
// of applies held by cfkd would hold them behind one that may never end
// (a rolling restart waiting for a readiness with no timeout), each run
// once its turn came even when its client had long given up; the client
// that wants to wait retries (cfkctl does, within its --timeout).

// applyRun is the second half of an apply in progress.
type applyRun struct {
	to      *actor.PID
	from    string    // the peer that asked (messages.Apply.From)
	since   time.Time // when it began
	lines   []string  // the plan
	rolling bool
	// phase and g: what it does now, and the gather doing it (nil
	// between two)
	phase   string
	g       *gather
	prune   []*entry // services to destroy
	restart []*entry // services to restart, by name
	// unseen: the changed services with an actor that the controller
	// saw with no run, by name: their launch may be under way (the
	// controller sees it, or has not heard of it yet: a start just
	// sent, a backoff's retry). Each is restarted alone once launched if
	// its fork is of a former declaration (RestartService.IfFormer)
	unseen []*entry
	order  []string // the services acted on, in the order failures are listed
	errs   map[string]error
}

func (r *applyRun) fail(name string, err error) {
	if _, dup := r.errs[name]; !dup {
		r.errs[name] = err
	}
}

// failDecl records a socket or proxy that could not be declared (its
// actor could not be spawned), reported as `socket NAME: MESSAGE`.
func (r *applyRun) failDecl(ch messages.Change, err error) {
	key := string(ch.Kind) + " " + ch.Name
	r.order = append(r.order, key)
	r.fail(key, err)
}

// apply runs `command apply`: the first half, plan and declarations, and
// the start of the second half. A dry run, an empty plan or a refusal is
// answered at once; so is an apply while another is in its second half:
// a dry run plans against what that one declared, with a note naming it,
// any other is refused (REFERENCE §1.4).
func (c *Controller) apply(ctx actor.Context, m messages.Apply) {
	to := ctx.Sender()
	if cur := c.applying; cur != nil && !m.DryRun && c.shutdown == nil { // a shutdown's refusal first: no use trying again
		c.log.WithField("peer", m.From).Infof("apply refused: %s", cur.describe())
		c.answer(to, messages.ErrorReply(cur.refusal()))
		return
	}
	if err := c.applyRefusal(m); err != nil {
		c.answer(to, messages.ErrorReply(err))
		return
	}
	have := c.declared()
	plan := messages.WithFormerRuns(messages.PlanOf(have, m.Want), c.formerRuns(m.Want))
	plan = messages.WithInPlace(plan, have, m.Want, c.upRuns(m.Want))
	plan = messages.WithFormerProxies(plan, c.formerProxies(m.Want))
	plan = messages.WithFormerSockets(plan, c.formerSockets(m.Want))
	lines := messages.PlanLines(plan)
	if m.DryRun || len(plan) == 0 {
		if cur := c.applying; cur != nil {
			lines = append(lines, messages.PlanNote+cur.describe()+": planned against the declarations it made, its restarts not all done")
		}
		c.answer(to, messages.Reply{Lines: lines})
		return
	}
	run := &applyRun{to: to, from: m.From, since: time.Now(), lines: lines, rolling: m.Rolling, errs: map[string]error{}}
	c.applying = run
	// Sockets and proxies first: the services may name them.
	for _, ch := range plan {
		if ch.Kind != messages.KindService {
			c.applyChange(ctx, ch, m, run)
		}
	}
	for _, ch := range plan {
		if ch.Kind == messages.KindService {
			c.applyChange(ctx, ch, m, run)
		}
	}
	for _, e := range slices.Concat(run.prune, run.restart, run.unseen) {
		run.order = append(run.order, e.cfg.Name)
	}
	c.applyPrune(run)
}

// applyRefusal is why an apply cannot run at all: cfkd is shutting down,
// or the file declares a service that is being destroyed (a declaration
// of it would be refused). Nothing has changed then.
func (c *Controller) applyRefusal(m messages.Apply) error {
	if c.shutdown != nil {
		return fmt.Errorf("cfkd is shutting down")
	}
	var names []string
	for name := range m.Want.Services {
		if e := c.services[name]; e != nil && e.destroying {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		sort.Strings(names)
		return fmt.Errorf("Service '%s' is being destroyed", names[0])
	}
	if m.Prune && len(m.Want.Services) == 0 && len(c.declared().Services) > 0 {
		// an empty file (a generator that failed: gen | cfkctl apply
		// --prune -) would destroy every service (REFERENCE §1.4)
		return fmt.Errorf("the file declares no service: apply --prune would destroy every service (destroy all does that)")
	}
	// the requires of the services as they will be: the file's, and those
	// it leaves out unless pruned (REFERENCE §2.8); and with prune, as
	// they are once the file is declared and before the pruned services
	// are destroyed: the destroys are planned then
	during, after := c.requiresGraph(), map[string][]string{}
	for name, cfg := range m.Want.Services {
		during[name], after[name] = cfg.Requires, cfg.Requires
	}
	if !m.Prune {
		after = during
	}
	// said from the service whose line of the file closes it, as a
	// declaration's refusal is (REFERENCE §2.8)
	if cycle := messages.AnyCycle(after); cycle != "" {
		return fmt.Errorf("dependency cycle: %s", m.Want.FromClosing(cycle))
	}
	if cycle := messages.AnyCycle(during); cycle != "" {
		return fmt.Errorf("dependency cycle: %s, until the services pruned are destroyed: destroy them first", m.Want.FromClosing(cycle))
	}
	if name, req := c.prunedRequire(m.Want.Services); m.Prune && name != "" {
		// the prune would destroy what the file still requires: the
		// dependent would be brought down with it and left down, for an
		// apply that said it went well (REFERENCE §1.4)
		return fmt.Errorf("service '%s' requires '%s', which the file does not declare: apply --prune would destroy '%s' and leave '%s' down", name, req, req, name)
	}
	return nil
}

// prunedRequire returns a service of want that requires a service the
// prune would destroy (declared here, not in want: the first by name),
// and that name; "" when none. A name declared nowhere is no such
// service: the dependent cannot start until it is declared (REFERENCE
// §2.8), prune or not; nor is one being destroyed, which the plan leaves
// out (declared): it is going whatever the apply, which destroys nothing
// of it (§1.4).
func (c *Controller) prunedRequire(want map[string]messages.ServiceConfig) (string, string) {
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, req := range want[name].Requires {
			_, inFile := want[req]
			if e := c.services[req]; !inFile && e != nil && !e.destroying {
				return name, req
			}
		}
	}
	return "", ""
}

// declared is what cfkd holds, as an apply compares it: the services
// being destroyed are already gone.
func (c *Controller) declared() messages.Declarations {
	d := messages.NewDeclarations()
	for name, e := range c.services {
		if !e.destroying {
			d.Services[name] = *e.cfg
		}
	}
	for name, e := range c.sockets {
		d.Sockets[name] = e.cfg
	}
	for name, e := range c.proxies {
		d.Proxies[name] = e.cfg
	}
	return d
}

// formerRuns are the services of want, by name, whose run is of a former
// declaration (entry.runsFormer) other than want's too, in what a restart
// changes: each has a `~` line, and is restarted (REFERENCE §1.4). One
// whose run is want's already is not: its process is the file's
// (WithInPlace).
func (c *Controller) formerRuns(want messages.Declarations) []string {
	var names []string
	for name, cfg := range want.Services {
		if e := c.services[name]; e != nil && !e.destroying && e.runsFormer() && messages.ServiceRunChanged(*e.run, cfg) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// upRuns are the declarations the runs of the services of want that are
// up (launched) were launched with, by name: a plan compares the file
// with what each process was started with (messages.WithInPlace). A run
// cfkd knows no declaration of (none said yet) is taken as its current
// declaration's.
func (c *Controller) upRuns(want messages.Declarations) map[string]messages.ServiceConfig {
	runs := map[string]messages.ServiceConfig{}
	for name := range want.Services {
		if e := c.services[name]; e != nil && !e.destroying && e.launched() {
			run := e.run
			if run == nil {
				run = e.cfg
			}
			runs[name] = *run
		}
	}
	return runs
}

// formerProxies are the proxies of want, by name, whose process runs a
// former declaration (proxyEntry.runsFormer): each has a `~` line until
// it runs again; the apply restarts none (REFERENCE §1.4).
func (c *Controller) formerProxies(want messages.Declarations) []string {
	var names []string
	for name := range want.Proxies {
		if e := c.proxies[name]; e != nil && e.runsFormer() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// formerSockets are the sockets of want, by name, bound with another
// declaration than their current one, as formerProxies: each has a `~`
// line until it is bound again (its change takes effect then: unbind,
// then bind); the apply rebinds none (REFERENCE §1.4). Without it a
// change applied once showed nowhere, a later apply said `no changes`,
// and a bind after some unbind moved the socket to an address no plan
// had shown since.
func (c *Controller) formerSockets(want messages.Declarations) []string {
	var names []string
	for name := range want.Sockets {
		if e := c.sockets[name]; e != nil && e.file != nil && len(messages.DiffSocket(e.boundCfg, e.cfg)) > 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// applyChange makes one change of the plan, and notes what the second
// half does about it. A socket or a proxy is never removed: cfkd cannot
// forget one (their actors are named after them).
func (c *Controller) applyChange(ctx actor.Context, ch messages.Change, m messages.Apply, run *applyRun) {
	if ch.Op == messages.OpRemove {
		// logged when it is made: what is kept, a service without
		// prune, a socket, a proxy, changes nothing (REFERENCE §1.4)
		if e := c.services[ch.Name]; ch.Kind == messages.KindService && m.Prune && e != nil {
			c.log.Infof("apply: %s", ch.Format())
			run.prune = append(run.prune, e)
		}
		return
	}
	c.log.Infof("apply: %s", ch.Format())
	switch ch.Kind {
	case messages.KindSocket:
		e, err := c.ensureSocket(ctx, ch.Name)
		if err != nil {
			run.failDecl(ch, err)
			return
		}
		e.cfg = m.Want.Sockets[ch.Name] // takes effect at its next bind
	case messages.KindProxy:
		e, err := c.ensureProxy(ctx, ch.Name)
		if err != nil {
			run.failDecl(ch, err)
			return
		}
		e.cfg = m.Want.Proxies[ch.Name] // takes effect at its next run
		ctx.Send(e.pid, configureProxy{cfg: e.cfg})
	case messages.KindService:
		cfg := m.Want.Services[ch.Name]
		e := c.services[ch.Name]
		if e == nil {
			c.addService(&cfg)
			return
		}
		// what acts on nothing in either declaration (watchdog_secs
		// without ready=notify, ready_timeout_secs without ready), what
		// is read at the stop or the process's end, and a run that is
		// the file's already are declared and restart nothing
		// (ch.InPlace, REFERENCE §1.4)
		acting := messages.ActingAttrs(*e.cfg, cfg, ch.Attrs)
		if len(ch.Attrs) > 0 { // not a run of a former declaration alone
			c.setConfig(e, &cfg)
			if e.pid != nil { // one not spawned yet gets it at its spawn
				ctx.Send(e.pid, messages.ConfigureService{Config: &cfg})
			}
		}
		if !ch.InPlace && (ch.Former || messages.NeedsRestart(acting)) {
			switch {
			case e.launched():
				run.restart = append(run.restart, e)
			case e.pid != nil && c.startRefusal(messages.VerbRestart, e) == nil:
				// a fork may be of the declaration just replaced (its
				// spec built before ConfigureService came, the
				// controller told or not yet): the service, which
				// knows, restarts it once launched if so; a launch
				// still looking up its user forks the declaration of
				// now, and one that is down has nothing to restart.
				// None is under way where a start is refused (its
				// noauto proxy down): not asked, not an error
				run.unseen = append(run.unseen, e)
			}
		}
	}
}

// addService makes the entry of a new service (a declaration's first
// mention, an apply, a restore). Its actor is not spawned yet: a
// declaration alone needs none (status and the like are the
// controller's), so it comes with the first message the service must
// get (servicePID). A service declared and never asked anything costs
// its entry and its configuration only.
func (c *Controller) addService(cfg *messages.ServiceConfig) *entry {
	e := &entry{rt: messages.ServiceRuntime{Name: cfg.Name, State: messages.Stopped}}
	c.services[cfg.Name] = e
	c.sorted = nil
	e.tailGen = c.opts.tail.declare(cfg.Name)
	c.setConfig(e, cfg)
	return e
}

// servicePID is the actor of e, spawned now when it has none yet, with
// the service's configuration and the sockets table as they are (what
// ConfigureService and SocketsChanged would have told it). Every service
// actor is spawned from the one Props the controller made at its start
// (serviceProps): its producer returns c.spawning, which SpawnPrefix asks
// for at once, in the controller's goroutine. A service actor is resumed,
// never restarted (strategy.go), so the producer runs once per service.
// Only the controller's Receive calls it.
func (c *Controller) servicePID(e *entry) *actor.PID {
	if e.pid == nil {
		c.spawning = newService(&c.opts, e.cfg, c.files, c.sockNames)
		c.spawning.tailGen = e.tailGen
		e.pid = c.spawner.SpawnPrefix(c.serviceProps, "service-"+e.cfg.Name+"-")
		c.spawning = nil
	}
	return e.pid
}

// newServiceProps is the Props of every service actor (servicePID). Its
// mailbox is protoactor's lock-free one: a linked queue, which costs a
// few bytes while empty (the default's ring of ten slots costs 200 per
// service), and a service is sent few messages.
func (c *Controller) newServiceProps() *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return c.spawning }, actor.WithReceiverMiddleware(c.opts.ServiceMiddleware...),
		actor.WithSenderMiddleware(c.opts.ServiceSenderMiddleware...), actor.WithDispatcher(servicePool),
		actor.WithMailbox(actor.UnboundedLockfree()))
}

// applyPrune destroys the services to prune, all at once, then goes on
// with the restarts.
func (c *Controller) applyPrune(run *applyRun) {
	run.phase = "destroying"
	c.applyEach(run, c.newGather(messages.VerbDestroy, verbMessage(messages.VerbDestroy), nil, nil), run.prune, func() { c.applyRestart(run) })
}

// applyRestart restarts the changed services that were up: all at once,
// or one at a time, each running again before the next is stopped, the
// first failure stopping the roll; either as its command does, with the
// dependents that run and what each requires (REFERENCE §2.8).
func (c *Controller) applyRestart(run *applyRun) {
	verb := messages.VerbRestart
	run.phase = "restarting"
	if run.rolling { // as `command rollingrestart`: in the order requires sets
		verb, run.phase = messages.VerbRollingRestart, "rolling restart"
	}
	c.applyEach(run, c.applyRestartGather(verb, run.rolling, false), run.restart, func() { c.applyUnseen(run) })
}

// applyRestartGather is the gather of an apply's restarts (REFERENCE
// §1.4): each RestartService{Apply}, whose row restarts a run and leaves
// a service down, or stopping for an operator's stop, as it is (§2.7);
// each yields, as every restart does, to the stops other requests
// planned (rerun.go's park).
func (c *Controller) applyRestartGather(verb messages.Verb, rolling, ifFormer bool) *gather {
	return c.newGather(verb, func(r messages.RequestID) any {
		return messages.RestartService{Req: r, UntilRunning: rolling, IfFormer: ifFormer, Apply: true}
	}, nil, nil)
}

// applyUnseen restarts, each alone, the changed services the controller
// saw with no run whose launch, under way, forks the declaration the
// apply replaced, once launched (RestartService.IfFormer): their restart
// takes no dependent along and waits for nothing they require, so that
// the others (down, or a launch still looking up its user, which may
// never end, and forks the new declaration) answer at once and hold
// nothing back.
func (c *Controller) applyUnseen(run *applyRun) {
	if len(run.unseen) == 0 {
		c.applyFinish(run)
		return
	}
	g := c.applyRestartGather(messages.VerbRestart, run.rolling, true)
	run.phase, run.g = "restarting the services launched meanwhile", g
	g.then = func(messages.Reply) {
		run.g = nil
		c.applyNoteFailures(run, g)
		c.applyFinish(run)
	}
	for _, e := range run.unseen {
		c.newStep(g, e, messages.VerbRestart, g.mk, true)
	}
	c.kick(g)
}

// applyEach runs g, a gather of the apply's destroys or its restarts
// (applyRestartGather), on the services of es together, as the verb's
// command does (REFERENCE §2.8: a destroy first brings down what
// requires each, a restart takes along the dependents that run and waits
// for what each requires), notes each failure, and calls then once all
// have answered (at once when there are none).
func (c *Controller) applyEach(run *applyRun, g *gather, es []*entry, then func()) {
	if len(es) == 0 {
		then()
		return
	}
	run.g = g
	g.asked = func(s *step) { c.applyAsked(run, s) }
	g.then = func(messages.Reply) {
		run.g = nil
		c.applyNoteFailures(run, g)
		then()
	}
	c.plan(g, es)
	c.kick(g)
}

// applyNoteFailures notes the failures of g's services in run.
func (c *Controller) applyNoteFailures(run *applyRun, g *gather) {
	for _, name := range g.order {
		if err := g.errs[name]; err != nil {
			if _, listed := run.errs[name]; !listed && !slices.Contains(run.order, name) {
				run.order = append(run.order, name) // a dependent taken along
			}
			run.fail(name, err)
		}
	}
}

// applyFinish answers: the plan, then `NAME: MESSAGE` for each service
// that could not be destroyed or restarted (REFERENCE §1.6).
func (c *Controller) applyFinish(run *applyRun) {
	lines := run.lines
	for _, name := range run.order {
		if err := run.errs[name]; err != nil {
			lines = append(lines, fmt.Sprintf("%s: %v", name, err))
		}
	}
	n := len(lines) - len(run.lines)
	if n > 0 {
		what := "services"
		if n == 1 {
			what = "service"
		}
		c.log.Infof("apply: done: %d %s not destroyed or restarted", n, what)
	} else {
		c.log.Info("apply: done")
	}
	if n > 0 && c.shutdown != nil {
		// the failures above are the shutdown's doing: said so, with
		// what was done before it (REFERENCE §1.4)
		lines = append(lines, run.cutLine())
	}
	c.answer(run.to, messages.Reply{Lines: lines})
	if c.opts.AfterBurst != nil && len(run.prune)+len(run.restart) >= c.opts.BurstSize {
		go c.opts.AfterBurst()
	}
	c.applying = nil
}

// ApplyCutByShutdown begins the last line of an apply whose destroys or
// restarts a shutdown cut short (REFERENCE §1.4).
const ApplyCutByShutdown = "apply: cut short by cfkd's shutdown: "

// cutLine is that line: the declarations were made (and go with cfkd),
// and how many of the services it acted on were destroyed or restarted
// before the shutdown, the others being the failures above it.
func (r *applyRun) cutLine() string {
	total, failed := len(r.order), 0
	for _, name := range r.order {
		if r.errs[name] != nil {
			failed++
		}
	}
	return fmt.Sprintf("%sits declarations were made, and %d of the %d services it destroys or restarts were done before it, "+
		"the others listed above (cfkd keeps no declaration once it exits)", ApplyCutByShutdown, max(total-failed, 0), total)
}

// verbMessage is the service message of a verb without arguments (one of
// the table's: never nil for those).
func verbMessage(v messages.Verb) func(messages.RequestID) any {
	mk, _ := serviceMessage(messages.ControlCommand{Verb: v})
	return mk
}

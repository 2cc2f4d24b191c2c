package actors

import (
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
)

// gather runs a multi-service verb: one step per service concerned, each
// asked once the steps it waits for are released, and answers the
// requester once every step is settled. Without relations between the
// services every step is asked at once (a fan-out); a rolling restart
// chains them (each waits for the previous one to run again); requires
// orders them (deps.go, REFERENCE §2.8). The controller never waits: a
// step goes on when a reply (or, for a stop, the service's update saying
// it is down) arrives.
type gather struct {
	verb  messages.Verb
	mk    func(messages.RequestID) any // the message of the verb, to a selected service
	to    *actor.PID                   // the requester; nil for an internal request
	names map[messages.RequestID]string
	pids  map[messages.RequestID]*actor.PID // the service actor asked
	asks  map[messages.RequestID]asked
	open  int // steps not settled, plus confirmations in flight
	done  int
	order []string         // the services whose failures are reported, selected ones first
	errs  map[string]error // the failures by service
	then  func(messages.Reply)
	all   []*step // in the order they were planned
	// asked, if set, is told of each step as its message is sent (an
	// apply's progress, apply_progress.go)
	asked func(*step)

	kicked, finished bool
}

// step is one service's part in a gather.
type step struct {
	e        *entry
	verb     messages.Verb // what the step does: the gather's verb, or up / down for a relation
	mk       func(messages.RequestID) any
	selected bool // counted in `done N`, its failure reported
	report   bool // its own failure (a reply) is reported: selected, or a dependent restarted with it
	release  releaseKind
	confirm  bool // AwaitRunning follows the message: its reply releases the step
	// untilRunning: the message itself is answered once running (a
	// rolling restart's, or UpService{UntilRunning} to a required one).
	untilRunning bool
	required     bool  // only there because a start requires it: an UpService{UntilRunning}
	failNow      error // the step cannot be asked at all (a required service is not declared)

	after   []*step // released before this step is asked
	blocked int     // how many of after are not released yet
	waiters []*step // the steps whose after holds this one
	// needs[p] for p in after: p is a service this step requires (p's
	// failure is this step's failure), rather than one that only comes
	// before it.
	needs map[*step]bool

	// took: its stop or down brought the service down (or cancelled its
	// start), as its answer says (not idle, not `already down`): what
	// it did, not what the controller last heard of its state, which a
	// change on its way makes stale; asDown: its stop, answered `already
	// down`, cancelled a start (cancelStarts): a down's answer
	took, asDown bool
	// cancelled: a stop overtakes this start (cancelStarts): settled by
	// cancel, not failed for what it requires
	cancelled bool

	// parkedOn: the restart of another request this step waits to be
	// asked (rerun.go); parked: the steps waiting so for this one
	parkedOn *step
	parked   []parkedStep

	decided  bool   // asked, or failed without being asked
	released bool   // its waiters may go on
	stopAt   string // the step a rolling restart stopped at, when that is why this one failed
}

// releaseKind says what lets the waiters of a step go on.
type releaseKind uint8

const (
	releaseOnReply   releaseKind = iota // the reply to its message (running, for an UntilRunning one)
	releaseOnRunning                    // the reply to the AwaitRunning sent after the message
	releaseOnDown                       // the reply, and the service down (a stop's reply comes at SIGTERM)
)

// asked is what a request in flight belongs to.
type asked struct {
	s       *step
	confirm bool
}

// fanOut runs the verb's message mk(req) on every target (one after the
// other for a rolling restart, in the order requires sets) and answers to
// once all have replied (at once when there is none); then, if set, runs
// after the answer.
func (c *Controller) fanOut(verb messages.Verb, mk func(messages.RequestID) any, to *actor.PID,
	targets []*entry, then func(messages.Reply)) *gather {
	g := c.newGather(verb, mk, to, then)
	c.plan(g, targets)
	c.kick(g)
	return g
}

// gatherOn sends mk(req) to every target at once, whatever relates them,
// and gathers the ServiceReplies.
func (c *Controller) gatherOn(verb messages.Verb, mk func(messages.RequestID) any, to *actor.PID,
	targets []*entry, then func(messages.Reply)) *gather {
	g := c.newGather(verb, mk, to, then)
	for _, e := range targets {
		c.newStep(g, e, verb, mk, true)
	}
	c.kick(g)
	return g
}

func (c *Controller) newGather(verb messages.Verb, mk func(messages.RequestID) any, to *actor.PID,
	then func(messages.Reply)) *gather {
	return &gather{verb: verb, mk: mk, to: to, names: map[messages.RequestID]string{},
		pids: map[messages.RequestID]*actor.PID{}, asks: map[messages.RequestID]asked{},
		errs: map[string]error{}, then: then}
}

// newStep adds a step for e; a selected one is reported in the answer.
func (c *Controller) newStep(g *gather, e *entry, verb messages.Verb, mk func(messages.RequestID) any, selected bool) *step {
	s := &step{e: e, verb: verb, mk: mk, selected: selected, report: selected}
	if selected {
		g.order = append(g.order, e.cfg.Name)
	}
	if verb == messages.VerbDestroy && selected {
		// from now: while what requires it goes down first, a declaration
		// of it would be lost a moment later (REFERENCE §2.5)
		e.destroying = true
	}
	g.all = append(g.all, s)
	g.open++
	c.planned(s)
	return s
}

// wait makes s wait for p's release; requires says p is a service s
// requires (its failure fails s), else p only orders s.
func (s *step) wait(p *step, requires bool) {
	if s.needs == nil {
		s.needs = map[*step]bool{}
	}
	if had, ok := s.needs[p]; ok {
		s.needs[p] = had || requires
		return
	}
	s.needs[p] = requires
	s.after = append(s.after, p)
	s.blocked++
	p.waiters = append(p.waiters, s)
}

// kick starts a planned gather: the steps that cannot start fail first
// (and with them what requires them, and nothing is started for them
// alone), then every step that waits for nothing is asked.
func (c *Controller) kick(g *gather) {
	failed := false
	for _, s := range g.all {
		if s.failNow != nil {
			c.fail(g, s, s.failNow)
			failed = true
		}
	}
	if failed {
		c.dropUnneeded(g)
	}
	for _, s := range g.all {
		if !s.decided && s.blocked == 0 {
			c.ask(g, s)
		}
	}
	g.kicked = true
	c.maybeFinish(g)
}

// ask sends the step's message to its service, unless its proxy refuses
// the start at once or the service was destroyed while the step waited
// (the step's own failures).
func (c *Controller) ask(g *gather, s *step) {
	e, name := s.e, s.e.cfg.Name
	err := c.startRefusal(s.verb, e)
	if err == nil && c.services[name] != e {
		err = fmt.Errorf("Service '%s' was destroyed", name)
	}
	if err != nil {
		c.fail(g, s, err)
		return
	}
	if c.park(g, s) {
		return // asked once the restart it waits for is (rerun.go)
	}
	s.decided = true
	mk := s.mk
	if p := c.launchedProxy(s.verb, e); p != nil {
		mk = func(r messages.RequestID) any {
			m := s.mk(r)
			if rs, ok := m.(messages.RestartService); ok {
				rs.Proxy = p
				m = rs
			}
			return m
		}
	}
	c.send(g, s, mk, false)
	if g.asked != nil {
		g.asked(s)
	}
	if s.confirm {
		g.open++
		c.send(g, s, awaitRunning, true)
	}
	c.settled(s)
}

func awaitRunning(r messages.RequestID) any { return messages.AwaitRunning{Req: r} }

func upUntilRunning(r messages.RequestID) any { return messages.UpService{Req: r, UntilRunning: true} }

func downService(r messages.RequestID) any { return messages.DownService{Req: r, ForRequired: true} }

func (c *Controller) send(g *gather, s *step, mk func(messages.RequestID) any, confirm bool) {
	c.nextReq++
	req := c.nextReq
	pid := c.servicePID(s.e)
	g.names[req] = s.e.cfg.Name
	g.pids[req] = pid
	g.asks[req] = asked{s: s, confirm: confirm}
	c.pending[req] = g
	c.sys.Root.Send(pid, mk(req))
}

func (c *Controller) nameOfRequest(req messages.RequestID) string {
	if g := c.pending[req]; g != nil {
		return g.names[req]
	}
	return ""
}

func (c *Controller) onServiceReply(r messages.ServiceReply) {
	g := c.pending[r.Req]
	if g == nil {
		return // already answered (e.g. the service panicked and replied later)
	}
	delete(c.pending, r.Req)
	a := g.asks[r.Req]
	delete(g.asks, r.Req)
	s := a.s
	if a.confirm {
		g.open--
		c.release(g, s, r.Err)
		c.maybeFinish(g)
		return
	}
	g.open--
	name := s.e.cfg.Name
	s.took = r.Err == nil && !r.Idle
	if s.verb == messages.VerbStop && errors.As(r.Err, new(lifecycle.AlreadyDown)) && (s.asDown || s.tookDown()) {
		r.Err, s.took = nil, true // it did something: a down's answer (REFERENCE §2.8)
	}
	switch {
	case r.Err != nil:
		if s.report {
			g.errs[name] = r.Err
		}
	case s.selected:
		// an up of a service up, a down of one down that brought down no
		// dependent, changed nothing: as the original's, `done N` does
		// not count it (REFERENCE §1.4)
		if !r.Idle || (s.verb != messages.VerbUp && s.verb != messages.VerbDown) || s.asDown || s.tookDown() {
			g.done++
		}
		if s.verb == messages.VerbDestroy {
			c.forget(name)
		}
	}
	switch s.release {
	case releaseOnReply:
		c.release(g, s, r.Err)
	case releaseOnDown:
		if e := c.services[name]; e != s.e || !e.rt.State.IsUp() {
			c.release(g, s, nil)
		} else {
			c.downWaits[name] = append(c.downWaits[name], downWait{g: g, s: s})
		}
	}
	c.maybeFinish(g)
}

// tookDown says whether the stop of s brought down a service that
// requires it (transitively): one whose down or stop answered that it did
// (took), which they all did before s was asked. A stop of a service
// that is down did something then (REFERENCE §2.8). The steps s waits
// for are those dependents (planStop).
func (s *step) tookDown() bool {
	seen := map[*step]bool{}
	var took func(s *step) bool
	took = func(s *step) bool {
		for _, p := range s.after {
			if !seen[p] {
				seen[p] = true
				if p.took || took(p) {
					return true
				}
			}
		}
		return false
	}
	return took(s)
}

// fail settles a step without asking its service, and releases it with
// err: its own failure (it cannot be asked), or one of what it waited
// for; it is reported for a selected service, and for a dependent that
// was to be restarted with it, which is left as it is: its line says so.
func (c *Controller) fail(g *gather, s *step, err error) {
	if s.decided {
		return
	}
	s.decided = true
	g.open--
	if s.report { // selected, or a dependent a restart took along
		g.errs[s.e.cfg.Name] = err
	}
	c.settled(s)
	if s.verb == messages.VerbDestroy && s.selected && c.services[s.e.cfg.Name] == s.e {
		s.e.destroying = false // its destroy is not sent: it stays declared
	}
	c.release(g, s, err)
}

// cancel settles s, a start not asked yet, that a stop of its service
// overtook (cancelStarts): its own failure; what requires it fails with
// it, what only comes after it goes on, once what s waited for is
// released (the next of a rolling restart still waits for the one before
// s to run again: never two restarted at once).
func (c *Controller) cancel(g *gather, s *step) {
	if s.decided {
		return // settled since cancelStarts chose it
	}
	verb := "start"
	if s.verb == messages.VerbRestart || s.verb == messages.VerbRollingRestart {
		verb = "restart"
	}
	err := fmt.Errorf("Service '%s': %s cancelled by a stop", s.e.cfg.Name, verb)
	s.decided = true
	g.open--
	c.settled(s)
	if s.report {
		g.errs[s.e.cfg.Name] = err
	}
	s.released = true
	for _, w := range s.waiters {
		if w.decided {
			continue
		}
		if w.needs[s] {
			w.blocked--
			if !w.cancelled { // else its own cancel settles it
				c.fail(g, w, w.failure(s, err))
			}
			continue
		}
		for _, p := range s.after {
			if !p.released {
				w.wait(p, false)
			}
		}
		w.blocked--
		if w.blocked == 0 && !w.cancelled {
			c.ask(g, w)
		}
	}
}

// release lets the waiters of s go on: those whose wait is over are
// asked; with err, those that require s fail (a start needs what it
// requires running), and so do those after it in a rolling restart.
func (c *Controller) release(g *gather, s *step, err error) {
	if s.released {
		return
	}
	s.released = true
	if s.release == releaseOnDown {
		err = nil // what waits for a service to be down goes on whatever happened to it
	}
	for _, w := range s.waiters {
		if w.decided {
			continue
		}
		w.blocked--
		if err != nil {
			c.fail(g, w, w.failure(s, err))
			continue
		}
		if w.blocked == 0 {
			c.ask(g, w)
		}
	}
}

// failure is why w cannot go on once p, which it waits for, failed with
// err: a service it requires did not come up, or the rolling restart
// stopped.
func (w *step) failure(p *step, err error) error {
	name := w.e.cfg.Name
	switch {
	case p.stopAt != "":
		w.stopAt = p.stopAt
	case w.needs[p] && w.report && !w.selected:
		// a dependent a restart took along, never stopped: it runs on as
		// it was, with its old process (REFERENCE §2.8)
		return fmt.Errorf("Service '%s' was not restarted: requires '%s': %w", name, p.e.cfg.Name, err)
	case w.needs[p]:
		return fmt.Errorf("Service '%s' cannot start: requires '%s': %w", name, p.e.cfg.Name, err)
	default:
		w.stopAt = p.e.cfg.Name
	}
	return fmt.Errorf("not restarted: the rolling restart stopped at %s", w.stopAt)
}

// maybeFinish answers g once it is kicked off and every step is settled.
func (c *Controller) maybeFinish(g *gather) {
	if g.kicked && !g.finished && g.open == 0 {
		g.finished = true
		c.finish(g)
	}
}

// finish answers a gathered request with the "done N" rule of REFERENCE §1.4:
// ERROR with the first failure when nothing succeeded and something
// failed; otherwise `done N` and one `NAME: reason` line per failure.
func (c *Controller) finish(g *gather) {
	var r messages.Reply
	var first error
	failures := []string{}
	for _, name := range g.order {
		if err := g.errs[name]; err != nil {
			if first == nil {
				first = err
			}
			failures = append(failures, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if g.done == 0 && first != nil {
		r = messages.ErrorReply(first)
	} else {
		r.Lines = append([]string{fmt.Sprintf("done %d", g.done)}, failures...)
	}
	if g.to != nil {
		c.sys.Root.Send(g.to, r)
	}
	if g.then != nil {
		g.then(r)
	}
	if c.opts.AfterBurst != nil && len(g.order) >= c.opts.BurstSize {
		go c.opts.AfterBurst()
	}
}

// downWait is a step of a stop whose waiters go on once its service is
// down.
type downWait struct {
	g *gather
	s *step
}

// downReached releases the steps waiting for service name to be down,
// once it is (or is gone).
func (c *Controller) downReached(name string) {
	ws := c.downWaits[name]
	if len(ws) == 0 {
		return
	}
	if e := c.services[name]; e != nil && e.rt.State.IsUp() {
		return
	}
	delete(c.downWaits, name)
	for _, w := range ws {
		c.release(w.g, w.s, nil)
		c.maybeFinish(w.g)
	}
}

// forget removes a destroyed service and stops its actor (see
// serviceGone for the requests it leaves unanswered).
func (c *Controller) forget(name string) {
	e := c.services[name]
	if e == nil {
		return
	}
	delete(c.services, name)
	c.sorted = nil
	c.countRequires(e.cfg.Requires, -1)
	c.opts.tail.forget(name)
	if e.pid != nil {
		c.sys.Root.Stop(e.pid)
	}
	c.log.Infof("service %s destroyed", name)
	if le, ok := c.opts.Launcher.(LeftoverEnder); ok {
		le.EndLeftovers(name)
	}
	if p := c.proxyOfRun(e); p != nil {
		// the proxy of its last run may hold them (REFERENCE §7.5)
		c.sys.Root.Send(p, proxiedEndLeftovers{name: name})
	}
	c.sys.EventStream.Publish(messages.ServiceForgotten{Name: name, At: time.Now(), Tags: e.cfg.Tags})
	c.downReached(name)
}

// serviceGone tells the controller that the actor of a destroyed service
// has stopped. It is sent to self on *actor.Terminated, a system message
// that overtakes user messages: as a user message it comes after every
// reply the actor sent. A stopped actor drops the messages still in its
// mailbox, so the requests still waiting for it are answered here.
type serviceGone struct{ pid *actor.PID }

func (c *Controller) onServiceGone(m serviceGone) {
	var lost []messages.RequestID
	for req, g := range c.pending {
		if g.pids[req].Equal(m.pid) {
			lost = append(lost, req)
		}
	}
	for _, req := range lost {
		name := c.nameOfRequest(req)
		c.onServiceReply(messages.ServiceReply{Req: req, Name: name, Err: fmt.Errorf("Service '%s' was destroyed", name)})
	}
}

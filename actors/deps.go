package actors

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/cfk/cfk/messages"
)

// This file is the controller's side of `requires` (REFERENCE §2.8): the
// cycle check of a declaration, and the plan of a multi-service verb, the
// steps of a gather (gather.go) and what each waits for:
//
//   - a start (start, up, restart, rollingrestart) of X first brings up,
//     with UpService{UntilRunning}, each service X requires that is not
//     selected itself (one that is gets its verb, then AwaitRunning, which
//     starts nothing), and asks X once they all run; one that cannot come
//     up fails X (`Service 'X' cannot start: requires 'a': ...`);
//   - a restart of a then restarts the dependents of a that run, each
//     once what it requires runs again, but those another request's stop
//     is to take down (stopPlanned) or was sent to and has not answered
//     (stopsSent); a restart is asked once the stop of
//     its service that another request planned is (rerun.go);
//   - a stop (stop, down, destroy, shutdown) of a first brings its
//     dependents down (DownService for those not selected) and asks a once
//     they are all down.
//
// Nothing blocks: a step is asked when the replies (or the updates saying a
// service is down) that release what it waits for arrive.

// startsServices reports whether a verb starts what it selects.
func startsServices(v messages.Verb) bool {
	switch v {
	case messages.VerbStart, messages.VerbUp, messages.VerbRestart, messages.VerbRollingRestart:
		return true
	}
	return false
}

// stopsServices reports whether a verb brings what it selects down.
func stopsServices(v messages.Verb) bool {
	switch v {
	case messages.VerbStop, messages.VerbDown, messages.VerbDestroy, messages.VerbShutdown:
		return true
	}
	return false
}

// requiresCycle returns the cycle that service name requiring reqs would
// close, as `name -> ... -> name`, or "" when there is none. Services not
// declared yet require nothing. It searches the declared services as
// they are, from reqs, and only when one of them requires name: a chain
// of N services declared in order (s1 requires s0, s2 requires s1, ...)
// made a copy of the whole graph and walked the chain at each line, and
// 8,000 took cfkd 26 s of CPU (quadratic), every client waiting.
func (c *Controller) requiresCycle(name string, reqs []string) string {
	if c.requirers[name] == 0 && !slices.Contains(reqs, name) {
		return ""
	}
	requiresSearches.Add(1)
	return findCycle(func(n string) []string {
		if n == name {
			return reqs
		}
		if e := c.services[n]; e != nil {
			return e.cfg.Requires
		}
		return nil
	}, name)
}

// requiresSearches counts the searches requiresCycle made (tests: a
// chain declared in order needs none).
var requiresSearches atomic.Int64

// countRequires adds d to the count of requirers of each name of reqs.
func (c *Controller) countRequires(reqs []string, d int) {
	if c.requirers == nil {
		c.requirers = map[string]int{}
	}
	for _, r := range reqs {
		if c.requirers[r] += d; c.requirers[r] <= 0 {
			delete(c.requirers, r)
		}
	}
}

// requiresGraph maps each declared service to what it requires; those
// being destroyed too: the plans of starts and stops take them in while
// they are declared, and a cycle through one would leave two steps
// waiting for each other.
func (c *Controller) requiresGraph() map[string][]string {
	g := make(map[string][]string, len(c.services))
	for n, e := range c.services {
		g[n] = e.cfg.Requires
	}
	return g
}

// findCycle returns a cycle of graph through name, as `name -> ... ->
// name`, or "".
func findCycle(requires func(string) []string, name string) string {
	path := []string{name}
	seen := map[string]bool{name: true}
	var found func(n string) bool
	found = func(n string) bool {
		for _, r := range requires(n) {
			if r == name {
				path = append(path, r)
				return true
			}
			if seen[r] {
				continue
			}
			seen[r] = true
			path = append(path, r)
			if found(r) {
				return true
			}
			path = path[:len(path)-1]
		}
		return false
	}
	if !found(name) {
		return ""
	}
	return strings.Join(path, " -> ")
}

// dependents maps each service name to the declared services that
// require it, in name order.
func (c *Controller) dependents() map[string][]string {
	out := map[string][]string{}
	for name, e := range c.services {
		for _, r := range e.cfg.Requires {
			out[r] = append(out[r], name)
		}
	}
	for _, l := range out {
		sort.Strings(l)
	}
	return out
}

// plan adds to g one step per selected service (targets, in name order)
// and the steps its verb needs for what they require or what requires
// them, with the waits between them.
func (c *Controller) plan(g *gather, targets []*entry) {
	steps := make(map[string]*step, len(targets))
	for _, e := range targets {
		steps[e.cfg.Name] = c.newStep(g, e, g.verb, g.mk, true)
	}
	switch {
	case startsServices(g.verb):
		c.planStart(g, steps)
	case stopsServices(g.verb):
		c.planStop(g, steps)
		if g.verb != messages.VerbShutdown { // a shutdown's halt refuses every start
			c.cancelStarts(g)
		}
	}
}

// cancelStarts: the stop g overtakes the starts of the services it
// brings down that other requests planned and did not ask yet (the start
// of app waiting for what it requires to run, a dependent a restart
// takes along, waiting for what it requires to run again): once those
// ran, they would start a service stopped meanwhile, as if the stop had
// not been (systemd's stop job cancels a start job that waits the same
// way). Each is answered `Service 'NAME': start cancelled by a stop`
// (restart); what requires it fails with it; what only came after it
// (the next of a rolling restart) goes on. The stop of such a service
// that is down is answered as a down: it did something, it is not
// `already down` (still a stop: it ends what the service's runs left).
func (c *Controller) cancelStarts(g *gather) {
	down := make(map[*entry]*step, len(g.all))
	for _, s := range g.all {
		down[s.e] = s
	}
	c.cancelStartsOf(g, down)
}

// cancelStartsOf cancels the starts, planned by requests other than g and
// not asked, of the services of down, each mapped to the step of g that
// brings it down, or to nil: a proxydown's (proxyCommand), whose answer
// is the proxy's.
func (c *Controller) cancelStartsOf(g *gather, down map[*entry]*step) {
	// every start overtaken is marked before any is settled: settling
	// one asks the steps parked on it (rerun.go), which must not be
	// asked if overtaken too
	type overtaken struct {
		g     *gather
		steps []*step
	}
	var all []overtaken
	for _, o := range c.liveGathers() {
		if o == g {
			continue
		}
		// each start the stop overtakes is cancelled for itself, not
		// failed for what it requires being cancelled first
		var cancelled []*step
		for _, s := range o.all {
			if st, ok := down[s.e]; ok && !s.decided && startsServices(s.verb) {
				s.cancelled = true
				cancelled = append(cancelled, s)
				if st != nil && st.selected && st.verb == messages.VerbStop {
					st.asDown = true // it did something: not `already down`
				}
			}
		}
		if len(cancelled) > 0 {
			all = append(all, overtaken{o, cancelled})
		}
	}
	for _, ov := range all {
		for _, s := range ov.steps {
			c.cancel(ov.g, s)
		}
		c.dropUnneeded(ov.g)
		c.abandonUnneeded(ov.g)
		c.maybeFinish(ov.g)
	}
}

// abandonUnneeded settles, once starts of g were cancelled, the waits
// for services to run that no step left needs: a required service g
// asked up, a selected one whose start is followed by an AwaitRunning
// only because a start waited for it. The request is answered now, not
// once they run (they may never: a ready_timeout_secs of 0), as it is
// without such a start (a selected one's start is still answered), and
// each is left to come up on its own (the answer dropped, when it comes).
func (c *Controller) abandonUnneeded(g *gather) {
	for _, s := range g.all {
		if !s.decided || s.released || !s.required && !s.confirm {
			continue
		}
		needed := false
		for _, w := range s.waiters {
			needed = needed || !w.decided && (w.needs[s] || !s.required)
		}
		if needed {
			continue
		}
		for req, a := range g.asks {
			if a.s == s && (s.required || a.confirm) {
				delete(g.asks, req)
				delete(c.pending, req)
				g.open--
			}
		}
		c.release(g, s, nil)
	}
}

// planStart: a restart takes along the dependents that run, and the
// oneshots done (doneOneShot) with theirs, but those another request's
// stop takes down (stopPlanned, stopsSent); every start
// waits for what it requires to run (a step of its own when selected,
// then AwaitRunning, else an UpService{UntilRunning}); a rolling restart then chains every
// step, what is required first.
func (c *Controller) planStart(g *gather, steps map[string]*step) {
	rolling := g.verb == messages.VerbRollingRestart
	if g.verb == messages.VerbRestart || rolling {
		deps := c.dependents()
		var sent map[*entry]bool // stopsSent, made at the first dependent up
		var walk func(name string)
		walk = func(name string) {
			for _, d := range deps[name] {
				e := c.services[d]
				if steps[d] != nil || !e.launched() && !e.doneOneShot() || c.stopPlanned(e) {
					continue
				}
				if sent == nil {
					sent = c.stopsSent()
				}
				if sent[e] {
					continue
				}
				s := c.newStep(g, e, g.verb, g.mk, false)
				s.report = true
				g.order = append(g.order, d)
				steps[d] = s
				walk(d)
			}
		}
		for _, s := range append([]*step(nil), g.all...) {
			walk(s.e.cfg.Name)
		}
	}
	for i := 0; i < len(g.all); i++ { // g.all grows with what is required
		s := g.all[i]
		s.untilRunning = rolling || s.required
		for _, r := range s.e.cfg.Requires {
			re := c.services[r]
			if re == nil {
				if s.failNow == nil {
					s.failNow = fmt.Errorf("Service '%s' cannot start: requires '%s', which is not declared", s.e.cfg.Name, r)
				}
				continue
			}
			p := steps[r]
			if p == nil {
				p = c.newStep(g, re, messages.VerbUp, upUntilRunning, false)
				p.required = true
				steps[r] = p
			}
			s.wait(p, true)
		}
	}
	if rolling {
		chain(g.all)
	}
	for _, s := range g.all {
		if len(s.waiters) > 0 && !s.untilRunning {
			s.confirm, s.release = true, releaseOnRunning
		}
	}
}

// stopPlanned reports whether another request has a stop, down or
// destroy of e planned and not asked yet (the `stop app` waiting for
// web, which requires app, to end): a restart takes along no such
// dependent, which that stop takes down, as it takes none down already
// (REFERENCE §2.8): taken along, it was restarted beneath web, or, its
// restart waiting for that stop (rerun.go), started again once down,
// against the stop.
func (c *Controller) stopPlanned(e *entry) bool {
	return slices.ContainsFunc(c.reruns[e], func(r *step) bool { return stopsServices(r.verb) && !r.decided })
}

// stopsSent lists the services that another request's stop, down or
// destroy (a proxydown's stops too, proxyCommand) was sent to and has
// not answered yet (pending): a restart
// takes none along either, as none another request's stop planned
// (stopPlanned) nor any its service said is stopping (launched). Until
// the answer, what the controller holds of the service may be from
// before it took the stop: its update saying it is stopping comes with
// the answer (before it, from the same actor: the lifecycle publishes a
// stop's `stopping` before it answers), one message later, or once a
// restart's check under way ends, which holds the stop (REFERENCE
// §2.7). A restart of db that came in that window took app along, sent
// its restart once db ran again, and started app again after the stop
// (§2.8).
func (c *Controller) stopsSent() map[*entry]bool {
	out := map[*entry]bool{}
	for req, g := range c.pending {
		if a := g.asks[req]; a.s != nil && !a.confirm && stopsServices(a.s.verb) {
			out[a.s.e] = true
		}
	}
	return out
}

// chain makes each step wait for the one before it, in an order where
// what a step requires comes first (the order of steps otherwise).
func chain(steps []*step) {
	var order []*step
	placed := map[*step]bool{}
	var place func(s *step)
	place = func(s *step) {
		if placed[s] {
			return
		}
		placed[s] = true
		for _, p := range s.after {
			place(p)
		}
		order = append(order, s)
	}
	for _, s := range steps {
		place(s)
	}
	for i := 1; i < len(order); i++ {
		order[i].wait(order[i-1], false)
	}
}

// planStop: every step waits for the dependents of its service to be
// down (a DownService for those not selected, whatever their state: down
// already, it changes nothing).
func (c *Controller) planStop(g *gather, steps map[string]*step) {
	deps := c.dependents()
	if len(deps) == 0 {
		return
	}
	for i := 0; i < len(g.all); i++ { // g.all grows with the dependents
		s := g.all[i]
		for _, d := range deps[s.e.cfg.Name] {
			p := steps[d]
			switch {
			case p == nil:
				p = c.newStep(g, c.services[d], messages.VerbDown, downService, false)
				steps[d] = p
			case p.verb == messages.VerbDown:
				// selected too (down all): a service it requires stops, so
				// its down does not wait for a lookup (REFERENCE §2.1)
				p.mk = downService
			}
			s.wait(p, false)
		}
	}
	for _, s := range g.all {
		if len(s.waiters) > 0 {
			s.release = releaseOnDown
		}
	}
}

// dropUnneeded settles, unasked, the steps that would only bring up what
// steps that already failed require (a start that cannot happen starts
// nothing for it).
func (c *Controller) dropUnneeded(g *gather) {
	for changed := true; changed; {
		changed = false
		for _, s := range g.all {
			if s.decided || !s.required {
				continue
			}
			needed := false
			for _, w := range s.waiters {
				needed = needed || !w.decided && w.needs[s]
			}
			if !needed {
				s.decided, changed = true, true
				g.open--
				c.settled(s)
				c.release(g, s, nil)
			}
		}
	}
}

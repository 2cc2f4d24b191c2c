package actors

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cfk/cfk/messages"
)

// This file keeps two requests that touch one service in the order a
// user means (REFERENCE §2.8): a step that waits for a service to run
// (the UpService{UntilRunning} of a start to what it requires, or a
// start answered by AwaitRunning) while another request has planned a
// restart of that service and not asked it yet (the oneshot migrate a
// restart of db takes along, waiting for db to run again) is parked:
// asked once that restart is asked, so that the service's mailbox has
// the restart first, and the wait is for the run it begins. Without it,
// both went on when db ran: the start found migrate done and let app
// start, and migrate ran again beside app. A stop, down or destroy
// planned and not asked (the down of db waiting for app to be down
// first) parks such a wait likewise (changesRun): the up it sends then
// comes after the down, and starts db again once down. A restart
// (restarts), a change itself, is parked too: behind a stop, down or
// destroy of its service planned and not asked yet (the `stop db`
// waiting for app to end), so that it finds db stopping for that stop:
// an operator's restart starts it again once down (restart's row in
// stopping), an apply's leaves it to go down (its `apply restart` row;
// REFERENCE §1.4, §2.7, §2.8). It was asked at once, and stopped db
// beneath app still running.
//
// Invariants:
//   - reruns holds, by service, the steps planned and not decided that
//     change its run (changesRun); a step leaves it as it is decided (asked, failed,
//     cancelled or dropped: settled), and its parked steps are asked
//     then, unless decided or cancelled meanwhile: a parked step waits
//     for a decision, never for a reply, so a restart cancelled by a stop
//     or failed for what it requires releases them too;
//   - a step is never parked on a change (a restart; a stop, down or
//     destroy) that waits, through the steps
//     before it and the steps they are parked on, for that step: two
//     requests never wait for each other (it goes on unparked, as
//     before);
//   - a parked step is undecided: its gather is not answered, and it is
//     in parked (in the order parked), so that what looks for the requests under way
//     (liveGathers) finds its gather even with nothing in flight.

// changesRun reports whether a step of verb v ends or replaces the run
// of its service: a restart, or a stop, down or destroy. A wait for the
// service to run that another request's such step precedes is parked
// behind it: a start of app planned while a down of db waits for app to
// be down first found db still running, let app start, and the down then
// stopped db under it (app running, db stopped).
func changesRun(v messages.Verb) bool {
	switch v {
	case messages.VerbRestart, messages.VerbRollingRestart, messages.VerbStop, messages.VerbDown, messages.VerbDestroy:
		return true
	}
	return false
}

// restarts reports whether a step of verb v restarts its service (an
// operator's restart or rollingrestart, an apply's restart): such a step
// yields to a stop, down or destroy of its service that another request
// planned and has not asked yet (park).
func restarts(v messages.Verb) bool {
	return v == messages.VerbRestart || v == messages.VerbRollingRestart
}

// parkedStep is a step of g parked on a change of another request (changesRun).
type parkedStep struct {
	g *gather
	s *step
}

// planned records s, if it changes its service's run (changesRun), as a
// change to come.
func (c *Controller) planned(s *step) {
	if changesRun(s.verb) {
		c.reruns[s.e] = append(c.reruns[s.e], s)
	}
}

// park parks s, a step of g about to be asked, if it waits for its
// service to run while another request's change of its run (changesRun)
// is not asked yet; it reports whether it did. A restart (restarts) is
// parked so behind a stop, down or destroy of its service not asked yet
// (the `stop db` waiting for app, which requires db, to end): asked
// after it, it finds db stopping for that stop, and an operator's
// restart starts it again once down, an apply's leaves it to go down
// (its `apply restart` row; REFERENCE §1.4, §2.7, §2.8); asked before,
// it stopped db beneath app and started it again, and the stop then
// stopped that new run.
func (c *Controller) park(g *gather, s *step) bool {
	yields := restarts(s.verb)
	if !yields && (changesRun(s.verb) || !s.required && !s.confirm) {
		return false
	}
	for _, r := range c.reruns[s.e] {
		if r.decided || r.cancelled || waitsOn(r, s) || yields && !stopsServices(r.verb) {
			continue
		}
		s.parkedOn = r
		r.parked = append(r.parked, parkedStep{g, s})
		c.parked = append(c.parked, parkedStep{g, s})
		return true
	}
	return false
}

// waitsOn reports whether r cannot be asked before s is: s is among the
// steps r waits for, transitively, or the restarts those are parked on.
func waitsOn(r, s *step) bool {
	seen := map[*step]bool{}
	var walk func(x *step) bool
	walk = func(x *step) bool {
		if x == s {
			return true
		}
		if seen[x] {
			return false
		}
		seen[x] = true
		for _, a := range x.after {
			if !a.released && walk(a) {
				return true
			}
		}
		return x.parkedOn != nil && !x.decided && walk(x.parkedOn)
	}
	return walk(r)
}

// settled is told of each step decided: a restart leaves reruns, and the
// steps parked on it are asked (after its own message, when it was
// asked: its service takes the restart first).
func (c *Controller) settled(s *step) {
	c.unpark(s)
	if changesRun(s.verb) {
		left := slices.DeleteFunc(c.reruns[s.e], func(r *step) bool { return r == s })
		if len(left) == 0 {
			delete(c.reruns, s.e)
		} else {
			c.reruns[s.e] = left
		}
	}
	ps := s.parked
	s.parked = nil
	for _, p := range ps {
		p.s.parkedOn = nil
		c.unpark(p.s)
		if !p.s.decided && !p.s.cancelled {
			c.ask(p.g, p.s)
			c.maybeFinish(p.g)
		}
	}
}

// liveGathers lists the requests with steps not settled: each has a
// request in flight (pending), a step waiting for a service to be down
// (downWaits), or a step parked; each once, in that order.
func (c *Controller) liveGathers() []*gather {
	seen := map[*gather]bool{}
	var out []*gather
	add := func(g *gather) {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	for _, req := range slices.Sorted(maps.Keys(c.pending)) {
		add(c.pending[req])
	}
	for _, name := range slices.Sorted(maps.Keys(c.downWaits)) {
		for _, w := range c.downWaits[name] {
			add(w.g)
		}
	}
	for _, p := range c.parked {
		add(p.g)
	}
	return out
}

// unpark takes s out of the steps parked.
func (c *Controller) unpark(s *step) {
	c.parked = slices.DeleteFunc(c.parked, func(p parkedStep) bool { return p.s == s })
}

// underWayQuery asks the controller what it holds of the requests under
// way, one line each (underWay): what a test checks is empty once every
// request is answered, and shows when one is not.
type underWayQuery struct{}

// underWay describes the requests with steps not settled (liveGathers),
// each undecided step with the change it is parked on, the changes
// planned and not asked (reruns), and the requests in flight.
func (c *Controller) underWay() []string {
	var out []string
	for _, g := range c.liveGathers() {
		line := fmt.Sprintf("%s %q:", g.verb, g.order)
		for _, s := range g.all {
			if s.decided {
				continue
			}
			line += fmt.Sprintf(" %s %s (blocked %d)", s.verb, s.e.cfg.Name, s.blocked)
			if r := s.parkedOn; r != nil {
				line += fmt.Sprintf(" parked on %s %s", r.verb, r.e.cfg.Name)
			}
			line += ";"
		}
		out = append(out, line)
	}
	for _, e := range slices.SortedFunc(maps.Keys(c.reruns), func(a, b *entry) int { return strings.Compare(a.cfg.Name, b.cfg.Name) }) {
		out = append(out, fmt.Sprintf("changes of %s planned: %d", e.cfg.Name, len(c.reruns[e])))
	}
	if n := len(c.parked); n > 0 {
		out = append(out, fmt.Sprintf("steps parked: %d", n))
	}
	if n := len(c.pending); n > 0 {
		out = append(out, fmt.Sprintf("requests in flight: %d", n))
	}
	return out
}

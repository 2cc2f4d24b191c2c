package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// gather collects the replies of the services a multi-service verb was
// sent to, and answers the requester once all have replied.
type gather struct {
	verb    messages.Verb
	mk      func(messages.RequestID) any // the message for one service
	to      *actor.PID                   // the requester; nil for an internal request
	names   map[messages.RequestID]string
	pids    map[messages.RequestID]*actor.PID // the service actor asked
	waiting int
	done    int
	order   []string         // the services concerned, in selection order
	errs    map[string]error // the failures by service
	then    func(messages.Reply)
	// queue holds the services not asked yet by a sequential gather
	// (rolling restart): the next one is asked once the previous one has
	// succeeded; the first failure stops it.
	queue []*entry
}

// fanOut sends the verb's message mk(req) to every target (one after the
// other for a rolling restart) and answers to once all have replied (at
// once when there is none); then, if set, runs after the answer.
func (c *Controller) fanOut(verb messages.Verb, mk func(messages.RequestID) any, to *actor.PID,
	targets []*entry, then func(messages.Reply)) *gather {
	return c.gatherOn(verb, mk, to, targets, verb == messages.VerbRollingRestart, then)
}

// gatherOn sends mk(req) to every target (only the first when sequential)
// and gathers the ServiceReplies.
func (c *Controller) gatherOn(verb messages.Verb, mk func(messages.RequestID) any, to *actor.PID,
	targets []*entry, sequential bool, then func(messages.Reply)) *gather {
	g := &gather{verb: verb, mk: mk, to: to, names: map[messages.RequestID]string{},
		pids: map[messages.RequestID]*actor.PID{}, errs: map[string]error{}, then: then}
	for _, e := range targets {
		g.order = append(g.order, e.cfg.Name)
	}
	if sequential && len(targets) > 1 {
		targets, g.queue = targets[:1], append([]*entry(nil), targets[1:]...)
	}
	for _, e := range targets {
		c.ask(g, e)
	}
	if g.waiting == 0 {
		c.finish(g)
	}
	return g
}

// ask sends the gather's message to one service, unless its proxy
// refuses the start at once (recorded as that service's failure).
func (c *Controller) ask(g *gather, e *entry) {
	if err := c.startRefusal(g.verb, e); err != nil {
		g.errs[e.cfg.Name] = err
		c.next(g, messages.ServiceReply{Name: e.cfg.Name, Err: err})
		return
	}
	c.nextReq++
	req := c.nextReq
	g.names[req] = e.cfg.Name
	g.pids[req] = e.pid
	g.waiting++
	c.pending[req] = g
	if g.verb == messages.VerbDestroy {
		e.destroying = true
	}
	c.sys.Root.Send(e.pid, g.mk(req))
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
	g.waiting--
	if r.Err != nil {
		g.errs[r.Name] = r.Err
	} else {
		g.done++
		if g.verb == messages.VerbDestroy {
			c.forget(r.Name)
		}
	}
	c.next(g, r)
	if g.waiting == 0 {
		c.finish(g)
	}
}

// next asks the next service of a sequential gather, or stops it at the
// first failure (the services left are reported as not done).
func (c *Controller) next(g *gather, r messages.ServiceReply) {
	for len(g.queue) > 0 {
		e := g.queue[0]
		g.queue = g.queue[1:]
		switch {
		case r.Err != nil:
			g.errs[e.cfg.Name] = fmt.Errorf("not restarted: the rolling restart stopped at %s", r.Name)
		case c.services[e.cfg.Name] != e:
			g.errs[e.cfg.Name] = fmt.Errorf("Service '%s' was destroyed", e.cfg.Name)
		default:
			c.ask(g, e)
			return
		}
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

// forget removes a destroyed service and stops its actor (see
// serviceGone for the requests it leaves unanswered).
func (c *Controller) forget(name string) {
	e := c.services[name]
	if e == nil {
		return
	}
	delete(c.services, name)
	c.sys.Root.Stop(e.pid)
	c.log.Infof("service %s destroyed", name)
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

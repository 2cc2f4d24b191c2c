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
	to      *actor.PID // the requester; nil for an internal request
	names   map[messages.RequestID]string
	waiting int
	done    int
	order   []string         // the services concerned, in selection order
	errs    map[string]error // the failures by service
	then    func(messages.Reply)
}

// fanOut sends the verb's command to every target and answers to once
// all have replied (at once when there is none); then, if set, runs after
// the answer.
func (c *Controller) fanOut(ctx actor.Context, verb messages.Verb, to *actor.PID, targets []*entry,
	then func(messages.Reply)) *gather {
	g := &gather{verb: verb, to: to, names: map[messages.RequestID]string{}, errs: map[string]error{}, then: then}
	mk := verbMessage(verb)
	for _, e := range targets {
		g.order = append(g.order, e.cfg.Name)
		c.nextReq++
		req := c.nextReq
		g.names[req] = e.cfg.Name
		g.waiting++
		c.pending[req] = g
		if verb == messages.VerbDestroy {
			e.destroying = true
		}
		ctx.Send(e.pid, mk(req))
	}
	if g.waiting == 0 {
		c.finish(g)
	}
	return g
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
	if g.waiting == 0 {
		c.finish(g)
	}
}

// finish answers a gathered request with the "done N" rule of SPEC §1.4:
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
}

// forget removes a destroyed service and stops its actor.
func (c *Controller) forget(name string) {
	e := c.services[name]
	if e == nil {
		return
	}
	delete(c.services, name)
	c.sys.Root.Stop(e.pid)
	c.log.Infof("service %s destroyed", name)
}

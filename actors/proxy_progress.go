package actors

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// This file is what a proxy actor knows of its process's progress through
// the starts it was sent (REFERENCE §4.5), and its answer to a service
// whose pid the proxy has not reported after startwait and killwait
// (lifecycle.AskProxy). A proxy handles its commands in order: one that
// preloads an application reads its first start line only once loaded,
// and one that forks hundreds of services one after another (the Python
// proxy: some 20 a second on a loaded host) reaches the last ones late.
// Neither fails them: a service waits again while the proxy gets on
// toward its start. Nothing polls: the service's own killwait timer asks,
// the actor answers at once from what it recorded.
//
// The proxy gets on toward start S when it has answered (started, or
// stopped with no started before it) none of the starts sent after S,
// and either answered one since S last asked (at first: since S was
// sent), or answered none at all in this run yet and was launched less
// than Options.ProxyCommandStall ago (it is loading). So a proxy that
// answers nothing for killwait, once loaded, fails the service that
// asks; one that skips S fails S at its next ask; one that loads for
// longer than the stall bound fails them all; and a proxy that answers
// the starts before S keeps S waiting at most as many killwaits as there
// are starts before it.

// Messages between a service and its proxy's actor.
type (
	// proxyPidWait: service name, whose start attempt has no pid yet,
	// asks whether the proxy gets on toward that start (gen: the
	// lifecycle's ask); answered proxyPidWaitAnswer at once.
	proxyPidWait struct {
		svc     *actor.PID
		name    string
		attempt uint64
		gen     uint64
	}
	// proxyPidWaitAnswer: why the proxy does not get on toward the
	// start; nil: it does.
	proxyPidWaitAnswer struct {
		attempt uint64
		gen     uint64
		why     error
	}
)

// proxyProgress is what a run of the proxy answered, and when.
type proxyProgress struct {
	began    time.Time // the run's launch began (or its adoption)
	sent     uint64    // the start lines sent to the run: each start's seq
	answered uint64    // the highest seq of a start answered
	last     time.Time // when a start was last answered; zero: none yet
}

// answer records that the start seq was answered now.
func (g *proxyProgress) answer(seq uint64) {
	g.answered = max(g.answered, seq)
	g.last = time.Now()
}

// pidWait answers a service's ask.
func (p *Proxy) pidWait(ctx actor.Context, m proxyPidWait) {
	ctx.Send(m.svc, proxyPidWaitAnswer{attempt: m.attempt, gen: m.gen, why: p.stuck(m.name, m.attempt)})
}

// stuck says why the proxy does not get on toward start attempt of
// service name; nil when it does.
func (p *Proxy) stuck(name string, attempt uint64) error {
	now, stall := time.Now(), p.opts.ProxyCommandStall
	for _, q := range p.queued {
		if q.cfg.Name != name || q.attempt != attempt {
			continue
		}
		// the start waits for the launch under way (a fork slot, an exec
		// on a slow disk), or for the end of the run that stops
		// (ProxyGrace at most), to be sent
		if p.state == proxyIsStopping || now.Sub(p.prog.began) < stall {
			return nil
		}
		return fmt.Errorf("proxy '%s' is not launched %v after its launch began", p.cfg.Name, round(now.Sub(p.prog.began)))
	}
	var st *proxiedStart
	for _, s := range p.starts[name] {
		if s.ref.attempt == attempt && !s.left {
			st = s
		}
	}
	switch {
	case st == nil:
		return fmt.Errorf("proxy '%s' has no start of it under way", p.cfg.Name)
	case st.pid != 0:
		return nil // reported: the pid reaches the service before this answer
	case p.prog.answered > st.seq:
		return fmt.Errorf("proxy '%s' answered a start sent after it", p.cfg.Name)
	}
	since := st.asked
	st.asked = now
	switch {
	case p.prog.last.After(since):
		return nil
	case p.prog.last.IsZero() && now.Sub(p.prog.began) < stall:
		return nil // loading
	case p.prog.last.IsZero():
		return fmt.Errorf("proxy '%s' answered no start in the %v since its launch", p.cfg.Name, round(now.Sub(p.prog.began)))
	}
	return fmt.Errorf("proxy '%s' answered no start for %v", p.cfg.Name, round(now.Sub(p.prog.last)))
}

// round is d to the tenth of a second, for a log line.
func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// An auto proxy is shut down once none of its services is up (REFERENCE
// §4.5). A service that went to backoff is not up, but starts again by
// itself when its retry is due: shut down then, the proxy was launched
// again for that start, its preload done again at every retry of a crash
// loop. Its word that it is down carries the retry's time, and the proxy
// is held up until then and a grace after it (the start goes through
// its checks and a fork slot first); a start of it ends the hold. A hold
// is a deadline, never a wait for a word: a service stopped or destroyed
// during its backoff lets the proxy end when the hold expires.

// proxyHolds are the services in backoff that hold an auto proxy up, by
// name: until when.
type proxyHolds map[string]time.Time

// proxyHoldExpired: the earliest hold armed for run may have expired.
type proxyHoldExpired struct{ run uint64 }

// hold keeps the proxy up for service name until retry, plus the grace
// (Options.ProxyHoldGrace).
func (p *Proxy) hold(name string, retry time.Time) {
	if p.holds == nil {
		p.holds = proxyHolds{}
	}
	p.holds[name] = retry.Add(p.opts.ProxyHoldGrace)
}

// heldUntil drops the holds expired at now and says until when the
// others hold the proxy (zero: none does).
func (p *Proxy) heldUntil(now time.Time) time.Time {
	var until time.Time
	for name, t := range p.holds {
		switch {
		case !t.After(now):
			delete(p.holds, name)
		case until.IsZero() || t.Before(until):
			until = t
		}
	}
	return until
}

// armHold makes the proxy look again when the earliest hold expires.
func (p *Proxy) armHold(ctx actor.Context, until time.Time) {
	if p.holdTimer != nil {
		p.holdTimer.Stop()
	}
	root, self, run := ctx.ActorSystem().Root, p.self, p.run
	p.holdTimer = time.AfterFunc(time.Until(until), func() { root.Send(self, proxyHoldExpired{run: run}) })
}

// stopHolds drops every hold (the proxy ends, or runs no more).
func (p *Proxy) stopHolds() {
	clear(p.holds)
	if p.holdTimer != nil {
		p.holdTimer.Stop()
		p.holdTimer = nil
	}
}

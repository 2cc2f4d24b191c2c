package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// A proxy whose status pipe closes while its process runs (REFERENCE
// §4.5) can report no pid and no exit any more: its services would stay
// `starting` until the pid waits ran out (30 s for a proxy that had
// answered nothing), `running` for ever, and the starts sent after would
// wait for answers that cannot come. cfkd shuts it down, as when it
// reads no command, and its services go `fail` at its end with their
// reason saying why (lifecycle.EvProxyMute).
//
// The end of the pipe is also how a proxy's exit begins: its status
// reader meets EOF before the reaper hands on its end (which waits for
// that EOF, proxyStatusDrain at most). So the EOF is taken for a closed
// pipe only when the process has not exited proxyMuteWait after it: a
// one-shot timer, armed only then. proxyMuteWait is four times the
// reaper's own wait: an exit whose reaping a loaded host delays is not
// said to be a closed pipe (its services would fail `proxy closed its
// status pipe`, not `proxy stopped`).
const proxyMuteWait = 4 * proxyStatusDrain

// Messages of a closed status pipe.
type (
	// proxyStatusClosed: the status reader of run met EOF, not frozen.
	proxyStatusClosed struct{ run uint64 }
	// proxyStatusSilent: proxyMuteWait after that EOF.
	proxyStatusSilent struct{ run uint64 }
)

// proxyMute is what a run whose status pipe closed is: the timer that
// waits for its exit, then muted once cfkd shuts it down for it.
type proxyMute struct {
	timer *time.Timer
	muted bool
}

func (m *proxyMute) cancel() {
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
}

// statusClosed: the status pipe of the run met its end; unless the
// process exits meanwhile, it is shut down proxyMuteWait later.
func (p *Proxy) statusClosed(ctx actor.Context, m proxyStatusClosed) {
	if m.run != p.run || p.state != proxyIsUp || p.mute.timer != nil {
		return // a former run's, or one being shut down already
	}
	root, self := ctx.ActorSystem().Root, p.self
	p.mute.timer = time.AfterFunc(proxyMuteWait, func() { root.Send(self, proxyStatusSilent{run: m.run}) })
}

// statusSilent: the process of the run still runs proxyMuteWait after
// its status pipe closed: it is shut down.
func (p *Proxy) statusSilent(ctx actor.Context, m proxyStatusSilent) {
	if m.run != p.run || p.state != proxyIsUp {
		return
	}
	p.mute = proxyMute{muted: true}
	p.log.Errorf("proxy '%s' closed its status pipe while it runs: it can report no pid and no exit any more: shutting it down", p.cfg.Name)
	p.shutdown(ctx)
}

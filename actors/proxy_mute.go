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
// A proxy whose log pipe closes while its process runs can forward no
// line any more: its services' output, and its own messages, would be
// lost without a word for as long as it runs, and it could not cross an
// upgrade in place (refused, `is ending`, for ever). It is shut down
// alike, its services failing with their reason saying so
// (lifecycle.EvProxyLogClosed). When both pipes closed, the status
// pipe's is said: its services would also hang.
//
// The end of a pipe is also how a proxy's exit begins: its readers meet
// EOF before the reaper hands on its end (which waits for the status
// pipe's EOF, proxyStatusDrain at most). So the EOF is taken for a
// closed pipe only when the process has not exited proxyMuteWait after
// it: a one-shot timer, armed only then. proxyMuteWait is four times the
// reaper's own wait: an exit whose reaping a loaded host delays is not
// said to be a closed pipe (its services would fail `proxy closed its
// status pipe`, not `proxy stopped`).
const proxyMuteWait = 4 * proxyStatusDrain

// Messages of a closed status or log pipe.
type (
	// proxyStatusClosed: the status reader of run met EOF, not frozen.
	proxyStatusClosed struct{ run uint64 }
	// proxyLogClosed: the log reader of run met EOF, not frozen.
	proxyLogClosed struct{ run uint64 }
	// proxyStatusSilent: proxyMuteWait after the first such EOF.
	proxyStatusSilent struct{ run uint64 }
)

// proxyMute is what a run whose status or log pipe closed is: the timer
// that waits for its exit, then muted ("status" or "log": the pipe it
// closed) once cfkd shuts it down for it.
type proxyMute struct {
	timer *time.Timer
	muted string
}

func (m *proxyMute) cancel() {
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
}

// pipeClosed: the status or log pipe of the run met its end; unless the
// process exits meanwhile, it is shut down proxyMuteWait later
// (Options.proxyMuteWait).
func (p *Proxy) pipeClosed(ctx actor.Context, run uint64) {
	if run != p.run || p.state != proxyIsUp || p.mute.timer != nil {
		return // a former run's, or one being shut down already
	}
	root, self := ctx.ActorSystem().Root, p.self
	p.mute.timer = time.AfterFunc(p.opts.proxyMuteWait, func() { root.Send(self, proxyStatusSilent{run: run}) })
}

// statusSilent: the process of the run still runs proxyMuteWait after
// its status or log pipe closed: it is shut down, said once, an error
// (an event).
func (p *Proxy) statusSilent(ctx actor.Context, m proxyStatusSilent) {
	if m.run != p.run || p.state != proxyIsUp {
		return
	}
	if p.pr.isClosed("status") {
		p.mute = proxyMute{muted: "status"}
		p.log.Errorf("proxy '%s' closed its status pipe while it runs: it can report no pid and no exit any more: shutting it down", p.cfg.Name)
	} else {
		p.mute = proxyMute{muted: "log"}
		p.log.Errorf("proxy '%s' closed its log pipe while it runs: its services' output and its own would be lost: shutting it down", p.cfg.Name)
	}
	p.shutdown(ctx)
}

package actors

import (
	"strings"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// This file is the service's side of running under a proxy (SPEC §4.5):
// the proxy forks the process; the service actor keeps the same state
// machine, fed by the proxy actor instead of the launcher and the reaper.
//
//   - start sends a start request (with an attempt number) to the proxy
//     actor, through the controller, and arms startwait; the process has
//     no pid until the proxy reports `started`, which assigns it and
//     re-arms startwait.
//   - the proxy's `stopped` comes as a ProcessExited: the exit handling of
//     a direct child, unchanged.
//   - stop sends the stop command; when stopwait elapses and the process
//     still lives, cfkd SIGKILLs its pid itself (as the original's
//     `$svc->kill`): the proxy may be stuck, cfkd is not. Only the pid: the
//     proxy put it in a session cfkd does not know as a group. When one
//     more stopwait passes without the proxy reporting the exit (or the
//     proxy never gave a pid), the service is considered down, in fail
//     (the original: "not stopped but, not pid?"), so that a stuck proxy
//     cannot hold a stop or a shutdown forever.
//   - the end of the proxy process fails the service (`proxy stopped`) if
//     it was up with that start.
//   - the proxy refusing the start (a noauto proxy that is down, a proxy
//     that cannot run) fails the service with the proxy's message.

// startProxied asks the proxy to start the service; the state is that of
// start (SPEC §2.1) without a pid yet.
func (s *Service) startProxied(ctx actor.Context, shown []string) {
	s.attempt++
	s.runProxy, s.killed = s.cfg.Proxy, false
	s.proc = nil
	s.runningCmd = strings.Join(shown, " ")
	s.log.Infof("starting %s (proxy %s)", s.cfg.Name, s.runProxy)
	s.transition(ctx, messages.Starting, "")
	s.arm(ctx, s.cfg.StartWait, startWaitElapsed{Gen: s.gen})
	s.toldUp = true
	ctx.Send(ctx.Parent(), toProxy{proxy: s.runProxy,
		msg: proxyStartRequest{svc: s.self, cfg: s.cfg, attempt: s.attempt}})
}

// leaveProxy tells the proxy of the last run that the service is no
// longer up there (before a start elsewhere, or once down).
func (s *Service) leaveProxy(ctx actor.Context) {
	if s.toldUp {
		s.toldUp = false
		ctx.Send(ctx.Parent(), toProxy{proxy: s.runProxy, msg: proxiedServiceDown{name: s.cfg.Name}})
	}
}

// proxyStarted: the proxy reported the pid.
func (s *Service) proxyStarted(ctx actor.Context, m proxyServiceStarted) {
	if m.attempt != s.attempt || !s.state.IsUp() || s.proc != nil {
		return
	}
	s.proc = &osproc.Process{Pid: m.pid}
	s.log.WithField("pid", m.pid).Infof("%s started by proxy %s", s.cfg.Name, s.runProxy)
	if s.state == messages.Starting {
		s.gen++ // a startwait timer armed before has no pid to vouch for
		s.arm(ctx, s.cfg.StartWait, startWaitElapsed{Gen: s.gen})
	}
	s.publishRuntime(ctx)
}

// proxyRefused: the proxy did not even try (SPEC §4.5).
func (s *Service) proxyRefused(ctx actor.Context, m proxyStartRefused) {
	if m.attempt != s.attempt || s.state != messages.Starting || s.proc != nil {
		return
	}
	s.log.WithError(m.err).Error("proxy refused to start the service")
	s.runningCmd, s.stopTime = "", time.Now()
	s.transition(ctx, messages.Fail, m.err.Error())
	s.afterDown(ctx)
}

// proxyGone: the proxy process ended while the service was up under it.
func (s *Service) proxyGone(ctx actor.Context, m proxyStopped) {
	if m.attempt != s.attempt || !s.state.IsUp() || s.runProxy == "" {
		return
	}
	s.log.Infof("'%s' has stopped: proxy stopped", s.cfg.Name)
	s.proc, s.runningCmd, s.stopTime = nil, "", time.Now()
	s.transition(ctx, messages.Fail, "proxy stopped")
	s.afterDown(ctx)
}

// publishRuntime sends the controller the runtime after a change that is
// no transition (a pid assigned by the proxy).
func (s *Service) publishRuntime(ctx actor.Context) {
	ctx.Send(ctx.Parent(), messages.ServiceUpdated{Runtime: s.runtime()})
}

// proxiedStopWaitElapsed: the proxy did not report the exit within
// stopwait: SIGKILL the pid, and after one more stopwait give up waiting.
func (s *Service) proxiedStopWaitElapsed(ctx actor.Context) {
	if s.proc != nil && !s.killed {
		s.killed = true
		s.log.WithField("pid", s.proc.Pid).Warnf("service %s still running after %v, killing.", s.cfg.Name, s.cfg.StopWait)
		s.signal(syscall.SIGKILL)
		s.gen++
		s.arm(ctx, s.cfg.StopWait, stopWaitElapsed{Gen: s.gen})
		return
	}
	s.log.Errorf("service %s not stopped, and proxy %s did not report its exit: considered down", s.cfg.Name, s.runProxy)
	s.proc, s.runningCmd = nil, ""
	s.transition(ctx, messages.Fail, "proxy did not report the exit")
	s.afterDown(ctx)
}

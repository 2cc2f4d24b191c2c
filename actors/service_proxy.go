package actors

import (
	"errors"
	"slices"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// This file is the service's side of running under a proxy (REFERENCE
// §4.5): the proxy forks the process; the lifecycle is the same table,
// fed by the proxy actor instead of the launcher and the reaper.
//
//   - Launch sends a start request (with the attempt number) to the proxy
//     actor, through the controller: the service is starting, without a
//     pid until the proxy reports `started` (EvPidReported re-arms
//     startwait; the table says whether that pid is the run's, HoldPid,
//     or a start given up's, KillGivenUp). With no pid after startwait
//     and killwait, the proxy actor is asked whether the proxy gets on
//     toward the start (AskProxy, proxy_progress.go): the service waits
//     again while it does.
//   - the proxy's `stopped` comes as a ProcessExited: the exit handling of
//     a direct child, unchanged.
//   - Terminate sends the stop command, with the attempt: the proxy actor
//     answers proxyStopHeard once it handled it (a start it held
//     dropped, or its line taken back, their refusal sent first; or the
//     stop line written), which answers a stop made before the pid
//     (lifecycle.EvStopBeforePid) with the state it led to; Kill SIGKILLs the pid through a
//     pidfd that the proxy actor's status reader opened when the proxy
//     reported the pid, after checking that the process is the proxy's
//     child: cfkd never signals a pid that the proxy may have reaped and
//     the kernel given to another process. When the proxy never reports
//     the exit (killwait), the service is considered down, in fail.
//   - the end of the proxy process fails the service (`proxy stopped`) if
//     it was up with that attempt; a refusal fails it with the proxy's
//     message.

// startProxied asks the proxy to start the service, with the env_file's
// variables (envFile) in its env, add_env winning over them (REFERENCE
// §2.4).
func (s *Service) startProxied(ctx actor.Context, attempt uint64, envFile []messages.EnvVar) {
	s.dropProc()
	s.runProxy = s.cfg.Proxy
	s.log.Infof("starting %s (proxy %s)", s.cfg.Name, s.runProxy)
	if s.cfg.User != "" || s.cfg.Group != "" {
		// the start line carries no identity (REFERENCE §1.1): the
		// proxy runs it as its own user, cfkd's
		s.log.Warnf("%s: user and group are ignored under a proxy: proxy %s runs it as its own user", s.cfg.Name, s.runProxy)
	}
	if s.cfg.LimitNofile != "" {
		// nor a limit of open files
		s.log.Warnf("%s: limit_nofile is ignored under a proxy: proxy %s runs it with its own", s.cfg.Name, s.runProxy)
	}
	if s.cfg.Umask != "" {
		// the start line has no umask (REFERENCE §1.1, §4.2)
		s.log.Warnf("%s: umask is ignored under a proxy: proxy %s runs it with its own", s.cfg.Name, s.runProxy)
	}
	if len(s.cfg.ListenSockets) > 0 {
		// the start line has no field for them (REFERENCE §3, §9.4): a
		// systemd-style service finds no LISTEN_FDS
		s.log.Warnf("%s: listen_sockets are not passed under a proxy: proxy %s gives it no fds 3, 4, ... and no LISTEN_FDS, only its tie_stdin_to socket", s.cfg.Name, s.runProxy)
	}
	cfg := *s.cfg
	if len(envFile) > 0 {
		cfg.Env = append(slices.Clip(envFile), cfg.Env...) // a later pair wins in the start command's env
	}
	ctx.Send(ctx.Parent(), toProxy{proxy: s.runProxy,
		msg: proxyStartRequest{svc: s.self, cfg: cfg, attempt: attempt, decl: s.tailGen}})
	s.runReady, s.runWatchdog = s.cfg.Ready, 0 // no WATCHDOG_USEC: ready=notify is not for a proxied service
	s.runReadyTimeout = s.cfg.ReadyTimeout
	s.notifyStatus = ""
	s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvLaunched, Attempt: attempt, Proxied: true, Ready: s.runReady != ""})
}

// leaveProxy tells the proxy of the run that the service is no longer up
// there.
//
// retry, when set, is when the service, in backoff, starts again by
// itself: an auto proxy holds for that start (proxy_hold.go), until the
// start, or until the service says it is down for good (a stop or a
// fatal from backoff: publish), or a grace after retry.
func (s *Service) leaveProxy(ctx actor.Context, retry time.Time) {
	ctx.Send(ctx.Parent(), toProxy{proxy: s.runProxy, msg: proxiedServiceDown{name: s.cfg.Name, retry: retry}})
	s.proxyHeld = !retry.IsZero()
}

// askProxy asks the proxy of the run whether it gets on toward the start
// whose pid it has not reported (lifecycle.AskProxy): its actor answers
// at once (proxy_progress.go).
func (s *Service) askProxy(ctx actor.Context, a lifecycle.AskProxy) {
	ctx.Send(ctx.Parent(), toProxy{proxy: s.runProxy,
		msg: proxyPidWait{svc: s.self, name: s.cfg.Name, attempt: a.Attempt, gen: a.Gen}})
}

// pidReported: the proxy reported the pid, with a handle on the process
// when one could be had. The table decides what becomes of it (REFERENCE
// §2.7): the run's process (HoldPid), killed as a start given up
// (KillGivenUp: an earlier attempt's, or one that comes once the service
// is down), or neither (a second report); the handle is kept until its
// event is applied (it may wait behind a restart's check), then released
// unless held.
func (s *Service) pidReported(ctx actor.Context, m proxyServiceStarted) {
	s.reports = append(s.reports, m)
	s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvPidReported, Attempt: m.attempt, Pid: m.pid, Ended: m.ended, By: m.proxy})
}

// report takes out of the reports not applied yet the one of attempt and
// pid (ok false when there is none).
func (s *Service) report(attempt uint64, pid int) (m proxyServiceStarted, ok bool) {
	i := slices.IndexFunc(s.reports, func(r proxyServiceStarted) bool { return r.attempt == attempt && r.pid == pid })
	if i < 0 {
		return m, false
	}
	m = s.reports[i]
	s.reports = slices.Delete(s.reports, i, i+1)
	return m, true
}

// holdPid: the process of the report is the run's (lifecycle.HoldPid).
func (s *Service) holdPid(e lifecycle.HoldPid) {
	m, ok := s.report(e.Attempt, e.Pid)
	if !ok {
		return
	}
	s.dropProc()
	s.proc, s.procEnded = m.proc, m.ended
}

// releaseReports releases the handles of the reports whose event was
// applied without a row holding or killing them (a second report of the
// run's pid): only those whose event waits (Deferred) are kept.
func (s *Service) releaseReports() {
	kept := s.reports[:0]
	for _, m := range s.reports {
		if slices.ContainsFunc(s.lc.Deferred, func(e lifecycle.Event) bool {
			return e.Kind == lifecycle.EvPidReported && e.Attempt == m.attempt && e.Pid == m.pid
		}) {
			kept = append(kept, m)
			continue
		}
		m.proc.Close()
	}
	clear(s.reports[len(kept):])
	s.reports = kept
	if len(s.reports) == 0 {
		s.reports = nil
	}
}

// killGivenUp SIGKILLs, through its handle, the process a proxy reported
// for a start the service gave up (lifecycle.KillGivenUp, REFERENCE
// §4.5): the proxy actor kills such a `started` itself once it knows the
// service down, but the
// service's word that it is down (proxiedServiceDown, through the
// controller) may reach it after the `started`, which it then answers as
// the start's. Nobody would supervise that process. Without a handle (no
// pidfds, REFERENCE §11) it is left alone. The log names the proxy that
// forked it, from the message: the service's own proxy may have changed
// since (an apply) and its run's is forgotten once the run is over. A
// process that had ended before its handle could be taken (the proxy
// stopped it already) is not killed, and no warning: its start is left
// all the same, what it left ended at its exit.
func (s *Service) killGivenUp(ctx actor.Context, e lifecycle.KillGivenUp) {
	m, ok := s.report(e.Attempt, e.Pid)
	if !ok {
		return
	}
	defer m.proc.Close()
	if m.ended {
		s.log.Infof("proxy '%s' started '%s' (pid %d) for a start the service gave up: it had already ended", m.proxy, s.cfg.Name, m.pid)
		if m.from != nil {
			ctx.Send(m.from, proxiedStartKilled{name: s.cfg.Name, pid: m.pid})
		}
		return
	}
	if m.proc == nil {
		s.log.Debugf("proxy '%s' reported pid %d for a start the service gave up: no handle on it, not killed", m.proxy, m.pid)
		return
	}
	s.log.Warnf("proxy '%s' started '%s' (pid %d) for a start the service gave up: killing it", m.proxy, s.cfg.Name, m.pid)
	if m.from != nil {
		// before the kill, so that its exit comes after: what it left
		// is ended as a given-up start's (REFERENCE §4.5, §7.5)
		ctx.Send(m.from, proxiedStartKilled{name: s.cfg.Name, pid: m.pid})
	}
	if err := s.opts.Launcher.Signal(m.proc, syscall.SIGKILL); err != nil && !errors.Is(err, osproc.ErrDone) {
		s.log.WithError(err).Warnf("proxy '%s': cannot kill pid %d", m.proxy, m.pid)
	}
}

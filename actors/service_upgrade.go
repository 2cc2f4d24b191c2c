package actors

import (
	"syscall"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/notify"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
)

// This file is a service's side of an upgrade in place (REFERENCE §13).
// Export: the service answers with its declaration and lifecycle once no
// launch is pending (a launch's outcome is awaited off the actor only
// while a user lookup or an env_file read runs); a freezing export then
// stashes every further message, so that what the state says stays true
// until the exec. Thaw (the exec failed, or the check refused the binary)
// replays them in order. Restore, in the new cfkd: the lifecycle as it
// was, its process adopted from the launcher, its output pipes read
// again, its timer re-armed at its original deadline (one in the past
// fires at once); a proxied run's once the handle on its process, taken
// off the actor, has come, so that a kill the timer fires has it, and a
// `signal` asked meanwhile waits for it too.

// Messages of an upgrade, from the controller.
type (
	exportService struct {
		req    uint64
		freeze bool
	}
	serviceExported struct {
		req uint64
		svc upgrade.Service
	}
	thawService    struct{}
	restoreService struct {
		svc      upgrade.Service
		proc     *osproc.Process
		proxyPid int // the pid of its proxy's process (a proxied run)
		// sharedHeld: the controller acquired the count of the run's
		// uid on the shared notify socket (svc.NotifyUid), which the
		// run now owns
		sharedHeld bool
	}
	// adoptedHandle: the handle on a proxied process, taken off the actor
	adoptedHandle struct {
		pid  int
		proc *osproc.Process
	}
)

// Adopter is what the launcher of a tree that restores an upgrade's state
// must do besides Launcher (osproc.Launcher does).
type Adopter interface {
	Adopt(pid int, group bool, onExit func(pid int, ws syscall.WaitStatus)) *osproc.Process
	AdoptOutput(p osproc.FrozenPipe, emit func(pid int, line []byte)) error
	AdoptOutputLines(p osproc.FrozenPipe, lines func(pid int, l *osproc.Lines)) error
}

// ServiceAdopter, when the launcher is one, adopts a service's process
// knowing whose it is (cfkd's, to find its orphans after a stop), and
// whether the cfkd replaced was stopping it (its exit is then a stop's).
type ServiceAdopter interface {
	AdoptService(name string, pid int, group, stopping bool, onExit func(pid int, ws syscall.WaitStatus)) *osproc.Process
}

// serviceUpgrade is a service's upgrade state.
type serviceUpgrade struct {
	exportWait *exportService // an export waiting for a launch's outcome
	frozen     bool
	stash      []any
	// handleWait: restored, its timer waits for the handle on its
	// proxied process (adoptedHandle), which a kill it fires needs
	handleWait bool
	// signals: the `signal` requests that came meanwhile, which go
	// through that handle too: handled once it came (or could not be
	// taken: they are refused then, saying so)
	signals []messages.SignalService
}

// upgradeMessage handles the upgrade's messages and, while frozen, stashes
// the others; it reports whether msg was taken.
func (s *Service) upgradeMessage(ctx actor.Context, msg any) bool {
	switch msg.(type) {
	case exportService, thawService, restoreService, adoptedHandle:
		s.upgradeStep(ctx, msg)
		return true
	case *actor.Stopping, *actor.Stopped, *actor.Restarting: // (Started: Receive's)
		return false
	}
	if s.up.frozen {
		s.up.stash = append(s.up.stash, msg)
		return true
	}
	if w := s.up.exportWait; w != nil {
		s.handle(ctx, msg)
		if s.lc.Launching == 0 && s.lc.Checking == 0 {
			s.up.exportWait = nil
			s.export(ctx, *w)
		}
		return true
	}
	return false
}

// upgradeStep handles one of the upgrade's messages. It is upgradeMessage's
// apart: its frame (a restoreService holds a whole upgrade.Service) is
// not on the stack of every other message.
func (s *Service) upgradeStep(ctx actor.Context, msg any) {
	switch m := msg.(type) {
	case exportService:
		if s.lc.Launching != 0 || s.lc.Checking != 0 { // a restart's check: as a launch's outcome
			s.up.exportWait = &m
			return
		}
		s.export(ctx, m)
	case thawService:
		s.up.frozen, s.up.exportWait = false, nil
		stash := s.up.stash
		s.up.stash = nil
		for i, m := range stash {
			if _, ok := m.(rearm); ok {
				s.rearmTimer(ctx)
				continue
			}
			s.handle(ctx, m)
			if s.up.frozen { // frozen again by a replayed export
				s.up.stash = append(s.up.stash, stash[i+1:]...)
				break
			}
		}
		if !s.up.frozen {
			s.reprobe(ctx) // the freeze ended it
		}
	case restoreService:
		s.restore(ctx, m)
	case adoptedHandle:
		if s.proc == nil && s.lc.Pid == m.pid && s.lc.State.IsUp() {
			s.proc = m.proc
		} else {
			m.proc.Close()
		}
		if s.up.handleWait {
			s.up.handleWait = false
			if !s.up.frozen { // else re-armed by thaw, or by the next cfkd
				s.rearmTimer(ctx)
			}
			signals := s.up.signals
			s.up.signals = nil
			for _, sig := range signals {
				if s.up.frozen { // replayed by thaw
					s.up.stash = append(s.up.stash, sig)
					continue
				}
				s.handle(ctx, sig)
			}
		}
	}
}

// export answers an export with what the service is now, and freezes it
// when asked to.
func (s *Service) export(ctx actor.Context, m exportService) {
	lc := s.lc
	lc.Waiters, lc.Deferred = nil, nil // requests of this cfkd: their clients are closed
	svc := upgrade.Service{Config: *s.cfg, Lifecycle: lc, RunningCmd: s.runningCmd,
		NotifyStatus: s.notifyStatus, Group: s.runGroup, RunReady: s.runReady, // the run's: a declaration applies at the next start
		Decl: s.tailGen}
	if s.runCfg != nil && s.runCfg != s.cfg { // a run of a former declaration
		run := *s.runCfg
		svc.RunConfig = &run
	}
	if s.runWatchdog >= 0 {
		wd := s.runWatchdog
		svc.RunWatchdog = &wd
	}
	if s.runReadyTimeout >= 0 {
		rt := s.runReadyTimeout
		svc.RunReadyTimeout = &rt
	}
	if s.sharedUid >= 0 {
		uid := s.sharedUid
		svc.NotifyUid = &uid
	}
	for _, st := range s.up.stash { // reaped before the launcher froze, said once frozen
		switch e := st.(type) {
		case messages.ProcessExited:
			// Reported too: a proxy's exit with no status of an end is
			// said as what it is after the exec (REFERENCE §4.3), not
			// as its Status (0x7f: `Exited with error -1`)
			svc.Exits = append(svc.Exits, upgrade.Exit{Pid: e.Pid, Status: e.Status, Reported: e.Reported})
		case notifyReceived:
			svc.Notified = append(svc.Notified, upgrade.Notified{Pid: e.msg.Pid, Pgid: e.msg.Pgid, Uid: e.msg.Uid, Shared: e.msg.Shared, Fields: e.msg.Fields})
		}
	}
	if m.freeze && !s.up.frozen {
		s.up.frozen = true
		s.cancelTimer() // its deadline is in the lifecycle: re-armed by thaw or by the new cfkd
		// so is its readiness probe: the process of an exec: probe is
		// in no state, and nobody would end it after the exec (the new
		// cfkd, or thaw, probes again)
		s.unprobe()
		s.up.stash = append(s.up.stash, rearm{})
	}
	ctx.Send(ctx.Parent(), serviceExported{req: m.req, svc: svc})
}

// rearm re-arms the timer of the lifecycle, as it is, at its deadline.
type rearm struct{}

func (s *Service) rearmTimer(ctx actor.Context) {
	if s.up.handleWait {
		return // armed once the handle on its process came (adoptedHandle)
	}
	if s.lc.Timer != lifecycle.TimerNone {
		s.arm(ctx, lifecycle.Arm{Kind: s.lc.Timer, Deadline: s.lc.Deadline, Gen: s.lc.Gen})
	}
}

// restore takes the service over from the former cfkd: its process was
// adopted by the controller (proc, nil when there is none or it was
// reaped already: its exit is in svc.Exits).
func (s *Service) restore(ctx actor.Context, m restoreService) {
	s.lc, s.runningCmd, s.notifyStatus, s.runGroup = m.svc.Lifecycle, m.svc.RunningCmd, m.svc.NotifyStatus, m.svc.Group
	if m.sharedHeld {
		// the controller acquired the run's count on the shared notify
		// socket for it (restoreState): the run owns it now
		s.sharedUid = *m.svc.NotifyUid
		if s.lc.Pid == 0 && s.lc.Launching == 0 {
			s.releaseShared()
		}
	}
	if s.runReady = m.svc.RunReady; s.runReady == "" && s.lc.State == messages.Starting && !s.lc.Ready {
		s.runReady = s.cfg.Ready // from a cfkd that did not carry it
	}
	// the run's declaration: the current one unless the state says
	// another (a cfkd before it was carried: the current one then)
	if s.runCfg = s.cfg; m.svc.RunConfig != nil {
		run := *m.svc.RunConfig
		s.runCfg = &run
	}
	if s.runWatchdog = -1; m.svc.RunWatchdog != nil {
		s.runWatchdog = *m.svc.RunWatchdog
	}
	if s.runReadyTimeout = -1; m.svc.RunReadyTimeout != nil {
		s.runReadyTimeout = *m.svc.RunReadyTimeout
	}
	s.proc = m.proc
	if s.lc.Proxied {
		s.runProxy = s.cfg.Proxy
		if pid, parent := s.lc.Pid, m.proxyPid; pid != 0 && parent != 0 && s.lc.State.IsUp() {
			// Handle reads /proc: off the actor (REFERENCE §4.5). The
			// timer waits for it: a stopwait that ran out during the
			// exec fires at once, and its kill needs the handle
			launcher, root, self := s.opts.Launcher, ctx.ActorSystem().Root, s.self
			s.up.handleWait = true
			go func() {
				proc, err := launcher.Handle(pid, parent)
				if err != nil {
					proc = nil // no handle: the process is not signalled (REFERENCE §11)
				}
				root.Send(self, adoptedHandle{pid: pid, proc: proc})
			}()
		}
	} else if s.lc.State == messages.Backoff && s.runCfg.Proxy != "" {
		// its run's proxy held for its retry (the hold is not carried,
		// proxy_hold.go): a stop or a fatal before the retry lets it go
		s.runProxy, s.proxyHeld = s.runCfg.Proxy, true
	}
	s.rearmTimer(ctx)
	ctx.Send(ctx.Parent(), s.updated())
	for _, e := range m.svc.Exits {
		s.handle(ctx, messages.ProcessExited{Pid: e.Pid, Status: e.Status, Reported: e.Reported})
	}
	for _, n := range m.svc.Notified {
		s.handle(ctx, notifyReceived{msg: notify.Message{Pid: n.Pid, Pgid: n.Pgid, Uid: n.Uid, Shared: n.Shared, Fields: n.Fields}})
	}
	s.reprobe(ctx)
}

// reprobe watches the readiness of a run still waiting for it, as its
// launch did: after an upgrade, which ended the former cfkd's probe, or
// after a freeze that ended, which ended this one's. A proxied run whose
// pid is not reported yet has no probe: the report starts it (REFERENCE
// §2.9).
func (s *Service) reprobe(ctx actor.Context) {
	if s.lc.State == messages.Starting && s.runReady != "" && !s.lc.Ready && (!s.lc.Proxied || s.lc.Pid != 0) {
		s.probe(ctx, s.lc.Attempt)
	}
}

package actors

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// timerElapsed is the message a service's timer sends it: the kind and
// generation it was armed with (a stale one is dropped by the table).
type timerElapsed struct {
	Kind lifecycle.TimerKind
	Gen  uint64
}

// Service is the actor of one service. Its supervision is the lifecycle
// table (package lifecycle, REFERENCE §2.7): Receive turns each message
// into an event, lifecycle.Next says what to do, and the actor carries
// out the effects (service_run.go: launch, signals, the process spec;
// service_identity.go: its user, group and env_file, off the actor;
// service_proxy.go: the same through a proxy).
type Service struct {
	opts  *Options // the controller's, shared by every service
	log   serviceLog
	cfg   *messages.ServiceConfig // the controller's too: never changed, replaced
	self  *actor.PID
	files map[string]*os.File // the bound sockets, by name (SocketsChanged); never mutated
	// declared: the names of the declared sockets, bound or not
	// (socketsDeclared); never mutated
	declared map[string]bool
	// forking is the declaration the launch under way was built with (nil
	// when none is): its sockets are held by the fork, whatever the
	// service is declared with since
	forking *messages.ServiceConfig

	lc    lifecycle.Lifecycle
	now   time.Time     // of the event being applied: its transitions happened then
	timer *serviceTimer // service_timer.go

	// The current run: the process (a direct child, or a handle on the
	// pid a proxy reported), the proxy that runs it, the command as status
	// shows it.
	proc      *osproc.Process
	procEnded bool // the process a proxy reported had ended before cfkd could take a handle on it (proc is nil)
	// reports are the proxy's reports of a pid whose event the table has
	// not applied yet (it waits behind a restart's check), each with its
	// handle (service_proxy.go)
	reports  []proxyServiceStarted
	runProxy string
	// proxyHeld: the service told runProxy that it is in backoff, to be
	// started again there: the proxy holds for it until it is started,
	// or is told it is down for good (proxy_hold.go)
	proxyHeld  bool
	runningCmd string
	runGroup   bool // the run leads its own process group (launched with setsid)
	// runID names the run in its environment (CFK_RUN_ID, REFERENCE
	// §2.4): a new one at each fork; "" before the first
	runID string
	// runCfg is the declaration the run was launched with (nil: none;
	// after an upgrade in place, the one the state carries, else the
	// current one): the controller compares it
	// with the current one, an apply restarts a run of a former one
	// (REFERENCE §1.4)
	runCfg *messages.ServiceConfig

	// Readiness: the probe running, and what the service said last
	// (sd_notify STATUS=).
	probeCancel  func()
	probeFailed  *atomic.Pointer[probeTry] // the probe's last failed try, said when the run is not ready in time
	notifyStatus string
	// runReady is the ready= the current run was launched with: its
	// readiness is watched as launched (REFERENCE §2.9: a change applies
	// from the next launch)
	runReady string
	// runWatchdog is the watchdog period the current run was told
	// (WATCHDOG_USEC; 0: none), -1 when not known (a run a former cfkd
	// did not carry it for): the declaration's then. A watchdog_secs
	// declared or changed while it runs applies from the next launch
	// (REFERENCE §2.9); set to 0, it ends the run's watchdog at once.
	runWatchdog time.Duration
	// runReadyTimeout is the ready_timeout_secs of the current run, -1
	// when not known (a run a former cfkd did not carry it for): the
	// declaration's then. One declared or changed while it starts
	// applies from the next launch (REFERENCE §2.9).
	runReadyTimeout time.Duration
	// probeRun is the environment, directory, session and identity the
	// current run was launched with, kept for its ready=exec: probe
	// (REFERENCE §2.9: the service's, its user's HOME and env_file
	// included); nil for another readiness, or after an upgrade in place
	probeRun *osproc.Spec
	// shimSaid is the last warning of the variables its shim drops, and
	// of which declaration: said once a declaration (warnShimDropsEnv)
	shimSaid shimWarning
	// oversizeSaid is when a notify datagram of the service over
	// notify.MaxDatagram was last logged (once in oversizeEvery at most)
	oversizeSaid time.Time
	// sharedUid is the uid of the run given the shared notify socket,
	// -1 when none: the run holds one count of it on the socket
	// (Acquire) until it has no process (releaseShared), and only its
	// datagrams there are taken
	sharedUid int
	// lookingUp is the attempt whose user lookup or env_file read runs
	// off the actor (0: none)
	lookingUp uint64

	// An upgrade in place (service_upgrade.go): exported and frozen, the
	// messages that came since, replayed on thaw.
	up serviceUpgrade
	// tailGen is the declaration of the service in the Tail (its entry's):
	// the lines of its runs are kept only while it is declared, not once
	// it is destroyed and declared again under its name
	tailGen uint64
}

func newService(opts *Options, cfg *messages.ServiceConfig, files map[string]*os.File, declared map[string]bool) *Service {
	return &Service{
		opts:     opts,
		cfg:      cfg,
		files:    files,
		declared: declared,
		log:      serviceLog{log: opts.Log, name: cfg.Name},
		// no run holds the shared notify socket
		sharedUid:       -1,
		runWatchdog:     -1,
		runReadyTimeout: -1,
	}
}

// Receive implements actor.Actor. Started, every service's first
// message, is taken before the rest, with no frame of upgradeMessage or
// handle on the stack (upgradeMessage keeps its upgrade steps in a
// function apart: its frame is small).
func (s *Service) Receive(ctx actor.Context) {
	msg := ctx.Message()
	if _, ok := msg.(*actor.Started); ok {
		s.self = ctx.Self()
		return
	}
	if s.upgradeMessage(ctx, msg) {
		return
	}
	s.handle(ctx, msg)
}

// handle handles one message (Receive's, or one replayed on thaw).
func (s *Service) handle(ctx actor.Context, msg any) {
	type ev = lifecycle.Event
	switch m := msg.(type) {
	case messages.ConfigureService:
		s.cfg = m.Config
		if s.cfg.Ready == "" && s.runReady != "" && s.lc.State == messages.Starting && !s.lc.Ready {
			// a run waiting for the readiness its service no longer
			// declares (REFERENCE §2.9): running at startwait, or now if
			// that is over, its probe stopped; it failed at the ready
			// timeout when startwait was over already
			s.unprobe()
			s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvReady, Attempt: s.lc.Attempt})
		}
	case messages.SocketsChanged:
		if m.Req != 0 && m.Unbind != "" && s.lc.Launching != 0 &&
			(s.cfg.UsesSocket(m.Unbind) || (s.forking != nil && s.forking.UsesSocket(m.Unbind))) {
			// an unbind waits for it, and its launch in flight holds the
			// socket (a respawn that the controller could not see
			// coming): the unbind is undone, the table kept
			s.reply(ctx, m.Req, fmt.Errorf("its launch under way uses socket '%s'", m.Unbind))
			return
		}
		if m.Req != 0 && m.Unbind != "" && s.lc.State.IsUp() && s.cfg.UsesSocket(m.Unbind) {
			// launched since the controller looked (its respawn: the
			// controller saw it failed, its starting still on the way):
			// its run holds the socket as an up service's does
			s.reply(ctx, m.Req, fmt.Errorf("its run uses socket '%s'", m.Unbind))
			return
		}
		s.files = m.Files
		if m.Req != 0 {
			s.reply(ctx, m.Req, nil) // the old table is never used again
		}
	case socketsDeclared:
		s.declared = m.names
	case messages.StartService:
		s.feed(ctx, ev{Kind: lifecycle.EvStart, Req: m.Req})
	case messages.UpService:
		s.feed(ctx, ev{Kind: lifecycle.EvUp, Req: m.Req, Rolling: m.UntilRunning})
	case messages.StopService: // waits for a lookup under way (REFERENCE §2.1)
		s.feed(ctx, ev{Kind: lifecycle.EvStop, Req: m.Req})
	case messages.DownService:
		e := ev{Kind: lifecycle.EvDown, Req: m.Req}
		if m.ForRequired { // an operator's down waits, as a stop does
			e.Abandoned = s.abandonLookup(ctx, "the stop of what it requires")
			s.abandonCheck(ctx, nil)
		}
		s.feed(ctx, e)
	case messages.RestartService:
		if m.IfFormer && !s.launchFormer() {
			s.reply(ctx, m.Req, nil) // what runs, or will, is the declaration
			return
		}
		e := ev{Kind: lifecycle.EvRestart, Req: m.Req, Rolling: m.UntilRunning, Proxy: m.Proxy}
		if m.Apply {
			e.Kind = lifecycle.EvApplyRestart
		}
		if s.lc.State == messages.Starting || s.lc.State == messages.Running {
			// a start its declaration refuses is known before its
			// process is stopped (REFERENCE §2.7): the process is kept;
			// what needs the disk or a name service is the table's
			// CheckLaunch's, off the actor
			_, _, e.Err = s.spec()
			if e.Err == nil && m.Proxy != nil {
				e.Err = proxyArgvErr(s.cfg.Name, m.Proxy)
			}
		}
		s.feed(ctx, e)
	case messages.DestroyService:
		s.abandonLookup(ctx, "its destroy")
		s.abandonCheck(ctx, nil)
		s.feed(ctx, ev{Kind: lifecycle.EvHalt, Req: m.Req, Destroy: true})
	case messages.HaltService:
		s.abandonLookup(ctx, "the shutdown")
		s.abandonCheck(ctx, nil)
		s.feed(ctx, ev{Kind: lifecycle.EvHalt, Req: m.Req})
	case proxyDownCancel:
		s.cancelForProxyDown(ctx, m.proxy)
	case messages.ProcessExited:
		s.feed(ctx, ev{Kind: lifecycle.EvExited, Pid: m.Pid, Status: m.Status, Reported: m.Reported})
	case proxyServiceStarted:
		s.pidReported(ctx, m)
	case proxyStartRefused:
		k := lifecycle.EvProxyRefused
		switch {
		case errors.Is(m.err, osproc.ErrCancelled): // cfkd's shutdown: no failure (REFERENCE §7.4)
			k = lifecycle.EvProxyCancelled
		case m.why == refusedDownCame: // launched before a proxydown (REFERENCE §4.5)
			k = lifecycle.EvProxyCancelled
		case m.why == refusedShort:
			k = lifecycle.EvProxyShort
		}
		e := ev{Kind: k, Attempt: m.attempt, Err: m.err}
		if m.why == refusedDownCame {
			e.Cause = lifecycle.CauseProxyDown // not the shutdown's to count
		}
		s.feed(ctx, e)
	case proxyStopHeard:
		s.feed(ctx, ev{Kind: lifecycle.EvProxyStopHeard, Attempt: m.attempt})
	case proxyStopped:
		k := lifecycle.EvProxyGone
		switch m.muted {
		case "status":
			k = lifecycle.EvProxyMute
		case "log":
			k = lifecycle.EvProxyLogClosed
		}
		s.feed(ctx, ev{Kind: k, Attempt: m.attempt})
	case proxyPidWaitAnswer:
		k := lifecycle.EvProxyMoving
		if m.why != nil {
			k = lifecycle.EvProxyStuck
		}
		s.feed(ctx, ev{Kind: k, Attempt: m.attempt, Gen: m.gen, Err: m.why})
	case credResolved:
		s.resolved(ctx, m)
	case launchChecked:
		s.checked(ctx, m)
	case forkDone:
		s.forked(ctx, m)
	case readyProbed:
		s.feed(ctx, ev{Kind: lifecycle.EvReady, Attempt: m.attempt})
	case notifyReceived:
		s.notified(ctx, m)
	case messages.AwaitRunning:
		s.feed(ctx, ev{Kind: lifecycle.EvAwait, Req: m.Req})
	case messages.SignalService:
		if s.up.handleWait { // restored: answered once its handle came (service_upgrade.go)
			s.up.signals = append(s.up.signals, m)
			break
		}
		if err := s.unsignallable(); err != nil {
			s.reply(ctx, m.Req, err)
			break
		}
		s.feed(ctx, ev{Kind: lifecycle.EvSignal, Req: m.Req, Sig: m.Sig})
	case timerElapsed:
		e := ev{Kind: m.Kind.Elapsed(), Gen: m.Gen}
		if short := s.probeShort(); short != nil && e.Kind == lifecycle.EvReadyElapsed {
			// cfkd could not run the probe's last try: its shortage,
			// not the service's failure (REFERENCE §2.9)
			e.Kind, e.Err = lifecycle.EvReadyShort, short
		}
		s.feed(ctx, e)
	case *actor.Stopping:
		s.cancelTimer()
		s.unprobe()
		s.dropProc()
		for _, m := range s.reports { // their events are never applied
			m.proc.Close()
		}
		s.reports = nil
		s.releaseShared()
	case *actor.Stopped, *actor.Restarting:
	default:
		s.log.WithField("message", fmt.Sprintf("%T", m)).Warn("service: unknown message ignored")
	}
}

// feed runs one event through the table and carries out its effects.
func (s *Service) feed(ctx actor.Context, ev lifecycle.Event) {
	s.now = time.Now()
	l, fx := lifecycle.Next(s.lc, s.policy(), lifecycle.Input{Event: ev, Now: s.now, Roll: rand.Uint32()})
	s.lc = l
	for _, e := range fx {
		s.carry(ctx, e)
	}
	if len(s.reports) > 0 {
		s.releaseReports()
	}
	if s.sharedUid >= 0 && s.lc.Pid == 0 && s.lc.Launching == 0 {
		s.releaseShared() // the run ended, or never ran
	}
}

func (s *Service) policy() lifecycle.Policy {
	p := lifecycle.PolicyOf(*s.cfg, s.opts.BackoffUnit, s.opts.RestartDelay)
	p.KillWaitMin = s.opts.killWaitMin
	if p.Watchdog > 0 && s.runWatchdog >= 0 {
		p.Watchdog = s.runWatchdog // the run's, as its WATCHDOG_USEC says
	}
	if s.runReadyTimeout >= 0 {
		p.ReadyTimeout = s.runReadyTimeout
	}
	return p
}

// carry carries out one effect.
func (s *Service) carry(ctx actor.Context, e lifecycle.Effect) {
	switch e := e.(type) {
	case lifecycle.Launch:
		s.launch(ctx, e.Attempt)
	case lifecycle.CheckLaunch:
		s.checkLaunch(ctx, e.N, e.Proxy)
	case lifecycle.Terminate:
		s.terminate(ctx, e.Sig)
	case lifecycle.Signal:
		if e.Stop {
			s.signalStop(e.Sig)
			break
		}
		s.signal(e.Sig)
	case lifecycle.Probe:
		s.probe(ctx, e.Attempt)
	case lifecycle.Unprobe:
		s.unprobe()
	case lifecycle.Kill:
		s.kill(e.Pid)
	case lifecycle.HoldPid:
		s.holdPid(e)
	case lifecycle.KillGivenUp:
		s.killGivenUp(ctx, e)
	case lifecycle.Arm:
		s.arm(ctx, e)
	case lifecycle.Disarm:
		s.cancelTimer()
	case lifecycle.Publish:
		s.publish(ctx, e)
	case lifecycle.Update:
		ctx.Send(ctx.Parent(), s.updated())
	case lifecycle.Reply:
		ctx.Send(ctx.Parent(), messages.ServiceReply{Req: e.Req, Name: s.cfg.Name, Err: e.Err, Idle: e.Idle})
	case lifecycle.LeaveProxy:
		s.leaveProxy(ctx, e.Retry)
	case lifecycle.AskProxy:
		s.askProxy(ctx, e)
	case lifecycle.EndLeftovers:
		if le, ok := s.opts.Launcher.(LeftoverEnder); ok {
			le.EndLeftovers(s.cfg.Name)
		}
		if s.runProxy != "" { // the proxy of its last run may hold them (REFERENCE §7.5)
			ctx.Send(ctx.Parent(), toProxy{proxy: s.runProxy, msg: proxiedEndLeftovers{name: s.cfg.Name}})
		}
	case lifecycle.Log:
		s.logEffect(e)
	default:
		s.log.Errorf("service: unknown effect %T", e)
	}
}

func (s *Service) reply(ctx actor.Context, req messages.RequestID, err error) {
	ctx.Send(ctx.Parent(), messages.ServiceReply{Req: req, Name: s.cfg.Name, Err: err})
}

// publish tells the controller, then the event stream: whoever reacts to
// the event and then asks for the status finds it up to date (the update
// is already in the controller's mailbox, ahead of any request the event
// triggers).
func (s *Service) publish(ctx actor.Context, p lifecycle.Publish) {
	if !p.To.IsUp() {
		s.dropProc()
	}
	if s.proxyHeld && p.From == messages.Backoff && !p.To.IsUp() {
		s.leaveProxy(ctx, time.Time{}) // stopped or given up: the proxy holds no more
	}
	ctx.Send(ctx.Parent(), s.updated())
	ctx.ActorSystem().EventStream.Publish(messages.ServiceStateChanged{
		Name: s.cfg.Name, From: p.From, To: p.To, Pid: p.Pid, Reason: p.Reason, At: s.now, Tags: s.cfg.Tags,
	})
}

// updated is what the controller is told after a change: the runtime and
// the run's declaration.
func (s *Service) updated() messages.ServiceUpdated {
	return messages.ServiceUpdated{Runtime: s.runtime(), Run: s.runCfg}
}

// runtime is what status shows of the service now.
func (s *Service) runtime() messages.ServiceRuntime {
	rt := s.lc.Runtime(s.cfg.Name, s.runningCmd)
	rt.NotifyStatus = s.notifyStatus
	return rt
}

// logLevels are the logrus levels of the lifecycle's.
var logLevels = [...]logrus.Level{
	lifecycle.Debug: logrus.DebugLevel, lifecycle.Info: logrus.InfoLevel,
	lifecycle.Warn: logrus.WarnLevel, lifecycle.Error: logrus.ErrorLevel,
}

// heldBackCounted and readyShortCounted are what the counts of the
// records of lifecycle's ShortageHeldBack and ShortageNotReady not logged
// count (mutedSince; REFERENCE §2.1, §2.9).
const (
	heldBackCounted   = "starts held back by cfkd's shortage"
	readyShortCounted = "runs stopped not ready for cfkd's shortage"
)

// eventFields are the maps logEffect hands to Options.Events.
var eventFields = sync.Pool{New: func() any { return make(logrus.Fields, 2) }}

func (s *Service) logEffect(e lifecycle.Log) {
	lvl := logrus.InfoLevel
	if int(e.Level) < len(logLevels) {
		lvl = logLevels[e.Level]
	}
	if e.NotStarted { // counted for the shutdown's one line (REFERENCE §7.4)
		s.opts.notStarted.Add(1)
	}
	if !s.log.log.IsLevelEnabled(lvl) {
		return // no entry made for nothing
	}
	if e.Shortage != lifecycle.NoShortage { // one a second across the services (REFERENCE §2.1, §2.9)
		limit, counted := s.opts.shortageLog, heldBackCounted
		if e.Shortage == lifecycle.ShortageNotReady {
			limit, counted = s.opts.readyShortLog, readyShortCounted
		}
		ok, muted := limit.Allow()
		if !ok {
			return
		}
		if muted > 0 {
			e.Msg += " (and " + mutedSince(muted, counted) + ")"
		}
	}
	if ev := s.opts.Events; ev != nil && lvl >= logrus.InfoLevel {
		// a map from a pool (EventLogger keeps none): not one made per
		// record, two per service in a mass stop, nor one kept by each
		// of thousands of services
		data := eventFields.Get().(logrus.Fields)
		data["service"] = s.cfg.Name
		if e.Pid != 0 {
			data["pid"] = e.Pid
		}
		ev.Event(lvl, data, e.Msg)
		clear(data)
		eventFields.Put(data)
		return
	}
	if e.Pid != 0 {
		s.log.WithField("pid", e.Pid).Log(lvl, e.Msg)
		return
	}
	s.log.entry().Log(lvl, e.Msg)
}

package actors

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// Timer messages a service sends itself. Gen is the service's generation
// when the timer was armed; every transition bumps it, so a timer that
// fires after the state moved on is recognised as stale and dropped.
type (
	startWaitElapsed struct{ Gen uint64 }
	stopWaitElapsed  struct{ Gen uint64 }
	backoffElapsed   struct{ Gen uint64 }
)

// waiter is a deferred reply: a restart, destroy or halt answered once
// the service is down (and, for restart, started again).
type waiter struct {
	req          messages.RequestID
	restart      bool
	untilRunning bool // a rolling restart's: answered once running
}

// Service is the actor of one service: the lifecycle of SPEC §2.
//
// It keeps what the service is doing (state, process) apart from what the
// operator wants (wantDown, startWhenDown, halted). Commands look at the
// state first; every state change goes through transition.
type Service struct {
	opts  Options
	log   *logrus.Entry
	cfg   messages.ServiceConfig
	self  *actor.PID
	files map[string]*os.File // the bound sockets, by name (SocketsChanged); never mutated

	state      messages.State
	proc       *osproc.Process
	startTime  time.Time
	stopTime   time.Time
	failReason string
	runningCmd string
	retries    int    // consecutive failures during start-up (backoff counter)
	gen        uint64 // bumped by every transition; timers carry it
	timer      *time.Timer

	wantDown      bool   // cfkd asked the process to stop: its exit is no failure to respawn
	startWhenDown bool   // restart (or up while stopping): start again once down
	halted        string // "destroyed" or "shut down": no start any more
	waiters       []waiter
	// runWaiters are rolling restarts whose process is started: each is
	// answered once it is running, or with an error once the service is
	// down for good (see settleRunWaiters).
	runWaiters []messages.RequestID

	// Under a proxy (service_proxy.go): the proxy of the last start, the
	// number of that start, and whether the proxy counts the service up.
	runProxy string
	attempt  uint64
	toldUp   bool
	killed   bool // stopwait elapsed once: the pid was SIGKILLed
}

func newService(opts Options, cfg messages.ServiceConfig, files map[string]*os.File) *Service {
	return &Service{
		opts:  opts,
		cfg:   cfg,
		files: files,
		log:   opts.Log.WithField("service", cfg.Name),
	}
}

// Receive implements actor.Actor.
func (s *Service) Receive(ctx actor.Context) {
	s.receive(ctx)
	s.settleRunWaiters(ctx)
	if s.toldUp && !s.state.IsUp() {
		s.leaveProxy(ctx)
	}
}

func (s *Service) receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.self = ctx.Self()
	case messages.ConfigureService:
		s.cfg = m.Config
	case messages.SocketsChanged:
		s.files = m.Files
		if m.Req != 0 {
			s.reply(ctx, m.Req, nil) // the old table is never used again
		}
	case messages.StartService:
		s.reply(ctx, m.Req, s.guard(func() error { return s.start(ctx, true) }))
	case messages.UpService:
		s.reply(ctx, m.Req, s.guard(func() error { return s.up(ctx) }))
	case messages.StopService:
		s.reply(ctx, m.Req, s.stop(ctx, true))
	case messages.DownService:
		s.reply(ctx, m.Req, s.stop(ctx, false))
	case messages.RestartService:
		s.restart(ctx, m)
	case messages.DestroyService:
		s.halt(ctx, m.Req, "destroyed")
	case messages.HaltService:
		s.halt(ctx, m.Req, "shut down")
	case messages.ProcessExited:
		s.exited(ctx, m)
	case proxyServiceStarted:
		s.proxyStarted(ctx, m)
	case proxyStartRefused:
		s.proxyRefused(ctx, m)
	case proxyStopped:
		s.proxyGone(ctx, m)
	case startWaitElapsed:
		s.startWaitElapsed(ctx, m)
	case stopWaitElapsed:
		s.stopWaitElapsed(ctx, m)
	case backoffElapsed:
		s.backoffElapsed(ctx, m)
	case *actor.Stopping:
		s.cancelTimer()
	case *actor.Stopped, *actor.Restarting:
	default:
		s.log.WithField("message", fmt.Sprintf("%T", m)).Warn("service: unknown message ignored")
	}
}

// guard refuses to bring up a service that is being destroyed or shut
// down.
func (s *Service) guard(f func() error) error {
	if err := s.haltedErr(); err != nil {
		return err
	}
	return f()
}

func (s *Service) haltedErr() error {
	if s.halted == "" {
		return nil
	}
	return fmt.Errorf("Service '%s' is being %s", s.cfg.Name, s.halted)
}

func (s *Service) reply(ctx actor.Context, req messages.RequestID, err error) {
	ctx.Send(ctx.Parent(), messages.ServiceReply{Req: req, Name: s.cfg.Name, Err: err})
}

func (s *Service) up(ctx actor.Context) error {
	switch {
	case s.state == messages.Stopping:
		s.startWhenDown = true // the operator wants it up: start again once down
		return nil
	case s.state.IsUp():
		return nil
	}
	return s.start(ctx, true)
}

// stop brings the service down. strict: stopping a down service is an
// error (stop), else a no-op (down). Either cancels a pending restart.
func (s *Service) stop(ctx actor.Context, strict bool) error {
	if s.startWhenDown {
		s.startWhenDown = false
		s.cancelRestarts(ctx, fmt.Errorf("Service '%s': restart cancelled by a stop", s.cfg.Name))
	}
	switch {
	case s.state == messages.Backoff:
		s.wantDown = true
		s.stopTime = time.Now()
		s.transition(ctx, messages.Stopped, "")
		return nil
	case !s.state.IsUp():
		if strict {
			return fmt.Errorf("Service '%s' is already down", s.cfg.Name)
		}
		return nil
	}
	s.beginStop(ctx)
	return nil
}

func (s *Service) restart(ctx actor.Context, m messages.RestartService) {
	if err := s.haltedErr(); err != nil {
		s.reply(ctx, m.Req, err)
		return
	}
	if !s.state.IsUp() {
		if s.state == messages.Backoff {
			s.transition(ctx, messages.Stopped, "")
		}
		err := s.start(ctx, true)
		if err != nil || !m.UntilRunning {
			s.reply(ctx, m.Req, err)
			return
		}
		s.runWaiters = append(s.runWaiters, m.Req)
		return
	}
	s.beginStop(ctx)
	s.startWhenDown = true
	s.waiters = append(s.waiters, waiter{req: m.Req, restart: true, untilRunning: m.UntilRunning})
}

// settleRunWaiters answers the rolling restarts waiting for the service to
// run: nil once it is running, an error once it is down for good (not in
// backoff: that one retries by itself). It runs after every message, so
// the states a single message passes through (fail, then starting again)
// do not count.
func (s *Service) settleRunWaiters(ctx actor.Context) {
	if len(s.runWaiters) == 0 || (s.state.IsUp() && s.state != messages.Running) || s.state == messages.Backoff {
		return
	}
	var err error
	if s.state != messages.Running {
		why := s.state.String()
		if s.failReason != "" {
			why += " (" + s.failReason + ")"
		}
		err = fmt.Errorf("Service '%s' did not come back up: %s", s.cfg.Name, why)
	}
	for _, req := range s.runWaiters {
		s.reply(ctx, req, err)
	}
	s.runWaiters = nil
}

// halt brings the service down for good (destroy, shutdown) and answers
// once it is down.
func (s *Service) halt(ctx actor.Context, req messages.RequestID, why string) {
	s.halted = why
	s.startWhenDown = false
	s.cancelRestarts(ctx, s.haltedErr())
	if s.state == messages.Backoff {
		s.stopTime = time.Now()
		s.transition(ctx, messages.Stopped, "")
	}
	if !s.state.IsUp() {
		s.reply(ctx, req, nil)
		return
	}
	s.beginStop(ctx)
	s.waiters = append(s.waiters, waiter{req: req})
}

// afterDown runs once an exit has left the service down: it answers
// deferred replies and carries out a pending restart.
func (s *Service) afterDown(ctx actor.Context) {
	if s.state.IsUp() || s.state == messages.Backoff {
		return
	}
	if s.halted != "" {
		s.answerWaiters(ctx, nil)
		return
	}
	if s.startWhenDown {
		s.startWhenDown = false
		s.answerWaiters(ctx, s.start(ctx, true))
	}
}

func (s *Service) answerWaiters(ctx actor.Context, err error) {
	for _, w := range s.waiters {
		if w.untilRunning && err == nil {
			s.runWaiters = append(s.runWaiters, w.req)
			continue
		}
		s.reply(ctx, w.req, err)
	}
	s.waiters = nil
}

// cancelRestarts answers the pending restarts with err; pending destroys
// and halts keep waiting for the service to be down.
func (s *Service) cancelRestarts(ctx actor.Context, err error) {
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if w.restart {
			s.reply(ctx, w.req, err)
		} else {
			kept = append(kept, w)
		}
	}
	s.waiters = kept
}

// transition is the one place where the state changes. It bumps the
// generation (making every armed timer stale), publishes the change on the
// event stream and updates the controller.
func (s *Service) transition(ctx actor.Context, to messages.State, reason string) {
	from := s.state
	s.state = to
	s.gen++
	s.cancelTimer()
	s.failReason = ""
	if to == messages.Fail {
		s.failReason = reason
	}
	rt := s.runtime()
	pid := rt.Pid
	// the controller first: whoever reacts to the event and then asks for
	// the status finds it up to date (the update is already in the
	// controller's mailbox, ahead of any request the event triggers).
	ctx.Send(ctx.Parent(), messages.ServiceUpdated{Runtime: rt})
	ctx.ActorSystem().EventStream.Publish(messages.ServiceStateChanged{
		Name: s.cfg.Name, From: from, To: to, Pid: pid, Reason: s.failReason, At: time.Now(),
	})
}

// runtime is what status shows of the service now.
func (s *Service) runtime() messages.ServiceRuntime {
	pid := 0
	if s.proc != nil {
		pid = s.proc.Pid
	}
	return messages.ServiceRuntime{
		Name: s.cfg.Name, State: s.state, Pid: pid, StartTime: s.startTime, StopTime: s.stopTime,
		FailReason: s.failReason, RunningCmd: s.runningCmd,
	}
}

// arm sends msg to self after d. Only one timer is armed at a time.
func (s *Service) arm(ctx actor.Context, d time.Duration, msg any) {
	s.cancelTimer()
	root, self := ctx.ActorSystem().Root, s.self
	s.timer = time.AfterFunc(d, func() { root.Send(self, msg) })
}

func (s *Service) cancelTimer() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

var errNoCommand = errors.New("no command")

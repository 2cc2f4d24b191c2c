package actors

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// start launches the process (SPEC §2.1). manual: an operator's start,
// which begins a fresh retry count; respawns and backoff retries keep it.
func (s *Service) start(ctx actor.Context, manual bool) error {
	name := s.cfg.Name
	if s.state.IsUp() {
		return fmt.Errorf("Service '%s' is already up", name)
	}
	if !s.cfg.HasCmd() {
		return fmt.Errorf("Service '%s' has no known command", name)
	}
	spec, shown, err := s.spec()
	if err != nil {
		return fmt.Errorf("Service '%s' cannot start: %w", name, err)
	}
	if manual {
		s.retries = 0
	}
	s.wantDown = false
	s.startTime, s.stopTime = time.Now(), time.Time{}
	if s.runProxy != s.cfg.Proxy {
		s.leaveProxy(ctx) // the last run was under another proxy
	}
	if s.cfg.Proxy != "" {
		s.startProxied(ctx, shown)
		return nil
	}
	s.runProxy = ""
	self, root := s.self, ctx.ActorSystem().Root
	proc, err := s.opts.Launcher.Launch(spec, func(pid int, ws syscall.WaitStatus) {
		root.Send(self, messages.ProcessExited{Pid: pid, Status: ws})
	})
	if err != nil {
		// fork/exec failed: a failure during start-up, handled by the
		// same policy as a process that dies while starting.
		s.log.WithError(err).Error("cannot start")
		s.transition(ctx, messages.Starting, "")
		s.stopTime = time.Now()
		s.failed(ctx, messages.Starting, "Could not start: "+err.Error())
		return fmt.Errorf("Service '%s' failed to start: %w", name, err)
	}
	s.proc = proc
	s.runningCmd = strings.Join(shown, " ")
	s.log.WithField("pid", proc.Pid).Infof("starting %s", name)
	s.transition(ctx, messages.Starting, "")
	s.arm(ctx, s.cfg.StartWait, startWaitElapsed{Gen: s.gen})
	return nil
}

// beginStop sends SIGTERM and arms the stopwait timer (SPEC §2.2). The
// service must be up.
func (s *Service) beginStop(ctx actor.Context) {
	s.wantDown = true
	if s.state == messages.Stopping {
		return
	}
	s.stopTime, s.startTime = time.Now(), time.Time{}
	s.log.Infof("Stopping service %s", s.cfg.Name)
	s.transition(ctx, messages.Stopping, "")
	s.arm(ctx, s.cfg.StopWait, stopWaitElapsed{Gen: s.gen})
	if s.runProxy != "" {
		ctx.Send(ctx.Parent(), toProxy{proxy: s.runProxy, msg: proxyStopRequest{name: s.cfg.Name}})
		return
	}
	s.signal(syscall.SIGTERM)
}

func (s *Service) signal(sig syscall.Signal) {
	if s.proc == nil {
		return
	}
	if err := s.opts.Launcher.Signal(s.proc, sig); err != nil && !errors.Is(err, osproc.ErrDone) {
		s.log.WithError(err).Warnf("cannot send %v", sig)
	}
}

// exited handles the exit of the service's process (SPEC §2.3).
func (s *Service) exited(ctx actor.Context, m messages.ProcessExited) {
	if s.proc == nil || m.Pid != s.proc.Pid {
		s.log.WithField("pid", m.Pid).Debug("exit of a process this service no longer owns")
		return
	}
	prev, ws, pid := s.state, m.Status, s.proc.Pid
	s.proc, s.runningCmd, s.stopTime = nil, "", time.Now()
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		s.log.WithField("pid", pid).Infof("child %s exited", s.cfg.Name)
		s.transition(ctx, messages.Stopped, "")
		if s.cfg.RespawnOnStop && !s.wantDown && s.halted == "" {
			if prev == messages.Starting {
				// it did not even stay up for startwait: respawning at
				// once would spin, so the backoff policy applies.
				s.backoff(ctx, "exited during start-up")
			} else {
				s.respawn(ctx)
			}
		}
	case ws.Signaled() && ws.Signal() == syscall.SIGTERM:
		s.log.WithField("pid", pid).Infof("child %s terminated by SIGTERM", s.cfg.Name)
		s.transition(ctx, messages.Stopped, "")
	default:
		reason := failReason(ws)
		s.log.WithField("pid", pid).Errorf("child terminated abnormally %d: %s", int(ws), reason)
		s.failed(ctx, prev, reason)
	}
	s.afterDown(ctx)
}

// failed applies the failure policy to an abnormal end in state prev.
func (s *Service) failed(ctx actor.Context, prev messages.State, reason string) {
	switch {
	case !s.cfg.RespawnOnFail || s.wantDown || s.halted != "":
		s.transition(ctx, messages.Fail, reason)
	case prev == messages.Starting:
		s.backoff(ctx, reason)
	default: // it was running: start again at once, passing through fail
		s.transition(ctx, messages.Fail, reason)
		s.respawn(ctx)
	}
}

// backoff schedules a new attempt after k × unit, k uniform in 1..2n−1, or
// gives up (fatal) once n reaches respawn_max_retries.
func (s *Service) backoff(ctx actor.Context, reason string) {
	s.retries++
	n, max := s.retries, s.cfg.MaxRetries
	if n >= max {
		s.log.Errorf("%s: giving up after %d failed starts (%s)", s.cfg.Name, n, reason)
		s.transition(ctx, messages.Fatal, "")
		return
	}
	delay := time.Duration(1+rand.IntN(2*n-1)) * s.opts.BackoffUnit
	s.log.Warnf("%s failed during start-up (%s); restarting in %v, attempt %d/%d", s.cfg.Name, reason, delay, n+1, max)
	s.transition(ctx, messages.Backoff, "")
	s.arm(ctx, delay, backoffElapsed{Gen: s.gen})
}

func (s *Service) respawn(ctx actor.Context) {
	if err := s.start(ctx, false); err != nil {
		s.log.WithError(err).Error("respawn failed")
	}
}

func (s *Service) startWaitElapsed(ctx actor.Context, m startWaitElapsed) {
	if m.Gen != s.gen || s.state != messages.Starting || s.proc == nil {
		return
	}
	s.retries = 0
	s.transition(ctx, messages.Running, "")
}

func (s *Service) stopWaitElapsed(ctx actor.Context, m stopWaitElapsed) {
	if m.Gen != s.gen || s.state != messages.Stopping {
		return
	}
	if s.runProxy != "" {
		s.proxiedStopWaitElapsed(ctx)
		return
	}
	if s.proc == nil {
		return
	}
	s.log.WithField("pid", s.proc.Pid).Warnf("%s still alive %v after SIGTERM: sending SIGKILL", s.cfg.Name, s.cfg.StopWait)
	s.signal(syscall.SIGKILL)
}

func (s *Service) backoffElapsed(ctx actor.Context, m backoffElapsed) {
	if m.Gen != s.gen || s.state != messages.Backoff {
		return
	}
	s.transition(ctx, messages.Stopped, "")
	// a launch failure moves the state on by itself (backoff, fatal); an
	// error that leaves it stopped (the declaration no longer allows a
	// start, e.g. its command was unset) ends the retries.
	if err := s.start(ctx, false); err != nil && s.state == messages.Stopped {
		s.log.WithError(err).Error("retry impossible: giving up")
		s.transition(ctx, messages.Fatal, "")
	}
}

// failReason is the fail_reason text of SPEC §1.6 (compat).
func failReason(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return fmt.Sprintf("Received signal %d", int(ws.Signal()))
	}
	return fmt.Sprintf("Exited with error %d", ws.ExitStatus())
}

// spec builds the process spec from the declaration (SPEC §2.4), and
// the command as status shows it (without the socket-activation shim).
func (s *Service) spec() (spec osproc.Spec, shown []string, err error) {
	c := s.cfg
	argv, err := osproc.Argv(c.Cmd, c.Argv)
	if err != nil {
		return osproc.Spec{}, nil, err
	}
	stdin, err := s.socket(c.TieStdinTo)
	if err != nil {
		return osproc.Spec{}, nil, err
	}
	var extra []*os.File
	for _, name := range c.ListenSockets {
		f, err := s.socket(name)
		if err != nil {
			return osproc.Spec{}, nil, err
		}
		extra = append(extra, f)
	}
	cred, err := osproc.Credential(c.User, c.Group)
	if err != nil {
		return osproc.Spec{}, nil, err
	}
	vars := []messages.EnvVar{
		{Key: "CONTROL_FREAK_ENABLED", Value: "1"},
		{Key: "CONTROL_FREAK_SERVICE", Value: c.Name},
	}
	shown, exec := argv, argv
	if len(extra) > 0 {
		vars = append(vars,
			messages.EnvVar{Key: "LISTEN_FDS", Value: strconv.Itoa(len(extra))},
			messages.EnvVar{Key: "LISTEN_FDNAMES", Value: strings.Join(c.ListenSockets, ":")})
		exec = append([]string{"/bin/sh", "-c", listenPidShim}, argv...)
	}
	env := mergeEnv(withoutActivation(s.opts.Env), c.Env, vars)
	spec = osproc.Spec{
		Argv: exec, Env: env, Dir: c.Cwd, Setsid: !c.NoNewSession, Credential: cred,
		Stdin: stdin, ExtraFiles: extra,
	}
	if !c.IgnoreStdout {
		spec.Stdout = s.outputLogger("out")
	}
	if !c.IgnoreStderr {
		spec.Stderr = s.outputLogger("err")
	}
	return spec, shown, nil
}

// listenPidShim runs the command (its "$0" "$@") with LISTEN_PID set to
// the pid the command will have: the shell's own, kept through exec.
// sd_listen_fds(3) checks it; a fork/exec cannot set it from outside.
const listenPidShim = `LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"`

// socket returns the bound socket name (nil for ""), or why there is none.
func (s *Service) socket(name string) (*os.File, error) {
	if name == "" {
		return nil, nil
	}
	if f := s.files[name]; f != nil {
		return f, nil
	}
	return nil, fmt.Errorf("socket '%s' is not bound", name)
}

// withoutActivation drops the socket-activation variables cfkd may have
// got itself: they are meant for cfkd, never for a service.
func withoutActivation(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k != "LISTEN_FDS" && k != "LISTEN_PID" && k != "LISTEN_FDNAMES" {
			out = append(out, kv)
		}
	}
	return out
}

// outputLogger logs each line of one output stream ("out", "err") of the
// service through Options.Lines.
func (s *Service) outputLogger(stream string) func(int, []byte) {
	lines, name := s.opts.Lines, s.cfg.Name
	return func(pid int, line []byte) { lines.ServiceLine(name, stream, pid, line) }
}

// mergeEnv returns base with every overlay variable set (a later overlay
// wins), one entry per key.
func mergeEnv(base []string, overlays ...[]messages.EnvVar) []string {
	set := map[string]string{}
	var order []string
	for _, ov := range overlays {
		for _, e := range ov {
			if _, ok := set[e.Key]; !ok {
				order = append(order, e.Key)
			}
			set[e.Key] = e.Value
		}
	}
	out := make([]string, 0, len(base)+len(order))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	for _, k := range order {
		out = append(out, k+"="+set[k])
	}
	return out
}

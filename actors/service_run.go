package actors

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/notify"
	"github.com/cfk/cfk/osproc"
)

// launch carries out Launch (REFERENCE §2.1): it checks the declaration,
// resolves the user and group off the actor when there are any, then
// forks (or asks the proxy) and feeds the outcome back to the table. Until
// then the table defers every other event.
func (s *Service) launch(ctx actor.Context, attempt uint64) {
	if _, _, err := s.spec(); err != nil {
		s.launchFailed(ctx, attempt, lifecycle.CauseConfig, err)
		return
	}
	c := s.cfg
	s.runCfg = c // the run launched now: its user is looked up as c says
	lookup := looksUpIdentity(c)
	if !lookup && c.EnvFile == "" {
		s.fork(ctx, attempt, nil, nil)
		return
	}
	s.lookUp(ctx, attempt)
}

// launchFormer says whether the run, or the launch under way once its
// spec is built (a fork slot, the exec, the proxy's answer), is of a
// declaration other than the current one, in what a restart changes:
// an apply that declared it anew while the controller saw no run (a
// launch under way, or one it had not heard of yet) restarts it then
// (messages.RestartService's IfFormer). A
// launch still looking up its user or reading its env_file forks the
// declaration of its lookup's end (resolved): none; nor does a service
// that is down, or stopping (its stop is someone's).
func (s *Service) launchFormer() bool {
	switch {
	case s.lc.Launching != 0:
		if s.lookingUp == s.lc.Launching {
			return false
		}
	case s.lc.State != messages.Starting && s.lc.State != messages.Running:
		return false
	}
	return s.runCfg != nil && s.runCfg != s.cfg && messages.ServiceRunChanged(*s.runCfg, *s.cfg)
}

func (s *Service) launchFailed(ctx actor.Context, attempt uint64, c lifecycle.Cause, err error) {
	s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvLaunchFailed, Attempt: attempt, Cause: c, Err: err})
}

// fork builds the spec afresh (the sockets are those of now) and launches
// it with cred and the env_file's variables (add_env wins over them).
func (s *Service) fork(ctx actor.Context, attempt uint64, cred *syscall.Credential, envFile []messages.EnvVar) {
	if err := nofileFor(s.cfg, cred); err != nil {
		s.launchFailed(ctx, attempt, lifecycle.CauseConfig, err)
		return
	}
	if err := s.notifyFor(cred); err != nil {
		s.launchFailed(ctx, attempt, lifecycle.CauseConfig, err)
		return
	}
	s.runID = newRunID()
	spec, shown, err := s.spec()
	if err != nil {
		s.launchFailed(ctx, attempt, lifecycle.CauseConfig, err)
		return
	}
	spec.Credential = cred
	if len(envFile) > 0 {
		spec.Env = mergeEnv(spec.Env, envFile, s.cfg.Env, s.lastVars())
	}
	s.probeRun = nil
	if kind, _ := messages.Ready(s.cfg.Ready); kind == messages.ReadyExec && s.cfg.Proxy == "" {
		s.probeRun = &osproc.Spec{Env: spec.Env, Dir: spec.Dir, Setsid: spec.Setsid, Credential: cred}
	}
	s.runningCmd, s.runGroup = strings.Join(shown, " "), spec.Setsid
	s.runCfg = s.cfg // the spec's
	if (s.lc.Proxied || s.proxyHeld) && s.runProxy != "" && s.runProxy != s.cfg.Proxy {
		// the run that ended was under another proxy (an apply moved the
		// service), and the table relaunches it in the same step, so it
		// never said LeaveProxy, or it said it in backoff, and that proxy
		// holds for this start: that proxy learns now that it is down
		s.leaveProxy(ctx, time.Time{})
	}
	s.proxyHeld = false // a start under the same proxy ends its hold
	if s.cfg.Proxy != "" {
		s.startProxied(ctx, attempt, envFile)
		return
	}
	s.runProxy = ""
	if len(spec.ExtraFiles) > 0 {
		s.warnShellListenPid(shown)
	}
	if spec.Program != "" { // a shim runs it: its environment is the shell's
		var lost []string
		spec.Argv, spec.Env, lost = underShim(s.cfg, len(spec.ExtraFiles) > 0, shown, spec.Env)
		s.warnShimDropsEnv(spec.Env, lost)
	}
	s.forking = s.cfg // the spec's sockets: an unbind waits for forkDone
	self, root, l := s.self, ctx.ActorSystem().Root, s.opts.Launcher
	launchPool.Schedule(func() {
		proc, err := l.Launch(spec, func(pid int, ws syscall.WaitStatus) {
			root.Send(self, messages.ProcessExited{Pid: pid, Status: ws})
		})
		root.Send(self, forkDone{attempt: attempt, proc: proc, err: err})
	})
}

// forkDone is the outcome of a launch. Launch waits (for a fork slot, then
// for the child's exec), so it runs on a worker of launchPool
// (dispatch.go) and answers with this message: the actor never waits, and
// the service actors' goroutines are never held by a mass start. Until it
// comes the table defers every other event, an exit of the new process
// included. The run's declaration, the spec's, is s.runCfg: it cannot
// change meanwhile.
type forkDone struct {
	attempt uint64
	proc    *osproc.Process
	err     error
}

// forked feeds the launch's outcome to the table.
func (s *Service) forked(ctx actor.Context, m forkDone) {
	s.forking = nil
	if m.attempt != s.lc.Launching { // cannot be: the table waits for it
		s.log.Errorf("the outcome of launch %d came while the table waited for launch %d", m.attempt, s.lc.Launching)
		if m.proc != nil {
			s.opts.Launcher.Signal(m.proc, syscall.SIGKILL) // nobody would supervise it
			m.proc.Close()
		}
		return
	}
	if err := m.err; err != nil {
		if errors.Is(err, osproc.ErrCancelled) { // cfkd's shutdown: no failure (REFERENCE §7.4)
			s.launchFailed(ctx, m.attempt, lifecycle.CauseCancelled, err)
			return
		}
		if short := shortage(err); short != nil {
			s.launchFailed(ctx, m.attempt, lifecycle.CauseShortage, short)
			return
		}
		// its cwd or program on a hung mount (osproc's bound): cfkd's
		// trouble, retried as a shortage, not counted (REFERENCE §2.1)
		if late := (*nss.TimeoutError)(nil); errors.As(err, &late) {
			s.launchFailed(ctx, m.attempt, lifecycle.CauseShortage, late)
			return
		}
		s.launchFailed(ctx, m.attempt, lifecycle.CauseExec, err)
		return
	}
	s.proc = m.proc
	if line := m.proc.CRLFLine; line != "" {
		// its interpreter is there, and may refuse the argument the
		// "\r" ends (dash: 'Illegal option -', exit 2): the start is not
		// refused, but the exits that follow get a cause (REFERENCE §2.1)
		s.log.Warnf(`%s: its script's "#!" line, %q, ends with a carriage return, which the kernel passes to its interpreter: the file was saved with CRLF line ends; save it with LF ones, as dos2unix does`, s.cfg.Name, line)
	}
	// as the table's records are logged: not through logrus's entry,
	// formatting and hooks for every service of a mass start
	s.logEffect(lifecycle.Log{Level: lifecycle.Info, Pid: m.proc.Pid, Msg: "starting " + s.cfg.Name})
	c := s.runCfg // the spec's: its NOTIFY_SOCKET, its WATCHDOG_USEC
	s.runReady, s.runWatchdog, s.runReadyTimeout = c.Ready, s.watchdogTold(c), c.ReadyTimeout
	s.notifyStatus = "" // the new run's own, as systemd resets StatusText= at a start
	s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvLaunched, Attempt: m.attempt, Pid: m.proc.Pid, Ready: c.Ready != ""})
}

// shortage says whether a launch failed for want of cfkd's own resources
// (fds, memory, processes), and how to say it; nil when the error is the
// service's. An EAGAIN or ENOMEM of the child after its fork
// (osproc.ExecError: its user's RLIMIT_NPROC at execve, a program too
// large) is the service's; fds short are cfkd's (the child's table is a
// copy of cfkd's).
func shortage(err error) error {
	var child *osproc.ExecError
	afterFork := errors.As(err, &child)
	switch {
	case errors.Is(err, syscall.EMFILE):
		var lim syscall.Rlimit
		if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
			return fmt.Errorf("cfkd: too many open files (limit %d)", lim.Cur)
		}
		return errors.New("cfkd: too many open files")
	case errors.Is(err, syscall.ENFILE):
		return errors.New("cfkd: too many open files in the system")
	case afterFork:
		return nil
	case errors.Is(err, syscall.EAGAIN):
		return errors.New("cfkd: cannot fork: resource temporarily unavailable")
	case errors.Is(err, syscall.ENOMEM):
		return errors.New("cfkd: cannot fork: out of memory")
	}
	return nil
}

// terminate carries out Terminate: the stop signal to the group, or the
// stop command to the proxy (which sends SIGTERM: the proxy protocol has
// no signal) (REFERENCE §2.2).
func (s *Service) terminate(ctx actor.Context, sig syscall.Signal) {
	if s.runProxy != "" {
		ctx.Send(ctx.Parent(), toProxy{proxy: s.runProxy, msg: proxyStopRequest{name: s.cfg.Name, svc: s.self, attempt: s.lc.Attempt}})
		return
	}
	if st, ok := s.opts.Launcher.(StopSignaler); ok && s.proc != nil {
		if err := st.SignalStop(s.proc, sig); err != nil && !errors.Is(err, osproc.ErrDone) {
			s.log.WithError(err).Warnf("cannot send %v", sig)
		}
		return
	}
	s.signal(sig)
}

// signalStop sends the stop_signal that `command signal` names to a
// direct child as a stop's (StopSignaler: its orphans are ended once it
// exits, REFERENCE §7.5); through the proxy's handle, as any signal.
func (s *Service) signalStop(sig syscall.Signal) {
	if st, ok := s.opts.Launcher.(StopSignaler); ok && s.proc != nil && s.runProxy == "" {
		if err := st.SignalStop(s.proc, sig); err != nil && !errors.Is(err, osproc.ErrDone) {
			s.log.WithError(err).Warnf("cannot send %v", sig)
		}
		return
	}
	s.signal(sig)
}

// kill carries out Kill: SIGKILL to the group of a direct child, or to a
// proxied pid through the handle taken when the proxy reported it (and to
// its group when it leads one: osproc's Handle). A proxied process that
// had ended before its handle could be taken has nothing to kill.
func (s *Service) kill(pid int) {
	if s.proc == nil && s.procEnded {
		s.log.WithField("pid", pid).Debug("the process had ended before cfkd could take a handle on it: nothing to kill")
		return
	}
	if s.proc == nil {
		s.log.WithField("pid", pid).Warn("no handle on the process: not killing a pid that may have been reused")
		return
	}
	s.signal(syscall.SIGKILL)
}

// dropProc forgets the process of the run (releasing a proxied one's
// handle).
func (s *Service) dropProc() {
	s.proc.Close()
	s.proc, s.procEnded = nil, false
}

// unsignallable says why `signal` cannot reach the process of a run a
// proxy forked (REFERENCE §1.4, §11): cfkd signals it only through its
// handle on it, and holds none without pidfds (macOS, FreeBSD), or when
// the proxy ended before the handle was taken. Without it, the signal
// went nowhere and the request was answered `done`. nil otherwise (a run
// whose pid is not reported yet is the lifecycle's to answer).
func (s *Service) unsignallable() error {
	if !s.lc.Proxied || s.lc.Pid == 0 || s.proc != nil || !s.lc.State.IsUp() {
		return nil
	}
	return fmt.Errorf("Service '%s' cannot be signalled: cfkd holds no handle on its process (pid %d), which proxy '%s' forked",
		s.cfg.Name, s.lc.Pid, s.runProxy)
}

func (s *Service) signal(sig syscall.Signal) {
	if s.proc == nil {
		return
	}
	if err := s.opts.Launcher.Signal(s.proc, sig); err != nil && !errors.Is(err, osproc.ErrDone) {
		s.log.WithError(err).Warnf("cannot send %v", sig)
	}
}

// spec builds the process spec from the declaration (REFERENCE §2.4),
// without its credential (resolved off the actor), and the command as
// status shows it (without the socket-activation shim). Its error is the
// one a start answers.
func (s *Service) spec() (spec osproc.Spec, shown []string, err error) {
	c := s.cfg
	if !c.HasCmd() {
		return osproc.Spec{}, nil, fmt.Errorf("Service '%s' has no known command", c.Name)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("Service '%s' cannot start: %w", c.Name, err)
		}
	}()
	argv, err := osproc.Argv(c.Cmd, c.Argv)
	if err != nil {
		return osproc.Spec{}, nil, err
	}
	if c.Ready == string(messages.ReadyNotify) && !notify.Supported {
		// REFERENCE §11: the sender's pid of a datagram is Linux's
		return osproc.Spec{}, nil, fmt.Errorf("ready=notify is not supported on %s (it needs Linux)", runtime.GOOS)
	}
	if c.Ready == string(messages.ReadyNotify) && (s.opts.NotifySocket == "" || c.Proxy != "") {
		return osproc.Spec{}, nil, errors.New("ready=notify needs cfkd's notify socket, and a service cfkd forks itself")
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
	vars := s.lastVars()
	shown, exec, program := argv, argv, ""
	if shim := shimOf(c, len(extra) > 0, argv[0], "", nil); shim != "" { // underShim's at the launch
		exec, program = append([]string{"/bin/sh", "-c", shim}, argv...), argv[0]
	}
	// Env is withoutManagerVars's already (withDefaults)
	env := mergeEnv(s.opts.Env, pwdOf(c), c.Env, vars)
	spec = osproc.Spec{
		Argv: exec, Program: program, Env: env, Dir: c.Cwd, Setsid: !c.NoNewSession,
		Stdin: stdin, ExtraFiles: extra, Tag: ServiceTag(c.Name),
		// its pipes are of this declaration: one made since does not
		// keep their lines, across an upgrade in place too (REFERENCE §6.4)
		Owner: s.tailGen,
	}
	if !c.IgnoreStdout {
		spec.StdoutLines = s.outputLogger("out")
	}
	if !c.IgnoreStderr {
		spec.StderrLines = s.outputLogger("err")
	}
	return spec, shown, nil
}

// pwdOf is PWD for a service whose cwd is not cfkd's (REFERENCE §2.4):
// cfkd's own PWD names another directory, and what reads PWD rather than
// getcwd (make's $(PWD), a script's $PWD, Node's process.env.PWD) would
// take it for the service's. add_env and env_file may replace it. Under a
// proxy, whose directory is the service's, cwd is not used.
func pwdOf(c *messages.ServiceConfig) []messages.EnvVar {
	if c.Cwd == "" || c.Proxy != "" {
		return nil
	}
	return []messages.EnvVar{{Key: "PWD", Value: c.Cwd}}
}

// ownVars are the variables cfkd sets for every service: they win over
// add_env and env_file (REFERENCE §2.4).
func (s *Service) ownVars() []messages.EnvVar {
	vars := []messages.EnvVar{
		{Key: "CONTROL_FREAK_ENABLED", Value: "1"},
		{Key: "CONTROL_FREAK_SERVICE", Value: s.cfg.Name},
	}
	if s.runID != "" {
		vars = append(vars, messages.EnvVar{Key: RunIDVar, Value: s.runID})
	}
	if s.cfg.Ready == string(messages.ReadyNotify) && s.opts.NotifySocket != "" {
		sock := s.opts.NotifySocket // the run's (notifyFor): cfkd's, or the shared one
		if s.sharedUid >= 0 && s.opts.notifyShared != nil {
			sock = s.opts.notifyShared.Path
		}
		vars = append(vars, messages.EnvVar{Key: "NOTIFY_SOCKET", Value: sock})
		if wd := s.watchdogTold(s.cfg); wd > 0 {
			// as systemd's WatchdogSec=: sd_watchdog_enabled() reads it
			vars = append(vars, messages.EnvVar{Key: "WATCHDOG_USEC", Value: strconv.FormatInt(wd.Microseconds(), 10)})
		}
	}
	return vars
}

// RunIDVar names a run of a service in its processes' environment: a
// new random value at each start (as systemd's INVOCATION_ID), which the
// daemons it forks inherit: the clean-up of a stopped run tells its late
// orphans from a new run's daemons by it (REFERENCE §2.4, §7.5).
const RunIDVar = "CFK_RUN_ID"

// newRunID is a run's RunIDVar: 16 hex digits, random.
func newRunID() string { return fmt.Sprintf("%016x", rand.Uint64()) }

// watchdogTold is the watchdog period a run of declaration c is told
// (WATCHDOG_USEC, ownVars), 0 for none: only with ready=notify and
// cfkd's notify socket.
func (s *Service) watchdogTold(c *messages.ServiceConfig) time.Duration {
	if c.Ready != string(messages.ReadyNotify) || s.opts.NotifySocket == "" {
		return 0
	}
	return c.Watchdog
}

// notifyFor chooses the NOTIFY_SOCKET of a run as cred (REFERENCE §2.9):
// cfkd's socket, in its home, for cfkd's user and root; for any other
// user, who cannot enter that home (mode 0700), the shared socket, told
// to take that uid's datagrams from now on. Without a shared socket
// (none could be bound: cfkd's log says why) the start is refused; it
// was launched, and stopped as not ready after ready_timeout_secs, again
// and again until fatal.
func (s *Service) notifyFor(cred *syscall.Credential) error {
	s.releaseShared() // the run before: it has no process
	shared, err := needsSharedNotify(s.cfg, s.opts, cred)
	if !shared || err != nil {
		return err
	}
	s.sharedUid = int(cred.Uid)
	s.opts.notifyShared.Acquire(s.sharedUid)
	return nil
}

// getNofile reads cfkd's limits of open files for nofileFor: a
// variable, which a test replaces to lower them as prlimit(1) does (it
// could not raise them back).
var getNofile = func(lim *syscall.Rlimit) error { return syscall.Getrlimit(syscall.RLIMIT_NOFILE, lim) }

// nofileFor is the start's error when c's limit_nofile raises the hard
// limit above cfkd's (what the process inherits) and the process, run
// as cred (nil: cfkd's identity), may not: the shell that sets it needs
// CAP_SYS_RESOURCE (setrlimit(2)) after its execve (mayRaiseNofile), and
// a switch to another user drops it; the shim's ulimit would fail at each launch (REFERENCE
// §1.1). A getrlimit(2), a capget(2) and four prctl(2): no wait. Under a proxy it is
// not applied, so never refused.
func nofileFor(c *messages.ServiceConfig, cred *syscall.Credential) error {
	_, hard, ok := messages.ParseNofile(c.LimitNofile)
	if !ok || c.Proxy != "" {
		return nil
	}
	uid := os.Geteuid()
	if cred != nil {
		uid = int(cred.Uid)
	}
	var lim syscall.Rlimit
	if getNofile(&lim) != nil || hard <= uint64(lim.Max) {
		return nil
	}
	if uid != os.Geteuid() {
		return fmt.Errorf("Service '%s' cannot start: limit_nofile: its hard limit %d is above cfkd's, %d, which a process of uid %d may not raise", c.Name, hard, uint64(lim.Max), uid)
	}
	if !mayRaiseNofile() {
		return fmt.Errorf("Service '%s' cannot start: limit_nofile: its hard limit %d is above cfkd's, %d, which cfkd may not raise (it needs root with CAP_SYS_RESOURCE)", c.Name, hard, uint64(lim.Max))
	}
	return nil
}

// needsSharedNotify says whether a run of c as cred gets the shared
// notify socket (ready=notify, run as a user neither root nor cfkd's),
// and the start's error when cfkd has none. It reads only c and opts: a
// restart's check calls it off the actor (service_check.go).
func needsSharedNotify(c *messages.ServiceConfig, opts *Options, cred *syscall.Credential) (bool, error) {
	if c.Ready != string(messages.ReadyNotify) || opts.NotifySocket == "" || cred == nil || cred.Uid == 0 || int(cred.Uid) == os.Getuid() {
		return false, nil
	}
	if opts.notifyShared == nil {
		return true, fmt.Errorf("Service '%s' cannot start: ready=notify with user=%s: the notify socket %s is in cfkd's home (mode 0700), which that user cannot enter, and cfkd has no shared notify socket (its log says why)",
			c.Name, c.User, opts.NotifySocket)
	}
	return true, nil
}

// releaseShared lets go of the shared notify socket's count of the run's
// uid (if it holds one): the run has no process, or a new one replaces it.
func (s *Service) releaseShared() {
	if s.sharedUid >= 0 && s.opts.notifyShared != nil {
		s.opts.notifyShared.Release(s.sharedUid)
	}
	s.sharedUid = -1
}

// lastVars are the variables that come last in a service's environment
// (REFERENCE §2.4): cfkd's own, then with listen_sockets LISTEN_FDS and
// LISTEN_FDNAMES; neither add_env nor env_file replaces them.
func (s *Service) lastVars() []messages.EnvVar {
	vars := s.ownVars()
	if n := len(s.cfg.ListenSockets); n > 0 {
		vars = append(vars,
			messages.EnvVar{Key: "LISTEN_FDS", Value: strconv.Itoa(n)},
			messages.EnvVar{Key: "LISTEN_FDNAMES", Value: strings.Join(s.cfg.ListenSockets, ":")})
	}
	return vars
}

// execShimmed ends every shim: the command exec'd, its pid the shell's.
const execShimmed = `exec "$0" "$@"`

// execDashed ends the shim of a command whose program's name starts with
// '-' (`cmd=-weird arg`, an array's first word, a path `-dir/prog`):
// bash's and busybox's exec took it for their options (`exec: -w:
// invalid option`, exit 2, at every launch, where the command without
// the shim ran), and they need a `--` before it, which dash's exec, that
// takes no option, would run as the program (`exec: --: not found`). A
// subshell tells them apart: `exec --` without a command does nothing
// where exec takes options, and fails in dash (its PATH /dev/null, under
// which nothing is found). The shell looks the name up in the PATH as
// any other (REFERENCE §2.6).
const execDashed = `if (PATH=/dev/null; exec --) 2>/dev/null; then exec -- "$0" "$@"; fi; ` + execShimmed

// listenPidSet sets LISTEN_PID to the pid the command will have: the
// shell's own, kept through exec. sd_listen_fds(3) checks it; a
// fork/exec cannot set it from outside.
const listenPidSet = `LISTEN_PID=$$; export LISTEN_PID`

// shimOf is the shell text that runs the command (its "$0" "$@", whose
// program is program) with
// what a fork/exec cannot set in the child (REFERENCE §2.6): its limit
// of open files and its umask (Go's fork/exec gives a child neither, and
// cfkd's own are its whole process's, shared by every fork), and
// LISTEN_PID (listen: its sockets passed); then it sets back the
// variables of restore (underShim), got under the names of prefix. ""
// when none is needed: the command is exec'd itself.
func shimOf(c *messages.ServiceConfig, listen bool, program, prefix string, restore []shimVar) string {
	var sh []string
	if soft, hard, ok := messages.ParseNofile(c.LimitNofile); ok {
		// the soft limit first when it lowers it (it must stay at most
		// the hard one, then lowered), else after the hard one is raised
		// (its failure then, `|| :`, exits no shell whose SHELLOPTS has
		// errexit: bash's, REFERENCE §2.6)
		sh = append(sh, fmt.Sprintf(`ulimit -S -n %d 2>/dev/null || :; ulimit -H -n %d && ulimit -S -n %d || { echo "cfkd: limit_nofile=%d:%d could not be set" >&2; exit 126; }`, soft, hard, soft, soft, hard))
	}
	if c.Umask != "" {
		sh = append(sh, "umask "+c.Umask)
	}
	if len(sh) == 0 && !listen {
		return ""
	}
	if listen {
		sh = append(sh, listenPidSet)
	}
	for _, v := range restore {
		if v.parts == 0 { // none in its environment: none the shell adds
			sh = append(sh, "unset "+v.name)
			continue
		}
		// `command`: a shell that refuses the value (bash's readonly
		// PPID) goes on without it rather than exit; `|| :`, nor when the
		// errexit of the SHELLOPTS it got is on (bash). Unset first:
		// bash's RANDOM, LINENO, ... then lose what makes them bash's,
		// and keep the value exported (REFERENCE §2.6)
		names := v.saved(prefix)
		value := "$" + names[0]
		if len(names) > 1 {
			value = "${" + strings.Join(names, "}${") + "}"
		}
		set := fmt.Sprintf(`command unset %s 2>/dev/null || :; command export %s="%s" 2>/dev/null || :`, v.name, v.name, value)
		if v.name == "SHLVL" {
			// bash, which got it too (underShim), set one more at its
			// start and its exec takes one off: its own is the
			// environment's. Its BASH_VERSION is the shell's alone here:
			// the environment's is under prefix (shellSets)
			set = `[ -n "${BASH_VERSION+x}" ] || { ` + set + "; }"
		}
		sh = append(sh, set+"; unset "+strings.Join(names, " "))
	}
	if strings.HasPrefix(program, "-") {
		return strings.Join(append(sh, execDashed), "; ")
	}
	return strings.Join(append(sh, execShimmed), "; ")
}

// shimVar is a variable the shim sets back (underShim): its name, and in
// how many parts its value reaches the shim; none: the shim unsets it.
type shimVar struct {
	name  string
	parts int
}

// saved are the names under which the shim gets the parts of v's value,
// in order: with prefix CFK_SHIM_, CFK_SHIM_IFS, then CFK_SHIM_IFS_1, ...
func (v shimVar) saved(prefix string) []string {
	names := []string{prefix + v.name}
	for i := 1; i < v.parts; i++ {
		names = append(names, fmt.Sprintf("%s%s_%d", prefix, v.name, i))
	}
	return names
}

// maxEnvString is Linux's MAX_ARG_STRLEN: execve(2) refuses a string of
// the environment, `KEY=VALUE` and its NUL, of more bytes (E2BIG).
const maxEnvString = 32 * 4096

// savedParts is the entries of the environment that give the shim the
// value of k under v.saved(prefix)'s names: one, unless
// `CFK_SHIM_K=VALUE` would be longer than the kernel passes
// (maxEnvString): a value that `K=VALUE` could carry, its parts then (as
// an env_file's IFS of 131067 bytes, which failed every launch `exec
// /bin/sh: argument list too long`, where the command without the shim
// ran).
func savedParts(prefix, k, value string) (shimVar, []string) {
	v := shimVar{name: k}
	var out []string
	for {
		v.parts++
		name := v.saved(prefix)[v.parts-1] + "="
		n := min(len(value), maxEnvString-1-len(name))
		out, value = append(out, name+value[:n]), value[n:]
		if value == "" {
			return v, out
		}
	}
}

// shellSets are the variables a shell sets at its start whatever its
// environment says, and passes on so (REFERENCE §2.6), in the order the
// shim sets them back: dash's, busybox's and bash's IFS is " \t\n", their
// OPTIND 1, their PPID its parent's pid, their PWD their working
// directory unless the PWD they got names it by an absolute path;
// busybox's SHLVL is one more than it got; the others are bash's (as
// sh: its LINENO, PS1 unset, POSIXLY_CORRECT=y, ...). SHLVL comes before
// BASH_VERSION, which tells bash in the shim (shimOf). A shell that
// gets none of shellAdds adds it.
var shellSets = []string{"IFS", "OPTIND", "PPID", "PWD", "SHLVL",
	"BASH", "BASHPID", "BASH_ARGV0", "BASH_COMMAND", "BASH_EXECUTION_STRING", "BASH_SUBSHELL", "BASH_VERSION",
	"COMP_WORDBREAKS", "EPOCHREALTIME", "EPOCHSECONDS", "HISTCMD", "LINENO", "OLDPWD", "OPTERR", "POSIXLY_CORRECT",
	"PS1", "PS2", "PS4", "RANDOM", "SRANDOM"}

// shellAdds are the variables of shellSets a shell exports when its
// environment has none: a PWD (dash, busybox, bash), a SHLVL (busybox's
// 1; bash's exec then exports 0, which the shim cannot take back).
var shellAdds = []string{"PWD", "SHLVL"}

// shimSaved prefixes the names under which the shim gets the variables
// of shellSets, to set them back (underShim): the first of CFK_SHIM_,
// CFK_SHIM1_, CFK_SHIM2_, ... that no variable of the environment's
// name starts with (shimPrefix).
const shimSaved = "CFK_SHIM"

// shimPrefix is the prefix of the names under which the shim gets the
// variables of env it sets back: one no variable of env starts with, so
// that a service's own CFK_SHIM_IFS reaches its command as it is (it
// was taken for the shim's, and unset).
func shimPrefix(env []string) string {
	for i := 0; ; i++ {
		p := shimSaved + "_"
		if i > 0 {
			p = shimSaved + strconv.Itoa(i) + "_"
		}
		if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, p) }) {
			return p
		}
	}
}

// underShim returns the argv and the environment that run argv, with
// env, under the shim of c (listen: with LISTEN_PID, shimOf), and the
// variables of env that do not reach the command through it for their
// value (lost); argv and env themselves when c needs no shim. The
// variables of shellSets reach the shell under other names (shimPrefix),
// and it sets them back before it execs the command: through the
// environment, never the shim's argv, which any user may read
// (/proc/PID/cmdline), as a value may be a secret. An OPTIND that is no
// number dash takes is left out: dash fails at its start with it (exit
// 2, "Illegal number"), at every launch. Without a PWD or SHLVL in env
// (a cfkd that systemd started, and no cwd), the shim unsets the one the
// shell adds: the command had one where it had none without the shim.
func underShim(c *messages.ServiceConfig, listen bool, argv, env []string) (exec, shEnv, lost []string) {
	if shimOf(c, listen, "", "", nil) == "" {
		return argv, env, nil
	}
	got := map[string]string{}
	shEnv = make([]string, 0, len(env)+1)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if !slices.Contains(shellSets, k) || k == "SHLVL" {
			// bash counts the SHLVL it passes on from the one it got (shimOf)
			shEnv = append(shEnv, kv)
		}
		switch _, dup := got[k]; {
		case !slices.Contains(shellSets, k):
		case dup || slices.Contains(lost, k):
		case k == "OPTIND" && !dashNumber(v):
			lost = append(lost, k)
		default:
			got[k] = v
		}
	}
	prefix := shimPrefix(shEnv)
	var restore []shimVar
	for _, k := range shellSets {
		v, ok := got[k]
		if !ok {
			if slices.Contains(shellAdds, k) {
				restore = append(restore, shimVar{name: k})
			}
			continue
		}
		r, parts := savedParts(prefix, k, v)
		restore, shEnv = append(restore, r), append(shEnv, parts...)
	}
	return append([]string{"/bin/sh", "-c", shimOf(c, listen, argv[0], prefix, restore)}, argv...), shEnv, lost
}

// dashNumber says whether dash takes v as OPTIND's value (its number():
// a decimal of strtoimax(3), blanks around it, from 0 to INT_MAX).
func dashNumber(v string) bool {
	const blank = " \t\n\v\f\r"
	n, err := strconv.ParseInt(strings.TrimRight(strings.TrimLeft(v, blank), blank), 10, 64)
	return err == nil && n >= 0 && n <= math.MaxInt32
}

// socket returns the bound socket name (nil for ""), or why there is none.
func (s *Service) socket(name string) (*os.File, error) {
	if name == "" {
		return nil, nil
	}
	if f := s.files[name]; f != nil {
		return f, nil
	}
	if !s.declared[name] {
		// `command bind` would answer `unknown socket` (REFERENCE §1.7)
		return nil, fmt.Errorf("socket '%s' is not declared", name)
	}
	return nil, fmt.Errorf("socket '%s' is not bound", name)
}

// managerVars are the variables cfkd may have got from its own manager
// (systemd, a container engine): socket activation, and the notify socket
// and watchdog it is to report to. They are meant for cfkd, never for a
// service: a service's sd_notify would reach cfkd's manager, and cfkd's
// WATCHDOG_PID turns off the watchdog of a service's sd_watchdog_enabled.
// So is RunIDVar, of a cfkd run as a service of another cfkd: it names
// that one's run, and a service under a proxy, which gets no run id of
// its own (REFERENCE §2.4), carried it with its own CONTROL_FREAK_SERVICE.
var managerVars = []string{"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", RunIDVar}

// socketVars are the variables of the socket hand-over (REFERENCE §3):
// they tell of fds 3, 4, ... that only the service's process gets, so a
// ready=exec: probe, which gets none of them, is not given them
// (REFERENCE §2.9).
var socketVars = []string{"LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"}

// withoutManagerVars drops managerVars from env.
func withoutManagerVars(env []string) []string { return withoutVars(env, managerVars) }

// withoutVars returns env without the variables named keys.
func withoutVars(env, keys []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(keys, k) {
			out = append(out, kv)
		}
	}
	return out
}

// outputLogger logs the lines of one output stream ("out", "err") of the
// service through Options.Lines, a run at a time (osproc.Lines).
func (s *Service) outputLogger(stream string) func(int, *osproc.Lines) {
	return serviceOutputLogger(s.opts.tail, s.cfg.Name, s.tailGen, stream)
}

// serviceOutputLogger logs the lines of stream of service name, a run at
// a time, through the Tail, which keeps them while the declaration gen
// of name is (Tail.declare) and hands them to Options.Lines
// (Service.outputLogger, and the output of an adopted service).
func serviceOutputLogger(tail *Tail, name string, gen uint64, stream string) func(int, *osproc.Lines) {
	return func(pid int, l *osproc.Lines) { tail.serviceLinesOf(name, gen, stream, pid, l) }
}

// mergeEnv returns base with every overlay variable set (a later overlay
// wins), one entry per key. The overlays are a service's few variables
// (cfkd's own, add_env, env_file): looked up by a scan, without a map
// made for every start, unless there are many.
func mergeEnv(base []string, overlays ...[]messages.EnvVar) []string {
	n := 0
	for _, ov := range overlays {
		n += len(ov)
	}
	var set map[string]string
	if n > 32 {
		set = make(map[string]string, n)
		for _, ov := range overlays {
			for _, e := range ov {
				set[e.Key] = e.Value
			}
		}
	}
	// value is what the overlays give k: the last one's
	value := func(k string) (string, bool) {
		if set != nil {
			v, ok := set[k]
			return v, ok
		}
		for i := len(overlays) - 1; i >= 0; i-- {
			for j := len(overlays[i]) - 1; j >= 0; j-- {
				if e := overlays[i][j]; e.Key == k {
					return e.Value, true
				}
			}
		}
		return "", false
	}
	out := make([]string, 0, len(base)+n)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := value(k); !ok {
			out = append(out, kv)
		}
	}
	// each overlay key once, where it first appears, with its last value
	first := len(out)
	// added says whether key k is in out already (keys never hold '=':
	// add_env and env_file check them)
	added := func(k string) bool {
		return slices.ContainsFunc(out[first:], func(kv string) bool {
			return len(kv) > len(k) && kv[len(k)] == '=' && kv[:len(k)] == k
		})
	}
	if set != nil { // many: each key once through the map
		added = func(k string) bool {
			if _, ok := set[k]; !ok {
				return true
			}
			delete(set, k)
			return false
		}
	}
	for _, ov := range overlays {
		for _, e := range ov {
			if v, ok := value(e.Key); ok && !added(e.Key) {
				out = append(out, e.Key+"="+v)
			}
		}
	}
	return out
}

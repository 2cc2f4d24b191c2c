package actors

import (
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/notify"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// Launcher is the OS boundary the service actors use (osproc.Launcher in
// production, a fake in unit tests).
type Launcher interface {
	// Launch starts a process; onExit is called once with its pid and raw
	// wait status when it is reaped (possibly before Launch returns).
	Launch(spec osproc.Spec, onExit func(pid int, ws syscall.WaitStatus)) (*osproc.Process, error)
	// Signal signals the process (its group when it leads one).
	Signal(p *osproc.Process, sig syscall.Signal) error
	// Handle takes a handle on pid, a child of parent (a proxy), that
	// Signal can use without the risk of a reused pid. It may read /proc:
	// never called inside Receive.
	Handle(pid, parent int) (*osproc.Process, error)
}

var _ Launcher = (*osproc.Launcher)(nil)

// StopSignaler is a Launcher told which signals stop a process (a stop, a
// restart, a shutdown, and `command signal` of it: the service's
// stop_signal), as opposed to the others `command signal` sends: cfkd's
// orphan killer ends what a service that cfkd stopped left behind
// (REFERENCE §7.5), whatever its stop_signal.
type StopSignaler interface {
	SignalStop(p *osproc.Process, sig syscall.Signal) error
}

// LaunchStopper is implemented by a Launcher told that cfkd's shutdown
// has begun (REFERENCE §7.4): StopLaunching is called once, in the
// controller's Receive (it must not wait), as the shutdown begins; from
// then on a launch that has not taken its fork slot forks nothing and
// fails with osproc.ErrCancelled, which its service takes for no failure
// (lifecycle.CauseCancelled: stopped). An upgrade in place does not call
// it: its cfkd may roll back and launch again.
type LaunchStopper interface {
	StopLaunching()
}

// LeftoverEnder is implemented by a Launcher that can end what a service
// left behind (its daemons, adopted once they outlived it): EndLeftovers
// is called, in an actor's Receive (it must not wait), once a service is
// destroyed, when nothing can stop them any more, and at a stop of a
// service that has no process (in backoff, or down: REFERENCE §7.5).
type LeftoverEnder interface {
	EndLeftovers(name string)
}

// ProxiedStopEnder is implemented by a Launcher that ends what a service
// that cfkd stopped left behind (REFERENCE §7.5) also when a proxy ran
// it: the proxy's child is not cfkd's, but the daemons it left are
// adopted by cfkd. AfterProxiedStop is called, in a proxy actor's Receive
// (it must not wait), when the proxy reports the exit of process pid of
// service name, which cfkd asked it to stop; deliver hands the exit to
// the service, and is called (from another goroutine) once the orphans
// the process left were looked for and signalled: a restart cannot run
// anything that the scan would take for an orphan.
type ProxiedStopEnder interface {
	AfterProxiedStop(name string, pid int, deliver func())
}

// LostStartEnder is implemented by a Launcher that ends what a proxy
// forked for a start nobody supervises (REFERENCE §4.5): one it never
// reported, having died first (that process, adopted by cfkd as the
// proxy ended, runs with nobody knowing its pid), and one the service
// gave up (its process, killed or stopped by cfkd, may have left
// daemons, as a stopped run's). EndLostStart is called, in a proxy
// actor's Receive (it must not wait), once the proxy's process has
// exited, for each start still awaiting its pid, and once the proxy
// reports the exit of a given-up start's process: the orphans of service
// name started between after (when the start line was sent) and before
// (the proxy's end; the service's next start line, or the exit), in
// osproc.BootTicks, are terminated.
type LostStartEnder interface {
	EndLostStart(name string, after, before uint64)
}

// Options configure a tree.
type Options struct {
	Launcher Launcher
	// Log receives cfkd's own events; ServiceLog every line services write
	// (category service.NAME.out|err). Both default to logrus's standard
	// logger.
	Log        *logrus.Logger
	ServiceLog *logrus.Logger
	// Lines, when set, takes every line a service writes (direct or
	// through a proxy) in place of ServiceLog: cfkd gives its log Router,
	// which writes the record ServiceLog would without a logrus entry per
	// line. Default: ServiceLog.
	Lines LineLogger
	// Env is the environment every service starts from (default: cfkd's),
	// less the variables of cfkd's own manager (withoutManagerVars).
	Env []string
	// ShKeepsOtherNames is what cfkd learned at its start of its /bin/sh
	// (ShKeepsOtherNames, the function, run off the tree): it passes on
	// the variables whose names are not a shell's (bash does), so the
	// shim of umask, limit_nofile and listen_sockets does not drop them
	// and no start warns of them (warnShimDropsEnv, REFERENCE §2.6).
	// false: it drops them (dash, busybox), or it was not learned.
	ShKeepsOtherNames bool
	// Version is what `command version` answers.
	Version string
	// BackoffUnit is the unit of the randomised backoff delay (REFERENCE §2.3:
	// 0.3 s).
	BackoffUnit time.Duration
	// NotifySocket, when set, is the path of the sd_notify socket the tree
	// listens on, passed as NOTIFY_SOCKET to services with ready=notify
	// (REFERENCE §2.9).
	NotifySocket string
	// NotifyFile, when set, is that socket bound already (an upgrade in
	// place, REFERENCE §13): served instead of binding it again.
	NotifyFile *os.File
	// NotifyShared, when set with NotifySocket, is the abstract socket
	// (its "@NAME" and the socket, bound already) that the services run
	// as users who cannot enter cfkd's home send to, and NotifyUids the
	// uids it takes: what an upgrade in place hands over (REFERENCE §2.9,
	// §13). Unset, Start makes a new one (notify.ListenShared).
	NotifyShared     string
	NotifySharedFile *os.File
	NotifyUids       []int
	// Credential resolves a service's user and group (default
	// osproc.Credential). It runs in a goroutine of its own at each start
	// of a service that names them, never in an actor: NSS may be slow.
	Credential func(user, group string) (*syscall.Credential, error)
	// UserEnv gives the home, name and login shell of a service's user,
	// for HOME, USER, LOGNAME and SHELL (default osproc.UserEnv; shell ""
	// leaves SHELL as it is), in the same goroutine, when Credential
	// switches the identity.
	UserEnv func(user string) (home, name, shell string, ok bool)
	// LookupTimeout bounds each of Credential and UserEnv (default
	// nss.Timeout, 5 s): one that does not answer by then fails the launch
	// as cfkd's trouble, not the service's (REFERENCE §2.1, §2.4); it
	// stays in flight, once per user and group (internal/nss).
	LookupTimeout time.Duration
	// PathTimeout bounds the read of a service's env_file (default
	// osproc.PathTimeout, 5 s): a file on a hung NFS or FUSE mount that
	// has not answered by then fails the launch as cfkd's trouble, as a
	// lookup that does not answer (REFERENCE §2.4); it stays in flight,
	// once per path and uid, in paths. (The launch's cwd and program
	// are bounded by osproc's Launch itself.)
	PathTimeout time.Duration
	lookups     *nss.Flights // Credential's and UserEnv's in flight
	paths       *nss.Flights // the env_files' in flight (FailFast)
	// readEnvFile reads an env_file (readEnvFile; tests make it hang,
	// as a file on a hung mount does)
	readEnvFile func(name, cwd string, uid int) ([]messages.EnvVar, error)
	// shortageLog bounds the records of the starts held back by cfkd's
	// own shortage, one a second across every service (REFERENCE §2.1);
	// tests give one with a clock of theirs
	shortageLog *RecordLimit
	// readyShortLog bounds in the same way the records of the runs
	// stopped at their ready timeout, their last readiness check not run
	// for cfkd's shortage (REFERENCE §2.9), with a count of their own
	readyShortLog *RecordLimit
	// notStarted counts the starts that cfkd's shutdown did not fork, as
	// their services log them (lifecycle.Log.NotStarted): the shutdown
	// says how many, once every service is down (REFERENCE §7.4)
	notStarted *atomic.Int64
	// proxyMuteWait is how long a proxy's process may run on after it
	// closed its status or log pipe before it is shut down for it
	// (proxy_mute.go: proxyMuteWait, 2 s); tests of what a proxy with a
	// closed log pipe does meanwhile give a longer one, so that the
	// shutdown does not overtake them on a loaded machine
	proxyMuteWait time.Duration
	// workDir is cfkd's working directory, a service's without cwd
	// (os.Getwd; tests give another)
	workDir func() (string, error)
	// killWaitMin, when set, replaces the least killwait, 5 s (stopwait,
	// 5 s at least: REFERENCE §2.2, §4.5): tests that wait a killwait
	// out shorten it (lifecycle.Policy.KillWaitMin)
	killWaitMin time.Duration
	// ExecProbeTry bounds each try of a ready=exec: probe: one that has
	// not exited by then is killed, a failed try (REFERENCE §2.9: 30 s).
	ExecProbeTry time.Duration
	// RestartDelay is the delay before the launch after a second crash in
	// a row, doubled at each further one (REFERENCE §2.3: 1 s).
	RestartDelay time.Duration
	// ProxyGrace is how long a proxy asked to stop may take before it is
	// considered gone and SIGKILLed (REFERENCE §4.5: 3 s).
	ProxyGrace time.Duration
	// ProxyCommandStall is how long a proxy may read no command line
	// while its writer's queue is full before it is shut down (REFERENCE
	// §4.2: 30 s; start lines held by proxyStartWindow are no stall), and how long it may load (answer no start since its
	// launch) before the services waiting for their pid fail (§4.5).
	ProxyCommandStall time.Duration
	// ProxyHoldGrace is how long after a retry's time an auto proxy held
	// up for a service in backoff waits for that start (proxy_hold.go).
	// Zero: 2 s.
	ProxyHoldGrace time.Duration
	// AfterBurst, when set, runs in a goroutine of its own once a verb
	// sent to at least BurstSize services has been answered (cfkd returns
	// the memory of the burst to the OS: the stacks of a thousand actors
	// forking at once, the garbage of their starts).
	AfterBurst func()
	// BurstSize is the number of services that makes a burst (default 64).
	BurstSize int
	// AfterBigReply, when set, is called once an admin connection has a
	// reply of at least BigReply bytes to write (a status of about 1,500
	// services or more): cfkd returns the garbage of such replies to the OS a
	// little after the last one. It must not block.
	AfterBigReply func()
	// ServiceRoom is how many services cfkd's fd limit holds (FdLimit, the
	// soft RLIMIT_NOFILE): declaring more logs a warning that says how to
	// raise it (REFERENCE §7.6). 0: no warning.
	ServiceRoom int
	FdLimit     uint64
	// ServiceMiddleware wraps every service actor's Receive (tests inject
	// faults with it).
	ServiceMiddleware []actor.ReceiverMiddleware
	// ServiceSenderMiddleware wraps every service actor's sends (tests
	// hold one back with it; none: no cost).
	ServiceSenderMiddleware []actor.SenderMiddleware
	// TailBytes bounds the last output kept per service for `command
	// tail` (default DefaultTailBytes, 64 KiB).
	TailBytes int
	// Backlog bounds what a stream of `command events` or `command tail
	// NAME follow` holds for a client that does not read (default
	// DefaultBacklog).
	Backlog Backlog
	// Fleet, when set, takes the `command fleet` requests of the admin
	// connections: a hub's (package fleet, REFERENCE §12).
	Fleet FleetHandler
	// Upgrade, when set, runs `command upgrade [PATH]` (cfkd's, REFERENCE
	// §13; upgrade.go).
	Upgrade UpgradeHook
	// Upgraded, when set, answers `command upgraded`: the line that says
	// what the last upgrade in place did (cfkd's, REFERENCE §13.4); it
	// must not block. NoUpgrade when nil.
	Upgraded func() string
	// Events, when set, writes the records of Log that the actors make by
	// the thousand, at info level and below, in place of Log: a service's
	// lifecycle records (its "Stopping service NAME", "child NAME
	// exited": a stop of 9,000 services makes 18,000) and the audit
	// records of the requests run (REFERENCE §5.5: a pipelined run of
	// declarations makes one a line). cfkd gives its log Router, which
	// writes the record Log's entry would without a logrus entry per
	// record. Warnings and errors go through Log, whose hook makes them
	// events (REFERENCE §1.5). Default: Log.
	Events EventLogger

	// Set by Start: the event lines, the tail store and the shared
	// notify socket (nil without notify).
	hub          *eventHub
	tail         *Tail
	notifyShared *notify.Listener
}

func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = logrus.StandardLogger()
	}
	if o.ServiceLog == nil {
		o.ServiceLog = o.Log
	}
	if o.BurstSize <= 0 {
		o.BurstSize = 64
	}
	if o.Lines == nil {
		o.Lines = entryLines{o.ServiceLog}
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	o.Env = withoutManagerVars(o.Env) // once, not at every start
	if o.Version == "" {
		o.Version = "cfk (development build)"
	}
	if o.Credential == nil {
		o.Credential = osproc.Credential
	}
	if o.UserEnv == nil {
		o.UserEnv = osproc.UserEnv
	}
	if o.LookupTimeout == 0 {
		o.LookupTimeout = nss.Timeout
	}
	if o.PathTimeout == 0 {
		o.PathTimeout = osproc.PathTimeout
	}
	if o.lookups == nil {
		o.lookups = new(nss.Flights) // keyed by user and group
	}
	if o.paths == nil {
		// keyed by path and uid; one known not to answer fails at once
		o.paths = &nss.Flights{FailFast: true}
	}
	if o.readEnvFile == nil {
		o.readEnvFile = readEnvFile
	}
	if o.workDir == nil {
		o.workDir = os.Getwd
	}
	if o.shortageLog == nil {
		o.shortageLog = &RecordLimit{}
	}
	if o.readyShortLog == nil {
		o.readyShortLog = &RecordLimit{}
	}
	if o.notStarted == nil {
		o.notStarted = new(atomic.Int64)
	}
	if o.shortageLog.Late == nil {
		// the count of the last second of a shortage, which no record
		// comes to carry once it ended (REFERENCE §2.1)
		// (through Log, whose hook makes a warning an event)
		log := o.Log
		o.shortageLog.Late = func(muted int) {
			log.Warn(mutedSince(muted, heldBackCounted))
		}
	}
	if o.readyShortLog.Late == nil {
		// the same of the runs stopped not ready (REFERENCE §2.9)
		log := o.Log
		o.readyShortLog.Late = func(muted int) {
			log.Warn(mutedSince(muted, readyShortCounted))
		}
	}
	if o.ExecProbeTry == 0 {
		o.ExecProbeTry = 30 * time.Second
	}
	if o.RestartDelay == 0 {
		o.RestartDelay = time.Second
	}
	if o.BackoffUnit == 0 {
		o.BackoffUnit = 300 * time.Millisecond
	}
	if o.ProxyGrace == 0 {
		o.ProxyGrace = 3 * time.Second
	}
	if o.ProxyHoldGrace == 0 {
		o.ProxyHoldGrace = 2 * time.Second
	}
	if o.ProxyCommandStall == 0 {
		o.ProxyCommandStall = 30 * time.Second
	}
	if o.proxyMuteWait == 0 {
		o.proxyMuteWait = proxyMuteWait
	}
	return o
}

// EventLogger writes one record of cfkd's logger: msg at level lvl with
// the fields of data, as Options.Log.WithFields(data).Log(lvl, msg) would
// to its destination (not to the logger's hooks). It must not block, nor
// keep or change data (an audit record's are its connection's, reused).
type EventLogger interface {
	Event(lvl logrus.Level, data logrus.Fields, msg string)
}

// LineLogger logs one line a service wrote on stream "out" (at info) or
// "err" (at error), with category service.NAME.STREAM, field service and,
// unless 0, pid. It is called from the output poller: it must not block
// for long.
type LineLogger interface {
	ServiceLine(service, stream string, pid int, line []byte)
}

// LinesLogger is a LineLogger that also takes a run of lines of one
// stream of one process at once (osproc.Lines), as the output poller
// hands them over, and does per run what it can (logconf.Router: one lock,
// one clock read). It takes every line, unless it holds the pipe
// (osproc.HoldOutput): then the lines it did not take come again.
type LinesLogger interface {
	LineLogger
	ServiceLines(service, stream string, pid int, lines *osproc.Lines)
}

// entryLines logs lines as logrus entries of a logger.
type entryLines struct{ log *logrus.Logger }

func (e entryLines) ServiceLine(service, stream string, pid int, line []byte) {
	lvl := logrus.InfoLevel
	if stream == "err" {
		lvl = logrus.ErrorLevel
	}
	fields := logrus.Fields{"category": "service." + service + "." + stream, "service": service}
	if pid != 0 {
		fields["pid"] = pid
	}
	e.log.WithFields(fields).Log(lvl, string(line))
}

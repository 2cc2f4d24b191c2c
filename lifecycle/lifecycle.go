package lifecycle

import (
	"strings"
	"syscall"
	"time"

	"github.com/cfk/cfk/messages"
)

// Lifecycle is everything the supervision of one service remembers: plain
// data, copied by value, written as JSON (an in-place upgrade carries it
// across exec). Only Next changes it.
type Lifecycle struct {
	State messages.State `json:"state"`
	Want  Want           `json:"want"`
	// Gen identifies the armed timer: every Arm and Disarm bumps it, so a
	// timer message of an earlier generation is stale.
	Gen uint64 `json:"gen"`
	// Attempt numbers the launches; Launching is the attempt whose outcome
	// (Launched or LaunchFailed) is awaited, 0 when none is.
	Attempt   uint64 `json:"attempt"`
	Launching uint64 `json:"launching,omitempty"`
	// Check numbers the checks of a restart's declaration (REFERENCE
	// §2.7: what a launch needs, looked at before the process is
	// stopped); Checking is the check whose outcome (Checked) is awaited,
	// 0 when none is. Events are deferred meanwhile, as for a launch.
	Check    uint64 `json:"check,omitempty"`
	Checking uint64 `json:"checking,omitempty"`
	// Pid of the process of the current run, 0 when there is none (or a
	// proxy has not reported it yet); Proxied: the run is under a proxy.
	Pid     int  `json:"pid,omitempty"`
	Proxied bool `json:"proxied,omitempty"`
	// PidTime: when the proxy reported the pid of the current run, zero
	// for a direct one. Its ready timeout counts from then (REFERENCE
	// §2.9): the time its proxy took to load, or to reach its start, is
	// not the service's (the wait for the pid has its own bounds, §4.5).
	PidTime time.Time `json:"pid_time,omitzero"`
	// Extended: the ready timeout of the current run, counted as
	// ready_timeout_secs is, as its EXTEND_TIMEOUT_USEC asked (REFERENCE
	// §2.9) when longer than ready_timeout_secs; 0 when it asked none.
	Extended time.Duration `json:"extended,omitempty"`
	// OneShot: the current run is a oneshot's (REFERENCE §2.10, as
	// declared at its launch): starting until its process exits, done
	// (Done, stopped) by a clean exit. Done stays until the next launch:
	// what requires the service may start.
	OneShot bool `json:"oneshot,omitempty"`
	Done    bool `json:"done,omitempty"`
	// Retries counts the consecutive failed starts (backoff, fatal);
	// Crashes the consecutive ends of a running process that nobody asked
	// for (crash-loop throttling).
	Retries int `json:"retries,omitempty"`
	Crashes int `json:"crashes,omitempty"`

	// Ready: the current run said it is ready (readiness, REFERENCE
	// §2.9), or was launched without ready= (a readiness declared while
	// it starts applies from the next launch, as any attribute); End: why cfkd is stopping a run on its own (not ready in
	// time, a watchdog that stopped pinging), which makes its end a
	// failure; cleared, with EndWhy, once the run is down (to).
	Ready bool    `json:"ready,omitempty"`
	End   EndKind `json:"end,omitempty"`
	// EndWhy: the reason of an end that is cfkd's own (EndShort: its
	// shortage, as a launch's says it, `cfkd: too many open files (limit
	// N)`), given to the backoff that follows the run's end.
	EndWhy string `json:"end_why,omitempty"`
	// Signalled: the run got SIGTERM, SIGKILL or its stop_signal from `command signal`,
	// which cfkd's orphan killer takes for a stop (REFERENCE §7.5): an
	// upgrade in place carries it, so the new cfkd does the same.
	Signalled bool `json:"signalled,omitempty"`
	// StopSig and StopWait: the signal the stop under way sent (its
	// stop_signal, or SIGABRT for a watchdog) and the stopwait it was
	// armed with. The stop keeps them whatever is declared since
	// (REFERENCE §2.9): its end by that signal is a stop, its SIGKILL
	// line names them. 0 from a former cfkd that did not carry them.
	StopSig  syscall.Signal `json:"stop_sig,omitempty"`
	StopWait time.Duration  `json:"stop_wait,omitempty"`
	// Launches counts the processes launched since the service was
	// declared; LastExit ("exit 3", "signal 9") and LastExitTime say how
	// and when the last one ended.
	Launches     int       `json:"launches,omitempty"`
	LastExit     string    `json:"last_exit,omitempty"`
	LastExitTime time.Time `json:"last_exit_time,omitzero"`
	// LastError says why the last start failed (backoff, fatal: the
	// status line's fail_reason is only for fail); cleared once running.
	LastError string `json:"last_error,omitempty"`

	StartTime time.Time `json:"start_time,omitzero"`
	StopTime  time.Time `json:"stop_time,omitzero"`
	// StartBefore and StopBefore: the start_time and stop_time the
	// service had before the launch under way (Launching) set and cleared
	// them, given back when its declaration refuses it (REFERENCE §2.1: a
	// refused start changes neither). Zero when no launch is awaited, so
	// an export, which never leaves one awaited, does not write them.
	StartBefore  time.Time `json:"start_before,omitzero"`
	StopBefore   time.Time `json:"stop_before,omitzero"`
	RunningSince time.Time `json:"running_since,omitzero"`
	FailReason   string    `json:"fail_reason,omitempty"`

	// The armed timer (TimerNone: none) and when it fires.
	Timer    TimerKind `json:"timer,omitempty"`
	Deadline time.Time `json:"deadline,omitzero"`

	// Waiters are the requests answered later: once launched, once down,
	// once running.
	Waiters []Waiter `json:"waiters,omitempty"`
	// Deferred are the events that came while a launch's outcome was
	// awaited (the executor may launch asynchronously: a user lookup runs
	// off the actor); they are replayed, in order, once it comes.
	Deferred []Event `json:"deferred,omitempty"`
}

// Want is what the operator asked for, kept apart from what the service
// is doing (State).
type Want uint8

// The wants. A new service wants down.
const (
	WantDown     Want = iota // stopped by the operator, or never started
	WantUp                   // started: failures are respawned by the policy
	WantRestart              // stopping, to be started again once down
	WantDestroy              // being destroyed: down for good
	WantShutDown             // cfkd is shutting down: down for good
)

var wantNames = [...]string{"down", "up", "restart", "destroy", "shutdown"}

func (w Want) String() string {
	if int(w) < len(wantNames) {
		return wantNames[w]
	}
	return "unknown"
}

// Halted reports whether no start is allowed any more.
func (w Want) Halted() bool { return w == WantDestroy || w == WantShutDown }

// TimerKind names the one timer a lifecycle may have armed.
type TimerKind uint8

// The timers.
const (
	TimerNone        TimerKind = iota
	TimerStartWait             // starting: running once it fires with a live pid
	TimerStopWait              // stopping: SIGKILL once it fires
	TimerKillWait              // SIGKILL sent: given up once it fires; under a proxy, no pid by startwait: the proxy is asked then
	TimerBackoff               // backoff: start again once it fires
	TimerReset                 // running after crashes: the crash count is reset once it fires
	TimerReady                 // starting, startwait over, not ready yet: a failed start once it fires
	TimerWatchdog              // running with watchdog_secs: killed as a crash once it fires
	TimerProxyAnswer           // starting under a proxy, no pid: its answer to AskProxy is awaited; fail once it fires
)

var timerNames = [...]string{"none", "startwait", "stopwait", "killwait", "backoff", "reset", "ready", "watchdog", "proxy answer"}

func (k TimerKind) String() string {
	if int(k) < len(timerNames) {
		return timerNames[k]
	}
	return "unknown"
}

// EndKind says why cfkd ends a run on its own.
type EndKind uint8

// The ends.
const (
	EndNone           EndKind = iota
	EndNotReady               // not ready in ready_timeout_secs: a failed start
	EndWatchdog               // no WATCHDOG=1 in watchdog_secs: a crash
	EndTriggered              // WATCHDOG=trigger while running: a crash
	EndTriggeredStart         // WATCHDOG=trigger while starting: a failed start
	// not ready in ready_timeout_secs, its probe's last try not run for
	// cfkd's own shortage (EndWhy): not the service's failure, a backoff
	// as a launch's shortage (REFERENCE §2.1, §2.9)
	EndShort
)

// aborts tells whether the end was asked by SIGABRT, the watchdog's
// signal: that signal is not the stop's, and the exit by it a failure.
func (k EndKind) aborts() bool {
	return k == EndWatchdog || k == EndTriggered || k == EndTriggeredStart
}

// WaitKind says when a waiting request is answered.
type WaitKind uint8

// The waits.
const (
	WaitLaunch         WaitKind = iota // start, up, restart of a down service: the launch's outcome
	WaitLaunchRunning                  // rolling restart of a down service: launched, then running
	WaitRestart                        // restart: down, then the new launch's outcome
	WaitRestartRunning                 // rolling restart: down, launched, then running
	WaitRunning                        // running (nil), or down for good (an error)
	WaitDown                           // destroy, shutdown: down
	// stop of a proxied start with no pid yet: the proxy actor handled
	// the stop (EvProxyStopHeard), or the service left stopping
	WaitStopHeard
)

// Waiter is a request answered later.
type Waiter struct {
	Req  messages.RequestID `json:"req"`
	Kind WaitKind           `json:"kind"`
}

// Policy is what the declaration says about supervision, read by Next
// (the service's configuration and cfkd's options).
type Policy struct {
	Name            string
	StartWait       time.Duration
	StopWait        time.Duration
	RespawnOnFail   bool
	RespawnOnStop   bool
	MaxRetries      int
	BackoffUnit     time.Duration // unit of the start-up backoff (0.3 s)
	RestartDelay    time.Duration // delay after the second consecutive crash (1 s), doubled after each
	RestartMaxDelay time.Duration // cap of that delay
	RestartReset    time.Duration // running that long resets the crash count
	ShortageDelay   time.Duration // retry delay after a launch failed for want of cfkd's resources
	Ready           bool          // the service says when it is ready (ready=...)
	ReadyTimeout    time.Duration // from the launch: not ready by then is a failed start
	StopSignal      syscall.Signal
	SuccessCodes    []int         // exit codes that are a clean exit, besides 0
	Watchdog        time.Duration // running: a WATCHDOG=1 at least this often, else a crash (0: none)
	OneShot         bool          // done when its process exits cleanly: never running
	KillWaitMin     time.Duration // the least killwait (0: 5 s, killWaitMin; tests shorten it)
}

// PolicyOf returns the policy of a service's declaration, with cfkd's
// units.
func PolicyOf(c messages.ServiceConfig, backoffUnit, restartDelay time.Duration) Policy {
	return Policy{
		Name: c.Name, StartWait: c.StartWait, StopWait: c.StopWait,
		RespawnOnFail: c.RespawnOnFail, RespawnOnStop: c.RespawnOnStop, MaxRetries: c.MaxRetries,
		BackoffUnit: backoffUnit, RestartDelay: restartDelay,
		RestartMaxDelay: c.RestartMaxDelay, RestartReset: c.RestartReset,
		ShortageDelay: time.Second,
		Ready:         c.Ready != "", ReadyTimeout: c.ReadyTimeout,
		StopSignal: c.StopSignal, SuccessCodes: messages.ExitCodes(c.SuccessCodes),
		Watchdog: watchdogOf(c), OneShot: c.OneShot,
	}
}

// watchdogOf is c's watchdog: only a service with ready=notify has a
// notify socket to ping on (REFERENCE §1.1); another one's is none.
func watchdogOf(c messages.ServiceConfig) time.Duration {
	if strings.TrimSpace(c.Ready) != string(messages.ReadyNotify) {
		return 0
	}
	return c.Watchdog
}

// Input is one event with the time it happened and a random number (the
// start-up backoff's jitter): Next reads no clock and no random source.
type Input struct {
	Event Event
	Now   time.Time
	Roll  uint32
}

// Event is what happened. Kind selects the row; the other fields are
// those the kind uses.
type Event struct {
	Kind    EventKind
	Req     messages.RequestID // the operator's request (start ... halt)
	Attempt uint64             // the launch it is about (Launched ... ProxyRefused)
	Check   uint64             // Checked: the check it answers
	Pid     int                // Launched (0: a proxy will report it), PidReported, Exited
	Status  syscall.WaitStatus // Exited: the raw wait status
	Proxied bool               // Launched: under a proxy
	Ended   bool               // PidReported: the process had ended before cfkd could take a handle on it
	By      string             // PidReported: the proxy that reported it, as the log names it
	Ready   bool               // Launched: launched with ready= (a probe, NOTIFY_SOCKET): it says when it is ready
	Cause   Cause              // LaunchFailed
	Err     error              // LaunchFailed, ProxyRefused, Checked, ProxyStuck: what the executor or the proxy said; Restart: why the declaration cannot start
	Gen     uint64             // a timer's generation; ProxyMoving, ProxyStuck: the AskProxy's
	Rolling bool               // Start, Up, Restart: answered once running (or down for good)
	Destroy bool               // Halt: destroy (else shutdown)
	Sig     syscall.Signal     // Signal
	Extend  time.Duration      // ExtendTimeout: EXTEND_TIMEOUT_USEC, from now
	// Down: the service's launch under way was abandoned for it (its user
	// lookup, REFERENCE §2.1): the down cancelled a start, it was not idle
	Abandoned bool
	// Restart: the proxy, not running, that the restarted service's
	// launch would run; its launch is checked with the service's
	// (CheckLaunch). With the event, so that a restart deferred behind
	// another's check (Deferred) is checked as it came.
	Proxy *messages.ProxyConfig
	// Exited, under a proxy: the exit_status it reported, as sent ("-5",
	// "\"abc\""; NoExitStatus for none), when that is no wait status of
	// a process's end (Status means nothing then): an abnormal end, said
	// as what it is (REFERENCE §4.3)
	Reported string
}

// NoExitStatus is Event.Reported for a proxy's stopped that had no
// exit_status (absent or null: proxywire's Status.ExitText).
const NoExitStatus = "null"

// EventKind enumerates the events: the columns of the table.
type EventKind uint8

// The events.
const (
	EvStart            EventKind = iota // command start
	EvUp                                // command up
	EvStop                              // command stop
	EvDown                              // command down
	EvRestart                           // command restart, rollingrestart
	EvHalt                              // command destroy, shutdown
	EvLaunched                          // the executor launched attempt (pid, or 0 for a proxy's)
	EvLaunchFailed                      // the executor could not launch attempt
	EvPidReported                       // the proxy reported the pid of attempt
	EvProxyRefused                      // the proxy refused attempt
	EvProxyGone                         // the proxy of attempt ended
	EvExited                            // the process exited (reaper, or the proxy's `stopped`)
	EvStartWaitElapsed                  // timers
	EvStopWaitElapsed
	EvKillWaitElapsed
	EvBackoffElapsed
	EvResetElapsed
	EvReady           // the service said it is ready (notify, a probe) for attempt
	EvReadyElapsed    // timer: not ready in time
	EvWatchdogPing    // the service sent WATCHDOG=1
	EvWatchdogElapsed // timer: no ping in watchdog_secs
	EvSignal          // command signal: Sig to the process
	EvAwait           // a dependent waits for the service to run: answered once running; starts nothing (but a service an operator's stop stops: once down)
	EvChecked         // the executor checked what a launch of the declaration needs, for a restart (Err: it cannot start)
	// The proxy's answers to AskProxy (Attempt, Gen: the ask's): it gets
	// on toward the start (it answered starts sent before it since it
	// was last asked, or it is still loading), or it does not (Err: why);
	// and the timer bounding the wait for that answer.
	EvProxyMoving
	EvProxyStuck
	EvProxyAnswerElapsed
	// The service's sd_notify (REFERENCE §2.9): EXTEND_TIMEOUT_USEC=N
	// (Extend) and WATCHDOG=trigger. New kinds go last: an upgrade's
	// state holds events (Deferred) by number.
	EvExtendTimeout
	EvWatchdogTrigger
	// A pid reported for a start the service gave up: an attempt that is
	// not the current one, or the current one once the service is down
	// (it left its proxy). The check before the table makes it of an
	// EvPidReported (Next): nobody feeds it.
	EvPidGivenUp
	// The auto proxy of attempt could not be launched for want of cfkd's
	// own resources (Err: the reason, as a launch's shortage's): not the
	// service's failure, as EvLaunchFailed's CauseShortage (REFERENCE
	// §2.1, §4.5).
	EvProxyShort
	// The proxy of attempt ended after it closed its status pipe while
	// it ran (cfkd shut it down: it could no longer report a pid or an
	// exit, REFERENCE §4.5): as EvProxyGone, its reason saying why.
	EvProxyMute
	// A stop or down of a proxied service in starting whose pid its proxy
	// has not reported (REFERENCE §4.5): its start may never have reached
	// the proxy's process (held while the proxy stops, or its line not
	// written), and then it ends stopped when the proxy actor drops it.
	// The check before the table makes it of an EvStop or EvDown (Next):
	// nobody feeds it.
	EvStopBeforePid
	// The proxy actor handled the stop of attempt (Attempt): it dropped
	// the start it held (its refusal came first), or wrote the stop line.
	EvProxyStopHeard
	// A launch that cfkd's shutdown cancelled before its fork (REFERENCE
	// §7.4), or a proxydown of its proxy before its start reached the
	// proxy (§4.5): nothing ran, and it is not the service's failure. The
	// check before the table makes it of an EvLaunchFailed of
	// CauseCancelled or CauseProxyDown (next): nobody feeds it.
	EvLaunchCancelled
	// The start of a proxied service that cfkd's shutdown cancelled
	// before it reached the proxy's process (REFERENCE §7.4): its auto
	// proxy's launch was cancelled before its fork, or the proxy was
	// halted; or that a proxydown of its proxy came before, its launch
	// begun before the proxydown (Cause CauseProxyDown, REFERENCE §4.5).
	// Nothing ran, and it is not the service's failure.
	EvProxyCancelled
	// The proxy of attempt ended after it closed its log pipe while it
	// ran (cfkd shut it down: its services' output, and its own, could
	// no longer reach cfkd, REFERENCE §4.5): as EvProxyGone, its reason
	// saying why.
	EvProxyLogClosed
	// An apply's restart of a service it changed (REFERENCE §1.4): as
	// EvRestart for a run (starting or running: checked, then stopped
	// and launched again), but an apply restarts only what is up and
	// stays up: a service down, or stopping for an operator's stop, is
	// left as it is, its next launch of the new declaration; one
	// stopping for a restart is launched again once down, as by it.
	EvApplyRestart
	// The ready timeout of the run fired (Gen: the timer's, as
	// EvReadyElapsed's) while the last try of its probe could not be
	// run for want of cfkd's own fds or a fork (Err: cfkd's reason, as a
	// launch's shortage says it): cfkd could not tell whether the run is
	// ready, and that is not the service's failure (REFERENCE §2.1,
	// §2.9). The executor feeds it in place of EvReadyElapsed.
	EvReadyShort
	numEvents
)

var eventNames = [...]string{
	"start", "up", "stop", "down", "restart", "halt",
	"launched", "launch failed", "pid reported", "proxy refused", "proxy gone", "exited",
	"startwait elapsed", "stopwait elapsed", "killwait elapsed", "backoff elapsed", "reset elapsed",
	"ready", "ready timeout", "watchdog ping", "watchdog elapsed", "signal", "await running", "checked",
	"proxy moving", "proxy stuck", "proxy answer elapsed",
	"extend timeout", "watchdog trigger", "pid given up", "proxy short", "proxy mute",
	"stop before pid", "proxy stop heard", "launch cancelled", "proxy cancelled",
	"proxy log closed", "apply restart", "ready timeout, cfkd short",
}

func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Cause says why a launch failed, which decides what follows.
type Cause uint8

// The causes.
const (
	CauseConfig    Cause = iota // the declaration does not allow a start (no command, socket not bound, unknown user)
	CauseExec                   // fork or exec failed: a failed start, as a process that dies while starting
	CauseShortage               // cfkd ran short of fds, memory or processes, or a user lookup did not answer: not the service's failure
	CauseAbandoned              // a down or a halt came during the launch's user lookup (it may never end): dropped
	CauseCancelled              // cfkd's shutdown began before the fork: nothing was started (made `launch cancelled`)
	CauseProxyDown              // a proxydown of its proxy came before its start reached the proxy: nothing was started (made `launch cancelled`), not counted for the shutdown's line
)

// Effects: what the executor does, in order.
type (
	// Effect is one thing to do.
	Effect interface{ effect() }
	// Launch starts attempt (fork/exec, or a start request to the proxy);
	// the executor answers with EvLaunched or EvLaunchFailed at once.
	Launch struct{ Attempt uint64 }
	// CheckLaunch checks what a launch of the declaration needs and the
	// declaration alone does not tell (the program in the PATH, the
	// env_file, the user and group), for a restart, before its process
	// is stopped; the executor answers with EvChecked (Check: N) before
	// any other event, off the actor when it reads files or looks names
	// up. Proxy is the restart's (Event.Proxy): a proxy that does not run,
	// whose own launch is checked too.
	CheckLaunch struct {
		N     uint64
		Proxy *messages.ProxyConfig
	}
	// Terminate asks the process to stop: Sig (stop_signal, SIGTERM by
	// default) to its group, or the stop command to its proxy.
	Terminate struct {
		Pid int
		Sig syscall.Signal
	}
	// Signal sends Sig to the process (its group; a proxied one's pid).
	// Stop: Sig is the service's stop_signal, whose end is a stop: the
	// executor sends it as a stop's (the run stopped by cfkd, its orphans
	// ended once it exits, REFERENCE §7.5), as it takes a SIGTERM or a
	// SIGKILL.
	Signal struct {
		Sig  syscall.Signal
		Stop bool
	}
	// Probe starts watching for the readiness of attempt (a probe, or the
	// notify socket): at the launch of a direct run, at the report of its
	// pid for a proxied one; Unprobe stops it.
	Probe   struct{ Attempt uint64 }
	Unprobe struct{}
	// Kill sends SIGKILL: to the group of a direct child, to the pid of a
	// proxied one (through a handle that cannot hit a reused pid).
	Kill struct{ Pid int }
	// HoldPid: the process a proxy reported for Attempt (EvPidReported,
	// Pid) is the run's: the executor keeps the handle that came with the
	// report, through which Kill and Signal reach it. The handle of a
	// report no row holds nor kills is released once its event is
	// applied.
	HoldPid struct {
		Attempt uint64
		Pid     int
	}
	// KillGivenUp SIGKILLs the process a proxy reported for a start the
	// service gave up (EvPidGivenUp: Attempt, Pid), through the handle
	// that came with the report; its proxy is told first, so that its
	// exit is a given-up start's (REFERENCE §4.5, §7.5). One that had
	// ended before cfkd could take a handle, or on which it has none
	// (no pidfds, §11), is not killed.
	KillGivenUp struct {
		Attempt uint64
		Pid     int
	}
	// Arm arms the timer Kind to fire at Deadline with generation Gen,
	// replacing any armed one.
	Arm struct {
		Kind     TimerKind
		Deadline time.Time
		Gen      uint64
	}
	// Disarm cancels the armed timer.
	Disarm struct{}
	// Publish: the state changed (a transition that happened). Pid is
	// the process it is about: the current one, or the one whose end made
	// the change.
	Publish struct {
		From, To messages.State
		Reason   string
		Pid      int
	}
	// Update: what status shows changed without a transition (a pid).
	Update struct{}
	// Reply answers request Req (Err nil: OK). Idle: the request changed
	// nothing, the service being down already (a down: a stop of what it
	// requires tells it from a down that brought it down, REFERENCE
	// §2.8) or up already (an up); `done N` does not count it (§1.4).
	Reply struct {
		Req  messages.RequestID
		Err  error
		Idle bool
	}
	// LeaveProxy tells the proxy of the run that the service is down.
	// Retry, when set, is when the service starts again by itself (it is
	// in backoff): an auto proxy waits for that start rather than end
	// and be launched again for it (REFERENCE §4.5).
	LeaveProxy struct{ Retry time.Time }
	// AskProxy asks the proxy of the run, which has not reported the pid
	// of Attempt, whether it gets on toward that start; the executor
	// answers EvProxyMoving or EvProxyStuck with Attempt and Gen (a
	// message: the proxy's actor answers at once, whatever its process
	// does).
	AskProxy struct {
		Attempt uint64
		Gen     uint64
	}
	// EndLeftovers ends what the service's earlier runs left behind (the
	// daemons of a run that exited on its own, adopted by cfkd): a stop
	// of a service that has no process (REFERENCE §7.5).
	EndLeftovers struct{}
	// Log is a line of cfkd's log about the service. Shortage, when not
	// NoShortage, marks a record of cfkd's own shortage, bounded across
	// the services (ShortageRecord). NotStarted marks the record of a
	// start that cfkd's shutdown did not fork (`NAME: not started: ...`,
	// launch cancelled, proxy cancelled): each is logged, in its
	// service's category, and counted for the one line of the shutdown
	// that says how many (REFERENCE §7.4); one a proxydown cancelled
	// (CauseProxyDown, §4.5) is logged, not marked.
	Log struct {
		Level      Level
		Pid        int
		Msg        string
		Shortage   ShortageRecord
		NotStarted bool
	}
)

func (Launch) effect()       {}
func (CheckLaunch) effect()  {}
func (Terminate) effect()    {}
func (Signal) effect()       {}
func (Probe) effect()        {}
func (Unprobe) effect()      {}
func (Kill) effect()         {}
func (HoldPid) effect()      {}
func (KillGivenUp) effect()  {}
func (Arm) effect()          {}
func (Disarm) effect()       {}
func (Publish) effect()      {}
func (Update) effect()       {}
func (Reply) effect()        {}
func (LeaveProxy) effect()   {}
func (AskProxy) effect()     {}
func (EndLeftovers) effect() {}
func (Log) effect()          {}

// ShortageRecord is the kind of a Log effect's record of cfkd's own
// shortage, if it is one.
type ShortageRecord uint8

// The kinds.
const (
	// NoShortage: a record like any other.
	NoShortage ShortageRecord = iota
	// ShortageHeldBack: the record of a start held back by cfkd's own
	// shortage: one a service each second while it lasts, thousands a
	// second with thousands of services, it is logged once a second at
	// most across them all, with the count of those not logged
	// (REFERENCE §2.1).
	ShortageHeldBack
	// ShortageNotReady: the record of a run stopped at its ready timeout
	// because its last readiness check could not run for cfkd's shortage
	// (rowNotReadyShort): bounded as ShortageHeldBack's are, with a count
	// of its own (REFERENCE §2.9).
	ShortageNotReady
)

// Level of a Log effect.
type Level uint8

// The levels.
const (
	Debug Level = iota
	Info
	Warn
	Error
)

// Runtime is what status shows of the lifecycle. A service whose launch
// is under way (Launching: a fork slot, its user lookup, its env_file
// read) shows `starting`, without a pid: it was told to start, and
// status says so from the start's step, as the original did (REFERENCE
// §1.6). That state is derived, not the table's: the transition to
// starting happens, and is published, once launched (a launch that fails
// publishes none), and the table's rows are those of the state it
// launched from.
func (l Lifecycle) Runtime(name, runningCmd string) messages.ServiceRuntime {
	rt := messages.ServiceRuntime{
		Name: name, State: l.State, Pid: l.Pid, StartTime: l.StartTime, StopTime: l.StopTime,
		FailReason: l.FailReason, Retries: l.Retries, Crashes: l.Crashes,
		Restarts: max(l.Launches-1, 0), LastExit: l.LastExit, LastExitTime: l.LastExitTime,
		LastError: l.LastError, Done: l.Done && l.State == messages.Stopped && l.Launching == 0,
	}
	if l.Launching != 0 && !l.State.IsUp() {
		rt.State, rt.Launching, rt.FailReason = messages.Starting, true, "" // fail_reason: in fail only
	}
	if l.State.IsUp() && l.Pid != 0 {
		// a proxied start whose pid has not come has no process yet
		// (REFERENCE §1.6: empty when there is no process)
		rt.RunningCmd = runningCmd
	}
	if l.Timer == TimerBackoff {
		rt.NextStart = l.Deadline
	}
	return rt
}

package lifecycle

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/cfk/cfk/messages"
)

// The rows of the table: one behaviour each. They only change s.l and add
// effects; the table (table.go) says which state and event run which.

// --- the operator's requests ---

// rowStart launches a service that is down: an operator's start begins
// fresh counts of failed starts and crashes. Answered once launched, or
// (Rolling: a rolling restart, a dependency) once running.
var rowStart = row{"launch", "launch; counts start afresh; answered once launched (or running)", func(s *step) {
	if s.l.Want.Halted() {
		s.reply(s.haltedErr())
		return
	}
	k := WaitLaunch
	if s.ev.Rolling {
		k = WaitLaunchRunning
	}
	s.l.Want = WantUp
	s.l.Retries, s.l.Crashes = 0, 0
	s.launch()
	s.wait(k)
}}

// rowUpStopped: `up` makes sure the service is up. A oneshot that is
// done is (REFERENCE §2.10): its job ran, and `up all`, or the start of
// what requires it, does not run it again; `start` and `restart` do. One
// declared oneshot=0 since is a service that is down: it is launched.
var rowUpStopped = row{"launch; OK if done", "launch, as start; a oneshot that is done (and still declared oneshot): answered OK, nothing launched (`start` runs it again)", func(s *step) {
	if s.l.Done && s.p.OneShot && !s.l.Want.Halted() {
		s.do(Reply{Req: s.ev.Req, Idle: true}) // nothing done: not counted in `done N`
		return
	}
	rowStart.do(s)
}}

var rowAlreadyUp = row{"error: already up", "answered `Service 'NAME' is already up`", func(s *step) {
	if s.l.Want.Halted() {
		s.reply(s.haltedErr())
		return
	}
	s.reply(fmt.Errorf("Service '%s' is already up", s.p.Name))
}}

// rowOK: `up` of a service that is up does nothing, and is answered OK,
// idle: as the original's (its up returned without a word), it is not
// counted in `done N` (REFERENCE §1.4).
var rowOK = row{"OK", "already up: answered OK, idle (waiting for running: once running)", func(s *step) {
	switch {
	case s.l.Want.Halted():
		s.reply(s.haltedErr())
	case s.ev.Rolling && s.l.State == messages.Starting:
		s.wait(WaitRunning)
	default:
		s.do(Reply{Req: s.ev.Req, Idle: true})
	}
}}

var rowDownNoop = row{"OK", "already down: answered OK (idle, unless it abandoned the launch under way)", func(s *step) {
	s.wantDown()
	s.do(Reply{Req: s.ev.Req, Idle: !s.ev.Abandoned})
}}

var rowAlreadyDown = row{"error: already down", "answered `Service 'NAME' is already down`; the daemons its runs left are ended", func(s *step) {
	s.do(EndLeftovers{})
	s.reply(AlreadyDown{Name: s.p.Name})
}}

// AlreadyDown is the answer to a stop of a service that is down (compat,
// REFERENCE §1.4): the controller tells it from the other errors (a stop
// that brought down what requires the service is answered OK, §2.8).
type AlreadyDown struct{ Name string }

func (e AlreadyDown) Error() string { return fmt.Sprintf("Service '%s' is already down", e.Name) }

var rowUpWhileStopping = row{"start once down", "started again once down (want restart)", func(s *step) {
	if s.l.Want.Halted() {
		s.reply(s.haltedErr())
		return
	}
	s.l.Want = WantRestart
	if s.ev.Rolling {
		s.wait(WaitRestartRunning)
		return
	}
	s.reply(nil)
}}

// wantDown records that the operator wants the service down, cancelling
// a pending restart; a halt stays a halt.
func (s *step) wantDown() {
	if s.l.Want == WantRestart {
		s.answer(fmt.Errorf("Service '%s': restart cancelled by a stop", s.p.Name), restartWaits...)
	}
	if !s.l.Want.Halted() {
		s.l.Want = WantDown
	}
}

var rowStopBackoff = row{"→ stopped", "the pending start is cancelled; the daemons its runs left are ended", func(s *step) {
	s.wantDown()
	s.do(EndLeftovers{})
	s.l.StopTime, s.l.StartTime = s.now(), time.Time{} // a stop, as beginStopWith's (REFERENCE §1.6)
	s.to(messages.Stopped, "")
	s.reply(nil)
}}

var rowStopProcess = row{"→ stopping", "SIGTERM (or the proxy's stop), stopwait armed", func(s *step) {
	s.wantDown()
	s.beginStop()
	s.reply(nil)
}}

var rowStopBeforePid = row{"→ stopping, answered once the proxy heard", "proxied, its pid not reported yet: the proxy's stop, stopwait armed, as a stop; answered once the proxy actor has handled it (proxy stop heard) or the service is down, not before: a start the proxy held while it stopped, or whose line waited in cfkd, is dropped or taken back then (its refusal comes first: → stopped), so that the stop is answered `stopped` (§4.5)", func(s *step) {
	s.wantDown()
	s.beginStop()
	s.wait(WaitStopHeard)
}}

var rowStopHeard = row{"answered", "the stops waiting for the proxy to handle them (stop before pid) are answered, the service still stopping: the proxy was sent the stop line", func(s *step) {
	s.answer(nil, WaitStopHeard)
}}

var rowStopAgain = row{"OK", "already stopping; a pending restart is cancelled", func(s *step) {
	s.wantDown()
	s.reply(nil)
}}

// beginStop: state stopping, stopwait armed, the process asked to end.
func (s *step) beginStop() {
	s.beginStopWith(s.stopSignal())
}

func (s *step) beginStopWith(sig syscall.Signal) {
	s.l.StopTime, s.l.StartTime = s.now(), time.Time{}
	s.l.StopSig, s.l.StopWait = sig, s.p.StopWait
	s.logs(Info, s.l.Pid, "Stopping service "+s.p.Name)
	s.to(messages.Stopping, "")
	s.arm(TimerStopWait, s.p.StopWait)
	s.do(Terminate{Pid: s.l.Pid, Sig: sig})
}

func (s *step) stopSignal() syscall.Signal {
	if s.p.StopSignal == 0 {
		return syscall.SIGTERM
	}
	return s.p.StopSignal
}

func (s *step) restartWait() WaitKind {
	if s.ev.Rolling {
		return WaitRestartRunning
	}
	return WaitRestart
}

// rowCheckForRestart: a restart of an up service first has what its
// launch needs checked (the executor looks at the program, the env_file,
// the user, off the actor), so that a declaration that cannot start is
// refused with its process kept, as `nginx -t` before a reload: stopping
// first would make an outage of an edit that the start then refuses.
var rowCheckForRestart = row{"check, then stop", "what the launch needs is checked first (the cwd, the program, the env_file, the user, the notify socket that user needs, the program of the proxy it would run: the executor's CheckLaunch, off the actor; the other events wait for it). A declaration that cannot start (no cmd, a socket not bound: the event's Err) is answered that error at once, its process kept", func(s *step) {
	if s.ev.Err != nil {
		s.reply(s.ev.Err)
		return
	}
	s.l.Check++
	s.l.Checking = s.l.Check
	s.wait(s.restartWait()) // the other events wait for the check: no launch answers it before
	s.do(CheckLaunch{N: s.l.Check, Proxy: s.ev.Proxy})
}}

var rowStopForRestart = row{"→ stopping, then launch", "checked: stopped; launched again once down; answered then. A check that failed (`Service 'NAME' cannot start: exec PROG: ...`, an env_file, a user), or that a proxydown of the proxy it would start under ended (`Service 'NAME' was not restarted: proxy 'P' was shut down`, §4.5), is answered its error, the process kept", func(s *step) {
	s.l.Checking = 0
	if s.ev.Err != nil {
		s.answer(s.ev.Err, WaitRestart, WaitRestartRunning)
		return
	}
	s.beginStop()
	s.l.Want = WantRestart
}}

var rowRestartWhenDown = row{"launch once down", "launched again once down; answered then", func(s *step) {
	if s.l.Want.Halted() {
		s.reply(s.haltedErr())
		return
	}
	s.l.Want = WantRestart
	s.wait(s.restartWait())
}}

// rowApplyRestartDown, rowApplyRestartStopping: an apply restarts the
// services it changed that are up, and only those (REFERENCE §1.4): one
// that is down has no run of the declaration it replaced, and one that
// an operator's stop (stop, down) is taking down stays down: that stop
// is honoured. Restart's row, rowRestartWhenDown, started it again once
// down: an apply's restart that reached db after a `stop db` brought db
// back up.
var rowApplyRestartDown = row{"OK, nothing launched", "nothing runs: answered OK, idle; its next launch (a start, a backoff's retry) is of the new declaration", func(s *step) {
	s.do(Reply{Req: s.ev.Req, Idle: true})
}}

var rowApplyRestartStopping = row{"OK, left to its stop", "stopping for an operator's stop: answered OK, idle, nothing launched: the stop stands, and its next launch is of the new declaration; stopping for a restart, or for cfkd's own while wanted up (not ready, a watchdog): launched again once down, answered then, as restart; halted: as restart", func(s *step) {
	// wanted up, stopped by cfkd itself (not ready in time, a watchdog):
	// no operator asked it down, and it ended in fail, not launched
	// again without respawn_on_fail, the apply's new declaration never run
	if s.l.Want == WantRestart || s.l.Want == WantUp || s.l.Want.Halted() {
		rowRestartWhenDown.do(s)
		return
	}
	s.do(Reply{Req: s.ev.Req, Idle: true})
}}

// halt: down for good (destroy, shutdown).
func (s *step) halt() {
	s.l.Want = WantShutDown
	if s.ev.Destroy {
		s.l.Want = WantDestroy
	}
	s.answer(s.haltedErr(), restartWaits...)
}

var rowHaltDown = row{"OK (halted)", "no start any more", func(s *step) {
	s.halt()
	s.reply(nil)
}}

var rowHaltBackoff = row{"→ stopped (halted)", "the pending start is cancelled; no start any more", func(s *step) {
	s.halt()
	s.l.StopTime, s.l.StartTime = s.now(), time.Time{}
	s.to(messages.Stopped, "")
	s.reply(nil)
}}

var rowHaltProcess = row{"→ stopping (halted)", "stopped; answered once down", func(s *step) {
	s.halt()
	s.beginStop()
	s.wait(WaitDown)
}}

var rowHaltWait = row{"halted", "answered once down", func(s *step) {
	s.halt()
	s.wait(WaitDown)
}}

// --- the executor's answers ---

var rowLaunched = row{"→ starting", "startwait armed (running at once with startwait 0), readiness watched (under a proxy, from the pid it reports)", func(s *step) {
	s.l.Launching = 0
	s.timesBefore() // a process runs: its own times from now on
	s.l.Launches++
	// a run launched without ready= has nothing to say: it is not made to
	// wait for a readiness nobody watches if ready= is declared meanwhile
	// (since its spec was made: the event says how it was launched)
	s.l.Pid, s.l.Proxied, s.l.Ready, s.l.Signalled = s.ev.Pid, s.ev.Proxied, !s.ev.Ready, false
	s.l.PidTime, s.l.OneShot = time.Time{}, s.p.OneShot
	s.to(messages.Starting, "")
	s.launchedWaiters()
	if s.ev.Ready && !s.ev.Proxied {
		// under a proxy, once it reports the pid (rowPidReported): a
		// proxy that preloads has no process to probe yet, and the
		// probe would be down to its slowest tries by the time it has
		s.do(Probe{Attempt: s.l.Attempt})
	}
	s.startWait()
}}

// startWait arms startwait, or with startwait 0 counts a known process as
// running at once (a timer message could come after its exit: whether an
// instant exit is a crash must not depend on that race).
func (s *step) startWait() {
	if s.p.StartWait <= 0 && s.l.Pid != 0 {
		s.startWaited()
		return
	}
	s.arm(TimerStartWait, s.p.StartWait)
}

// startWaited: the process lived startwait. Running, if it does not have
// to say it is ready or has said so; else it has until ReadyTimeout after
// its launch, under a proxy after the proxy reported its pid (0: no
// bound, as watchdog_secs=0 and systemd's TimeoutStartSec=0; it stays
// starting until it is ready).
func (s *step) startWaited() {
	if s.l.OneShot {
		// starting until its process exits (REFERENCE §2.10): no bound,
		// as TimeoutStartSec=infinity, the proxy's wait for its pid over
		s.disarm()
		return
	}
	if !s.p.Ready || s.l.Ready {
		s.running()
		return
	}
	if s.p.ReadyTimeout <= 0 {
		s.disarm() // a proxy's killwait, armed while its pid was awaited
		return
	}
	s.arm(TimerReady, max(s.readyDeadline().Sub(s.now()), 0))
}

// readyFrom is when the ready timeout of the run counts from: its launch,
// under a proxy the report of its pid.
func (s *step) readyFrom() time.Time {
	if s.l.Proxied && !s.l.PidTime.IsZero() {
		// a proxy that preloads, or forks hundreds of services, reports
		// the pid late: that wait is bounded apart (§4.5), and counted
		// here too it ended at startwait a process that had its whole
		// ready_timeout_secs to get ready
		return s.l.PidTime
	}
	return s.l.StartTime
}

// readyDeadline is when the run is a failed start if not ready:
// ready_timeout_secs after readyFrom, or later as its EXTEND_TIMEOUT_USEC
// asked.
func (s *step) readyDeadline() time.Time {
	return s.readyFrom().Add(max(s.p.ReadyTimeout, s.l.Extended))
}

var rowReady = row{"ready", "running once startwait is over too", func(s *step) {
	if s.l.Ready {
		return
	}
	s.l.Ready = true
	if s.l.Timer == TimerStartWait || s.l.Pid == 0 {
		s.do(Update{})
		return
	}
	s.running()
}}

var rowNotReady = row{"→ stopping, then backoff", "not ready in time: stopped, then a failed start (`Not ready after 60s`)", func(s *step) {
	s.logf(Warn, s.l.Pid, "%s: %s: stopping it", s.p.Name, s.endReason(EndNotReady))
	s.beginStop()
	s.l.End = EndNotReady
}}

// rowNotReadyShort: the run's ready timeout fired while the last try of
// its probe could not be run for cfkd's own shortage (REFERENCE §2.9):
// cfkd cannot tell whether the run is ready, and its want of fds or of a
// fork is not the service's failure (§2.1). The bound is kept (what a
// rolling restart, a dependent, an operator wait for ends on time), as
// is the rule of a launch's shortage: the run is stopped, and its end is
// a backoff with cfkd's reason, retried after 1 s, never counted, never
// fatal; once cfkd can run the tries again, a launch is checked afresh.
var rowNotReadyShort = row{"→ stopping, then backoff, not counted", "not ready in time, the last try of its probe not run for want of cfkd's own fds or a fork (§2.9): cfkd could not check it, which is not the service's failure: stopped, then a backoff with cfkd's reason (`cfkd: too many open files (limit N)`), started again after 1 s, as a launch's shortage (§2.1): not counted, never fatal, respawn_on_fail or not; a last try that ran and failed is `Not ready after 60s`, counted", func(s *step) {
	why := "cfkd's shortage"
	if s.ev.Err != nil {
		why = s.ev.Err.Error()
	}
	// one a second at most across the services, as the backoff's record
	// (ShortageNotReady)
	s.do(Log{Level: Warn, Pid: s.l.Pid, Shortage: ShortageNotReady,
		Msg: fmt.Sprintf("%s: not ready after %v, and its last readiness check could not run: %s: stopping it (not counted as a failed start)", s.p.Name, s.readyBound(), why)})
	s.beginStop()
	s.l.End, s.l.EndWhy = EndShort, why
}}

// readyBound is the run's ready timeout, as extended.
func (s *step) readyBound() time.Duration {
	return max(s.p.ReadyTimeout, s.l.Extended).Round(time.Millisecond)
}

// endReason is the fail reason of a run cfkd ended on its own.
func (s *step) endReason(k EndKind) string {
	switch k {
	case EndWatchdog:
		return fmt.Sprintf("Watchdog timeout after %v", s.p.Watchdog)
	case EndTriggered, EndTriggeredStart:
		return "Watchdog request"
	}
	if s.l.Extended > s.p.ReadyTimeout {
		return fmt.Sprintf("Not ready after %v (ready_timeout_secs %v, extended by EXTEND_TIMEOUT_USEC)",
			s.l.Extended.Round(time.Millisecond), s.p.ReadyTimeout)
	}
	return fmt.Sprintf("Not ready after %v", s.p.ReadyTimeout)
}

var rowWatchdogPing = row{"watchdog re-armed", "the crash count is reset once it has run restart_reset_secs", func(s *step) {
	if s.p.Watchdog <= 0 {
		return
	}
	s.arm(TimerWatchdog, s.p.Watchdog)
	if s.l.Crashes > 0 && s.now().Sub(s.l.RunningSince) >= s.p.RestartReset {
		s.l.Crashes = 0 // told by Next (told)
	}
}}

var rowWatchdogElapsed = row{"→ stopping, then a crash", "SIGABRT, SIGKILL after stopwait; its end is a crash (`Watchdog timeout after 10s`); nothing if watchdog_secs was set to 0 since", func(s *step) {
	if s.p.Watchdog <= 0 { // disabled while it ran: the process is left alone
		return
	}
	s.logf(Error, s.l.Pid, "%s: %s: sending SIGABRT", s.p.Name, s.endReason(EndWatchdog))
	s.beginStopWith(syscall.SIGABRT)
	s.l.End = EndWatchdog
}}

var rowSignal = row{"signal", "the signal to the process (its group); SIGTERM, SIGKILL or the stop_signal marks the run signalled (its end is a stop's: its orphans are ended); a stop_signal other than TERM and KILL goes to a direct child as a stop's, SIGCONT after it (§2.2); proxied, its pid not reported yet: answered `Service 'NAME' has no process yet: its proxy has not reported its pid`", func(s *step) {
	if s.l.Proxied && s.l.Pid == 0 {
		// nothing to signal (a proxy that preloads, or reaches its
		// start late): `done` would say it was sent
		s.reply(fmt.Errorf("Service '%s' has no process yet: its proxy has not reported its pid", s.p.Name))
		return
	}
	// an end by the stop_signal is a stop (stopped, not started again):
	// what the run left is ended then, as after a SIGTERM
	stop := s.ev.Sig == s.stopSignal() && s.ev.Sig != syscall.SIGTERM && s.ev.Sig != syscall.SIGKILL
	if stop || s.ev.Sig == syscall.SIGTERM || s.ev.Sig == syscall.SIGKILL {
		s.l.Signalled = true
	}
	s.do(Signal{Sig: s.ev.Sig, Stop: stop})
	s.reply(nil)
}}

// The await rows answer a dependent's wait (REFERENCE §2.8): they start
// nothing, so a service in backoff keeps its delay and its counts (but
// rowAwaitStopping, for a service an operator's stop stops).
var (
	rowAwaitNow = row{"OK", "running: answered OK", func(s *step) { s.reply(nil) }}
	rowAwait    = row{"OK once running", "answered once running, or with an error once down for good", func(s *step) {
		s.wait(WaitRunning)
	}}
	// rowAwaitStopping: the wait follows the dependent's start of the
	// service itself (REFERENCE §2.8): stopping for an operator's stop,
	// that start was refused `already up` (compat), and the dependents
	// would fail once it is down, where `start app` alone starts it
	// again (an up, rowUpWhileStopping). The stop of a restart, or a
	// failed start's end, is waited through: nothing more is started.
	rowAwaitStopping = row{"start once down, OK once running", "stopping for an operator's stop (its own start, just before, refused `already up`): started again once down, as up, and answered once running, or with the launch's error; stopping for a restart or a failed start: answered once running, or with an error once down for good", func(s *step) {
		if s.l.Want == WantDown {
			s.l.Want = WantRestart
			s.wait(WaitRestartRunning)
			return
		}
		s.wait(WaitRunning)
	}}
	rowAwaitDown = row{"error: down; OK if done", "answered `Service 'NAME' did not come back up: STATE (REASON)`, REASON a fail's reason or a fatal's last error, STATE `destroyed` or `shut down` when halted; a oneshot stopped by its clean exit (done): OK", func(s *step) {
		if s.l.Done && s.l.State == messages.Stopped {
			s.reply(nil)
			return
		}
		s.reply(s.notBackUp())
	}}
)

var rowSignalDown = row{"error: not up", "answered `Service 'NAME' is not up`", func(s *step) {
	s.reply(fmt.Errorf("Service '%s' is not up", s.p.Name))
}}

var rowLaunchFailed = row{"backoff, fatal or fail", "by cause: declaration (answered its error, the start_time and stop_time kept), fork/exec (a failed start), cfkd's shortage; abandoned for a down or a halt (its user lookup may never end): the start is answered, a backoff ends, the stop follows", func(s *step) {
	s.l.Launching = 0
	before := s.timesBefore()
	s.l.StopTime = s.now()
	err := s.ev.Err
	switch s.ev.Cause {
	case CauseConfig:
		s.launchImpossible(err, before)
	case CauseAbandoned:
		s.answer(err, launchWaits...)
		if s.l.State == messages.Backoff {
			s.to(messages.Stopped, "")
		}
	case CauseShortage:
		s.answer(fmt.Errorf("Service '%s' cannot start now: %w", s.p.Name, err), launchWaits...)
		s.heldBack(err)
	default:
		s.logf(Error, 0, "%s: cannot start: %v", s.p.Name, err)
		s.answer(fmt.Errorf("Service '%s' failed to start: %w", s.p.Name, err), launchWaits...)
		s.failedStart("Could not start: " + err.Error())
	}
}}

// rowLaunchCancelled: cfkd's shutdown began while the launch waited for
// its fork slot, and nothing was forked (REFERENCE §7.4), or a proxydown
// of its proxy came while it read its env_file or looked its user up,
// before its start reached the proxy (CauseProxyDown, §4.5). Nothing ran
// and nothing failed: no backoff, no count, no error record; the service
// keeps the times it had (a backoff ends now, as a stop ends it), and
// the shutdown, deferred behind the launch, finds it down.
var rowLaunchCancelled = row{"→ stopped", "cfkd's shutdown began before the fork (§7.4), or a proxydown of its proxy came before its start reached the proxy (§4.5): nothing ran, and it is not the service's failure: stopped, not backoff nor fatal, not counted, no error logged (`NAME: not started: cfkd is shutting down`, `NAME: not started: proxy 'P' was shut down`); the start is answered `Service 'NAME' was not started: REASON`, the start_time and stop_time are kept (a backoff ends now); the shutdown waiting behind the launch then finds it down", func(s *step) {
	s.l.Launching = 0
	s.nothingRan(s.timesBefore())
	s.notStarted(s.ev.Err)
	s.to(messages.Stopped, "")
}}

// notStarted logs and answers a start that cfkd's shutdown cancelled
// (err: why), no failure of the service (REFERENCE §7.4); the record is
// counted too (Log.NotStarted). So one that a proxydown of its proxy
// cancelled (CauseProxyDown, §4.5), whose record is not the shutdown's
// to count.
func (s *step) notStarted(err error) {
	s.do(Log{Level: Info, Msg: fmt.Sprintf("%s: not started: %v", s.p.Name, err), NotStarted: s.ev.Cause != CauseProxyDown})
	s.answer(fmt.Errorf("Service '%s' was not started: %w", s.p.Name, err), launchWaits...)
}

// timesBefore takes the start_time and stop_time that the launch under
// way replaced (StartBefore, StopBefore), and clears them: what a start
// that ran nothing gives back (nothingRan).
func (s *step) timesBefore() [2]time.Time {
	before := [2]time.Time{s.l.StartBefore, s.l.StopBefore}
	s.l.StartBefore, s.l.StopBefore = time.Time{}, time.Time{}
	return before
}

// nothingRan gives the service back the start_time and stop_time it had
// before a launch that ran nothing (before, from timesBefore); a
// backoff, which ends now as a stop ends it (rowStopBackoff), has no
// start_time and a stop_time of now.
func (s *step) nothingRan(before [2]time.Time) {
	if s.l.State == messages.Backoff {
		s.l.StartTime, s.l.StopTime = time.Time{}, s.now()
		return
	}
	s.l.StartTime, s.l.StopTime = before[0], before[1]
}

// launchImpossible: the declaration does not allow a start. An operator's
// request gets the error (a backoff in progress ends: stopped), and the
// service keeps the start_time and stop_time it had before (before: what
// the launch cleared and set); an automatic start (a retry, a respawn)
// gives up: fatal.
func (s *step) launchImpossible(err error, before [2]time.Time) {
	asked := false
	for _, w := range s.l.Waiters {
		asked = asked || w.Kind != WaitDown && w.Kind != WaitRunning
	}
	s.answer(err, launchWaits...)
	s.l.LastError = err.Error() // inspect says why it is down
	if !asked {
		s.logf(Error, 0, "%s: cannot start any more (%v): giving up", s.p.Name, err)
		s.to(messages.Fatal, s.l.LastError)
		return
	}
	// nothing started: the times it had (it said the refused start's
	// start_time, then a stop_time of now, as if a process had run: a
	// service never started showed one, a failed one its failure now)
	s.nothingRan(before)
	if s.l.State == messages.Backoff {
		s.to(messages.Stopped, "")
	}
}

var rowPidReported = row{"pid known", "the process is the run's (its handle kept; log `NAME started by proxy P`); startwait armed again from now; readiness watched from now", func(s *step) {
	if s.l.Pid != 0 {
		return
	}
	s.l.Pid = s.ev.Pid // told by Next (told)
	s.l.PidTime = s.now()
	s.do(HoldPid{Attempt: s.ev.Attempt, Pid: s.ev.Pid})
	s.logf(Info, s.ev.Pid, "%s started by proxy %s", s.p.Name, s.ev.By)
	if s.l.State == messages.Starting {
		if !s.l.Ready {
			// its probe starts at its process, as a direct run's at
			// its fork (REFERENCE §2.9)
			s.do(Probe{Attempt: s.l.Attempt})
		}
		s.startWait()
	}
}}

var rowPidAfterStop = row{"killed, → stopped", "the pid of a start stopped before the proxy reported it: the process is killed at once (through its handle, its group with it), the stop is done; a process that had ended before cfkd could take its handle (the proxy stopped it already) is not killed, and not warned about", func(s *step) {
	if s.l.Pid != 0 {
		return
	}
	s.l.Pid = s.ev.Pid
	s.do(HoldPid{Attempt: s.ev.Attempt, Pid: s.ev.Pid}) // for the Kill; no `started by proxy` line: the service never took it
	if s.ev.Ended {
		s.logf(Info, s.ev.Pid, "%s: its proxy reported its pid after the stop: it had already ended", s.p.Name)
	} else {
		s.logf(Warn, s.ev.Pid, "%s: its proxy reported its pid after the stop: killing it", s.p.Name)
		s.do(Kill{Pid: s.ev.Pid})
	}
	s.ended(messages.Stopped, "")
}}

var rowPidGivenUp = row{"killed", "the pid of a start the service gave up (an earlier attempt, or the current one once the service is down: it left its proxy): nobody would supervise that process, killed at once through the handle that came with the report, its proxy told first (its exit is a given-up start's, §4.5, §7.5); one that had ended before cfkd could take a handle, or on which cfkd has none (§11), is not; the state is not the report's", func(s *step) {
	s.do(KillGivenUp{Attempt: s.ev.Attempt, Pid: s.ev.Pid})
}}

var rowProxyRefused = row{"→ fail", "the proxy's message is the reason", func(s *step) {
	if s.l.Pid != 0 {
		return
	}
	// most refusals are cfkd's own (a noauto proxy down, a launch that
	// failed, a start line too long, a socket bound after the launch):
	// the proxy process never saw the start, so the log does not say it
	// refused it; the reason says who did
	s.logf(Error, 0, "%s: cannot start under its proxy: %v", s.p.Name, s.ev.Err)
	s.ended(messages.Fail, s.ev.Err.Error())
}}

var rowProxyShort = row{"backoff, retried", "its auto proxy could not be launched for want of cfkd's own resources (fds, a fork): not the service's failure, as a launch's shortage: backoff, started again after 1 s, not counted, never fatal", func(s *step) {
	if s.l.Pid != 0 {
		return
	}
	s.l.StopTime = s.now()
	s.heldBack(s.ev.Err)
}}

var rowProxyCancelled = row{"→ stopped", "cfkd's shutdown cancelled its auto proxy's launch before its fork, or halted the proxy, before the start reached the proxy's process (§7.4), or a proxydown of its proxy came before its start, launched before it, reached the proxy (§4.5): nothing ran, and it is not the service's failure, as `launch cancelled`: stopped, not fail, no error logged (`NAME: not started: REASON`); a start waiting for its launch is answered `Service 'NAME' was not started: REASON`", func(s *step) {
	if s.l.Pid != 0 {
		return
	}
	s.notStarted(s.ev.Err)
	s.ended(messages.Stopped, "")
}}

var rowProxyRefusedStopping = row{"→ stopped", "nothing ran: the stop is done", func(s *step) {
	if s.l.Pid != 0 {
		return
	}
	s.logf(Info, 0, "%s: stopped before its proxy ran it: %v", s.p.Name, s.ev.Err)
	s.ended(messages.Stopped, "")
}}

var rowProxyGone = row{"→ fail", "`proxy stopped`; its process, if the proxy had reported it, is killed (nothing would supervise it)", func(s *step) {
	s.proxyGone("proxy stopped")
}}

var rowProxyGoneStopping = row{"→ fail, or stopped with no pid", "with a pid: as starting and running (`proxy stopped`, its process killed); a stop of a start whose pid the proxy had not reported: nothing ran that cfkd knew of, → stopped, with a warning (what the proxy may have forked for it is ended once it is reaped, §4.5)", func(s *step) {
	s.proxyGoneStopping("proxy stopped")
}}

// proxyMuted is the reason of a service whose proxy was shut down for
// closing its status pipe (REFERENCE §4.5).
const proxyMuted = "proxy closed its status pipe"

var rowProxyMute = row{"→ fail", "`" + proxyMuted + "`: its proxy closed its status pipe while it ran, and cfkd shut it down, as it could report no pid and no exit any more (§4.5); its process, if the proxy had reported it, is killed, as for `proxy stopped`", func(s *step) {
	s.proxyGone(proxyMuted)
}}

var rowProxyMuteStopping = row{"→ fail, or stopped with no pid", "as proxy gone's in stopping, the reason `" + proxyMuted + "`", func(s *step) {
	s.proxyGoneStopping(proxyMuted)
}}

// proxyLogClosed is the reason of a service whose proxy was shut down for
// closing its log pipe (REFERENCE §4.5).
const proxyLogClosed = "proxy closed its log pipe"

var rowProxyLogClosed = row{"→ fail", "`" + proxyLogClosed + "`: its proxy closed its log pipe while it ran, and cfkd shut it down, as its services' output could no longer reach cfkd (§4.5); its process, if the proxy had reported it, is killed, as for `proxy stopped`", func(s *step) {
	s.proxyGone(proxyLogClosed)
}}

var rowProxyLogClosedStopping = row{"→ fail, or stopped with no pid", "as proxy gone's in stopping, the reason `" + proxyLogClosed + "`", func(s *step) {
	s.proxyGoneStopping(proxyLogClosed)
}}

// proxyGone: the proxy of the run ended (reason: why, as the service's
// fail reason says it). Its process, if the proxy had reported it, is
// killed: the proxy's child lives on without it (cfkd, its subreaper,
// will reap it), a service in fail keeps no process, and the next start
// would run a second one next to it.
func (s *step) proxyGone(reason string) {
	s.logf(Info, 0, "'%s' has stopped: %s", s.p.Name, reason)
	if s.l.Pid != 0 {
		s.logf(Warn, s.l.Pid, "%s: its proxy is gone: killing its process", s.p.Name)
		s.do(Kill{Pid: s.l.Pid})
	}
	s.ended(messages.Fail, reason)
}

// proxyGoneStopping: proxyGone in stopping; a stop of a start whose pid
// the proxy had not reported ends stopped (nothing ran that cfkd knew of).
func (s *step) proxyGoneStopping(reason string) {
	if s.l.Pid != 0 {
		s.proxyGone(reason)
		return
	}
	s.logf(Warn, 0, "%s: its proxy ended before it reported its pid: considered stopped", s.p.Name)
	s.ended(messages.Stopped, "")
}

// ended: the process is gone (or considered so) without a respawn.
func (s *step) ended(st messages.State, reason string) {
	s.endedPid = s.l.Pid
	s.l.Pid, s.l.StopTime = 0, s.now()
	s.to(st, reason)
	s.afterDown()
}

// --- exits ---

// exitKind classifies a wait status: a clean exit (0 or a success code),
// the end by SIGTERM or the stop signal, or a failure with its fail_reason
// (compat texts, REFERENCE §1.6).
func (s *step) exitKind(ws syscall.WaitStatus) (clean, term bool, reason string) {
	switch {
	case ws.Exited() && (ws.ExitStatus() == 0 || slices.Contains(s.p.SuccessCodes, ws.ExitStatus())):
		return true, false, ""
	case ws.Signaled() && (ws.Signal() == syscall.SIGTERM || ws.Signal() == s.stopSignal()):
		return false, true, ""
	case ws.Signaled() && s.l.State == messages.Stopping && !s.l.End.aborts() && ws.Signal() == s.l.StopSig:
		return false, true, "" // the signal the stop sent, a stop_signal declared since notwithstanding
	}
	return false, false, FailReason(ws)
}

// exited logs the exit and returns its kind; the process is no more.
func (s *step) exited() (clean, term bool, reason string) {
	ws, pid := s.ev.Status, s.l.Pid
	s.endedPid = pid
	s.l.Pid, s.l.StopTime = 0, s.now()
	if bad := s.ev.Reported; bad != "" {
		// the proxy said the process ended, with no status or one no end
		// has: an abnormal end, not what its bits would read as
		// (REFERENCE §4.3)
		reason, last, as := "proxy reported no exit_status", "no exit_status", ""
		if bad != NoExitStatus {
			reason, last, as = "proxy reported exit_status "+bad+", which is no process's end", "exit_status "+bad, " "+bad
		}
		s.l.LastExit, s.l.LastExitTime = last, s.now()
		s.logs(Error, pid, "child terminated abnormally"+as+": "+reason)
		return false, false, reason
	}
	s.l.LastExit, s.l.LastExitTime = exitText(ws), s.now()
	clean, term, reason = s.exitKind(ws)
	switch {
	case clean:
		s.logs(Info, pid, "child "+s.p.Name+" exited")
	case term:
		s.logs(Info, pid, "child "+s.p.Name+" terminated by SIG"+messages.SignalName(ws.Signal()))
	default:
		s.logf(Error, pid, "child terminated abnormally %d: %s", int(ws), reason)
	}
	return clean, term, reason
}

var rowExitedStarting = row{"backoff or fatal; stopped if clean", "a oneshot's clean exit: done (§2.10); else a failed start: retried after k × 0.3 s (k in 1..2n−1), fatal at respawn_max_retries", func(s *step) {
	clean, term, reason := s.exited()
	switch {
	case clean && s.l.OneShot:
		s.done()
	case clean && s.p.RespawnOnStop:
		s.failedStart("exited during start-up")
	case clean || term:
		s.to(messages.Stopped, "")
	default:
		s.failedStart(reason)
	}
	s.afterDown()
}}

// done: a oneshot's process exited cleanly (REFERENCE §2.10). It is
// stopped, its failed starts forgotten, and what waits for it to run is
// answered OK (settleRunning).
func (s *step) done() {
	s.l.Retries, s.l.LastError, s.l.Done = 0, "", true
	s.logf(Info, s.endedPid, "%s is done (oneshot)", s.p.Name)
	s.to(messages.Stopped, "")
}

// failedStart applies the start-up policy: fail without respawn_on_fail,
// else backoff, fatal once respawn_max_retries failed starts are reached.
func (s *step) failedStart(reason string) {
	s.l.LastError = reason
	if !s.p.RespawnOnFail || s.l.Want != WantUp {
		s.to(messages.Fail, reason)
		return
	}
	s.l.Retries++
	n, max := s.l.Retries, s.p.MaxRetries
	if n >= max {
		s.logf(Error, 0, "%s: giving up after %d failed starts (%s)", s.p.Name, n, reason)
		s.to(messages.Fatal, reason)
		return
	}
	delay := time.Duration(1+int(s.in.Roll%uint32(2*n-1))) * s.p.BackoffUnit
	s.logf(Warn, 0, "%s failed during start-up (%s); restarting in %v, attempt %d/%d", s.p.Name, reason, delay, n+1, max)
	s.to(messages.Backoff, reason)
	s.arm(TimerBackoff, delay)
}

var rowExitedRunning = row{"→ fail (stopped if clean), then launch or backoff", "a crash: launched at once the first time, then after 1 s, 2 s, 4 s ... up to restart_max_delay_secs", func(s *step) {
	clean, term, reason := s.exited()
	switch {
	case term || clean && !s.p.RespawnOnStop:
		s.to(messages.Stopped, "")
	case clean:
		s.to(messages.Stopped, "")
		s.crashed("exited")
	case !s.p.RespawnOnFail:
		s.to(messages.Fail, reason)
	default:
		s.to(messages.Fail, reason)
		s.crashed("crashed")
	}
	s.afterDown()
}}

// crashed applies the crash-loop policy to a running process that ended
// unasked: the first crash in a row is launched again at once, the next
// after RestartDelay, doubled at each crash up to RestartMaxDelay. The
// count restarts from zero once the service has run RestartReset.
func (s *step) crashed(verb string) {
	if s.l.Want != WantUp {
		return
	}
	if s.now().Sub(s.l.RunningSince) >= s.p.RestartReset {
		s.l.Crashes = 0
	}
	s.l.Crashes++
	if s.l.Crashes == 1 {
		s.launch()
		return
	}
	delay := crashDelay(s.p, s.l.Crashes)
	s.logf(Warn, 0, "%s %s %d times in a row; restarting in %v", s.p.Name, verb, s.l.Crashes, delay)
	s.to(messages.Backoff, "")
	s.arm(TimerBackoff, delay)
}

// crashDelay is the delay before the launch after the n-th crash in a row
// (n ≥ 2): RestartDelay × 2^(n−2), at most RestartMaxDelay.
func crashDelay(p Policy, n int) time.Duration {
	d := p.RestartDelay
	for i := 2; i < n && d < p.RestartMaxDelay; i++ {
		d *= 2
	}
	return min(d, p.RestartMaxDelay)
}

var rowExitedStopping = row{"→ stopped, or fail if not by SIGTERM", "then a pending restart is launched, a halt answered; stopped by cfkd on its own (not ready): a failed start; not ready, its checks not run for cfkd's shortage: backoff with cfkd's reason, not counted", func(s *step) {
	clean, term, reason := s.exited()
	// each branch goes on from stopping through to, which clears End
	// and EndWhy
	if end := s.l.End; end != EndNone && s.l.Want == WantUp {
		if end == EndShort {
			s.heldBack(errors.New(s.l.EndWhy)) // read before its to
		} else if end == EndNotReady || end == EndTriggeredStart {
			s.failedStart(s.endReason(end))
		} else if s.to(messages.Fail, s.endReason(end)); s.p.RespawnOnFail {
			s.crashed("crashed")
		}
		s.afterDown()
		return
	}
	if clean || term {
		s.to(messages.Stopped, "")
	} else {
		s.to(messages.Fail, reason)
	}
	s.afterDown()
}}

// afterDown runs once an end left the service down: a halt is answered, a
// pending restart launched (with fresh counts, as an operator's start).
func (s *step) afterDown() {
	if s.l.State.IsUp() || s.l.State == messages.Backoff || s.l.Launching != 0 {
		return
	}
	switch {
	case s.l.Want.Halted():
		s.answer(nil, WaitDown)
	case s.l.Want == WantRestart:
		s.l.Want = WantUp
		s.l.Retries, s.l.Crashes = 0, 0
		s.launch()
	}
}

// --- timers ---

var rowStartWaitElapsed = row{"→ running", "with a pid and ready (else the ready timeout is armed); failed starts reset; proxied with no pid yet: killwait (stopwait, 5 s at least) armed for the proxy to report it", func(s *step) {
	if s.l.Pid != 0 {
		s.startWaited()
		return
	}
	// a proxy that never answers (hung, or it refused in a way cfkd
	// could not read) must not leave the service starting for good; one
	// that is slow (a loaded host, a large fork, a preload) must not
	// fail it either: it is asked once killwait is over (rowAskProxy)
	s.arm(TimerKillWait, s.killWait())
}}

// running: the process lived startwait. After crashes, the reset timer
// is armed: running that long makes the next crash a first one again.
func (s *step) running() {
	s.l.Retries, s.l.LastError = 0, ""
	s.l.RunningSince = s.now()
	s.to(messages.Running, "")
	switch {
	case s.p.Watchdog > 0: // its pings check the crash count's reset
		s.arm(TimerWatchdog, s.p.Watchdog)
	case s.l.Crashes > 0:
		s.arm(TimerReset, s.p.RestartReset)
	}
}

var rowStopWaitElapsed = row{"SIGKILL", "direct: to the group, the reaper reports the exit, killwait armed (stopwait, 5 s at least); proxied: through its handle, to its group if it leads one, killwait armed; proxied, its pid not reported yet: → stopped, with a warning (its stop line is written: what the proxy starts late is ended)", func(s *step) {
	switch {
	case !s.l.Proxied && s.l.Pid != 0:
		s.arm(TimerKillWait, s.killWait()) // a process SIGKILL does not end (D state) is given up then
		sent, wait := s.stopSent()
		s.logf(Warn, s.l.Pid, "%s still alive %v after SIG%s: sending SIGKILL", s.p.Name, wait, messages.SignalName(sent))
		s.do(Kill{Pid: s.l.Pid})
	case s.l.Proxied && s.l.Pid != 0:
		_, wait := s.stopSent()
		s.logf(Warn, s.l.Pid, "service %s still running after %v, killing.", s.p.Name, wait)
		s.do(Kill{Pid: s.l.Pid})
		s.arm(TimerKillWait, s.p.StopWait)
	case s.l.Proxied:
		s.stoppedBeforePid()
	}
}}

// stoppedBeforePid: a stop of a start whose pid the proxy did not report
// within stopwait (a proxy that preloads, or reaches the start late).
// Nothing cfkd knows of ran: the stop is done, `stopped` (REFERENCE
// §4.5). What the proxy does later for that start is handled: its stop
// line was written after the start's, so the proxy ends what it starts,
// and its `started`, come for a start the service gave up, is killed.
func (s *step) stoppedBeforePid() {
	_, wait := s.stopSent()
	s.logf(Warn, 0, "%s: its proxy had not reported its pid %v after the stop: considered stopped", s.p.Name, wait)
	s.ended(messages.Stopped, "")
}

// stopSent is the signal the stop under way sent and its stopwait (a
// lifecycle of a former cfkd that did not keep them: the declaration's).
func (s *step) stopSent() (syscall.Signal, time.Duration) {
	if s.l.StopSig != 0 {
		return s.l.StopSig, s.l.StopWait
	}
	if s.l.End.aborts() {
		return syscall.SIGABRT, s.p.StopWait
	}
	return s.stopSignal(), s.p.StopWait
}

// rowAskProxy: the proxy has not reported the pid by startwait and
// killwait more. A proxy that preloads an application reads its first
// command only once loaded, and one that forks hundreds of services one
// after another reaches the last ones late: neither is failed for it. Its
// actor, which knows what the proxy answered and when, is asked whether
// it gets on toward this start; it answers at once, whatever its process
// does, and the answer is awaited killwait at most.
var rowAskProxy = row{"ask the proxy", "proxied, no pid by startwait and killwait (stopwait, 5 s at least) more: the proxy's actor is asked whether the proxy gets on toward the start; its answer awaited killwait at most", func(s *step) {
	s.arm(TimerProxyAnswer, s.killWait())
	s.do(AskProxy{Attempt: s.l.Attempt, Gen: s.l.Gen})
}}

var rowProxyMoving = row{"wait again", "the proxy answered starts sent before this one since it was last asked, or it is still loading (30 s from its launch at most): killwait armed again", func(s *step) {
	s.arm(TimerKillWait, s.killWait())
}}

var rowPidNeverReported = row{"→ fail", "the proxy does not get on toward the start (it answered none of those before it in killwait, or one sent after it, or loads for more than 30 s), or its actor did not answer: the proxy is told to stop the service, which is considered down (`proxy did not report the pid`)", func(s *step) {
	why := s.ev.Err
	if why == nil {
		why = fmt.Errorf("no answer from its proxy in %v", s.killWait())
	}
	s.logf(Error, 0, "%s: its proxy did not report the pid (%v): considered down", s.p.Name, why)
	s.do(Terminate{Sig: s.stopSignal()}) // the proxy's stop names the service: what it may start late ends
	s.ended(messages.Fail, "proxy did not report the pid")
}}

var rowKillWaitElapsed = row{"→ fail", "the proxy never reported the exit, or the process outlived SIGKILL by stopwait, 5 s at least (uninterruptible sleep): considered down, the process left (`still alive after SIGKILL`)", func(s *step) {
	if !s.l.Proxied {
		s.logf(Error, s.l.Pid, "%s still alive %v after SIGKILL (in uninterruptible sleep?): considered down; the process is left", s.p.Name, s.killWait())
		s.ended(messages.Fail, "still alive after SIGKILL")
		return
	}
	s.proxyNeverReported()
}}

// killWaitMin is the least a direct run is given to end after SIGKILL: a
// process with much memory takes a while to free it.
const killWaitMin = 5 * time.Second

// killWait is how long a direct run is given to end after SIGKILL, and a
// proxy to report a pid after startwait (or since it was last asked, or
// to answer an ask): stopwait, at least killWaitMin (the policy's
// KillWaitMin when set: tests shorten it).
func (s *step) killWait() time.Duration {
	least := killWaitMin
	if s.p.KillWaitMin > 0 {
		least = s.p.KillWaitMin
	}
	return max(s.p.StopWait, least)
}

func (s *step) proxyNeverReported() {
	s.logf(Error, 0, "service %s not stopped, and its proxy did not report its exit: considered down", s.p.Name)
	s.ended(messages.Fail, "proxy did not report the exit")
}

var rowBackoffElapsed = row{"launch", "the retry: → starting once launched", func(s *step) {
	s.launch()
}}

var rowResetElapsed = row{"crashes reset", "it ran restart_reset_secs: the next crash is launched again at once; re-armed for the rest when restart_reset_secs was raised since", func(s *step) {
	// the timer was armed with the value of the run's start: one raised
	// since (an apply takes it in place, REFERENCE §1.4) holds for it
	if left := s.p.RestartReset - s.now().Sub(s.l.RunningSince); left > 0 {
		s.arm(TimerReset, left)
		return
	}
	s.l.Crashes = 0 // told by Next (told)
}}

// exitText says how a process ended, for inspect: `exit N`, `signal N`.
func exitText(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "signal " + strconv.Itoa(int(ws.Signal()))
	}
	return "exit " + strconv.Itoa(ws.ExitStatus())
}

// FailReason is the fail_reason text of an abnormal end (REFERENCE §1.6):
// `Exited with error N` or `Received signal N`.
func FailReason(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return fmt.Sprintf("Received signal %d", int(ws.Signal()))
	}
	return fmt.Sprintf("Exited with error %d", ws.ExitStatus())
}

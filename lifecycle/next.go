package lifecycle

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cfk/cfk/messages"
)

// Next is the lifecycle's one transition function: given what happened,
// it returns the new lifecycle and what to do, in order. It is pure: no
// actor, no clock (in.Now), no random source (in.Roll), no syscall.
//
// Four checks come before the table, the same for every state:
//   - a pid reported for an attempt that is not the current one, or to a
//     service that no proxy runs (down: it left the proxy), is the
//     process of a start the service gave up: the event is `pid given
//     up` (EvPidGivenUp), whose row kills it (REFERENCE §4.5);
//   - a timer event whose generation is not the armed timer's is stale
//     (the timer was re-armed or cancelled after it fired): ignored;
//   - an event about a launch (launched, launch failed, proxy refused,
//     proxy gone) whose attempt is not the current one is stale: ignored,
//     and so is a proxy's report (proxy refused, proxy gone) to a service
//     that no proxy runs; so is a proxy's answer to an ask (proxy moving,
//     proxy stuck) that is not the one the armed timer awaits;
//   - an exit whose pid is not the current process's is stale: ignored.
//
// And a stop or down of a proxied service starting whose pid the proxy
// has not reported is `stop before pid` (EvStopBeforePid, made as the
// row is picked, a deferred stop as it is replayed): it is answered once
// the proxy actor handled it (proxy stop heard) or the service is down.
// A launch that failed because cfkd's shutdown began before its fork
// (CauseCancelled), or a proxydown of its proxy before its start reached
// the proxy (CauseProxyDown), is `launch cancelled` (EvLaunchCancelled):
// not the service's failure, it ends stopped (REFERENCE §7.4, §4.5).
//
// While a launch's outcome is awaited, every other event is deferred, and
// replayed in order once the outcome has been applied: for the table, the
// outcome always comes first. So while a restart's check is (Checking).
// A pid given up is not deferred: it is no run's, whatever comes next
// (the attempt awaited is a new one), and its process is killed at once.
//
// Two steps come after the row, once no launch outcome is awaited: a run
// under a proxy that is down tells the proxy (LeaveProxy), and the rolling
// restarts waiting for the service to run are answered when it runs (nil)
// or is down for good (an error).
func Next(l Lifecycle, p Policy, in Input) (Lifecycle, []Effect) {
	in.Event = givenUp(l, in.Event)
	if k := in.Event.Kind; k != EvPidGivenUp && (l.Launching != 0 && k != EvLaunched && k != EvLaunchFailed ||
		l.Checking != 0 && k != EvChecked) {
		l.Deferred = append(append([]Event(nil), l.Deferred...), in.Event)
		return l, nil
	}
	shown := l.Runtime("", "")
	l, fx := next(l, p, in)
	for len(l.Deferred) > 0 && l.Launching == 0 && l.Checking == 0 {
		d := l.Deferred[0]
		l.Deferred = l.Deferred[1:]
		var more []Effect
		l, more = next(l, p, Input{Event: d, Now: in.Now, Roll: in.Roll})
		fx = append(fx, more...)
	}
	if len(l.Deferred) == 0 {
		l.Deferred = nil
	}
	return l, told(l, shown, fx)
}

// told adds Update to fx when the step changed what status and inspect
// show of l (shown before it) and fx says nothing of it: no Publish, no
// Update. Otherwise the controller's copy goes stale: a backoff after
// another failed start left inspect's retries, next_start and last_error
// as they were after the first, and a launch that waits (a fork slot, a
// user lookup, an env_file read) left `stopped` where Runtime shows
// `starting` (REFERENCE §1.6).
func told(l Lifecycle, shown messages.ServiceRuntime, fx []Effect) []Effect {
	for _, e := range fx {
		switch e.(type) {
		case Publish, Update:
			return fx
		}
	}
	if l.Runtime("", "") == shown {
		return fx
	}
	// before a launch: what it starts (a lookup's goroutine, a fork) may
	// be seen before the effects after it are carried out
	at := slices.IndexFunc(fx, func(e Effect) bool { _, ok := e.(Launch); return ok })
	if at < 0 {
		return append(fx, Update{})
	}
	return slices.Insert(fx, at, Effect(Update{}))
}

// givenUp is ev, made `pid given up` when it is a pid reported for a
// start the service gave up: an attempt that is not the current one, or
// a service that no proxy runs any more (down, it left its proxy; a new
// launch's attempt awaited is a new one).
func givenUp(l Lifecycle, ev Event) Event {
	if ev.Kind == EvPidReported && (ev.Attempt != l.Attempt || !l.Proxied) {
		ev.Kind = EvPidGivenUp
	}
	return ev
}

// stopBeforePid is ev, made `stop before pid` when it is a stop or down
// of a proxied service starting whose pid the proxy has not reported: it
// is answered once the proxy actor has handled the stop, so that a start
// the proxy held, or whose line waited in cfkd, is answered `stopped`
// (REFERENCE §4.5). Made in next, not Next: a stop deferred behind a
// launch is one of the state it is replayed in.
func stopBeforePid(l Lifecycle, ev Event) Event {
	if (ev.Kind == EvStop || ev.Kind == EvDown) && l.State == messages.Starting && l.Proxied && l.Pid == 0 && l.Launching == 0 {
		ev.Kind = EvStopBeforePid
	}
	return ev
}

// launchCancelled is ev, made `launch cancelled` when it is a launch
// that failed because cfkd's shutdown began before its fork, or a
// proxydown of its proxy came before its start reached the proxy: its
// row is not a failed start's (REFERENCE §7.4, §4.5). A launch's
// outcome, never deferred: made in next as the row is picked.
func launchCancelled(ev Event) Event {
	if ev.Kind == EvLaunchFailed && (ev.Cause == CauseCancelled || ev.Cause == CauseProxyDown) {
		ev.Kind = EvLaunchCancelled
	}
	return ev
}

// next applies one event: the checks, the row, the steps after it.
func next(l Lifecycle, p Policy, in Input) (Lifecycle, []Effect) {
	in.Event = givenUp(l, in.Event) // a deferred report replayed to a service down since
	in.Event = stopBeforePid(l, in.Event)
	in.Event = launchCancelled(in.Event)
	s := steps.Get().(*step)
	*s = step{l: l, p: p, in: in, ev: in.Event}
	defer func() {
		*s = step{} // holds nothing of this event
		steps.Put(s)
	}()
	if s.stale() {
		return l, nil
	}
	s.l.Waiters = append([]Waiter(nil), l.Waiters...) // never share the caller's array
	if in.Event.Kind < numEvents && l.State >= 0 && int(l.State) < len(table) {
		table[l.State][in.Event.Kind].do(s)
	}
	if s.l.Launching == 0 {
		s.leaveProxy()
		s.settleRunning()
	}
	return s.l, s.fx
}

// steps are the steps that next takes and gives back: a step outlives no
// call (a row is given it and keeps nothing), and a stop of thousands of
// services made one of these (664 bytes) per event for the collector.
var steps = sync.Pool{New: func() any { return new(step) }}

// step is one application of Next: the lifecycle being changed and the
// effects so far.
type step struct {
	l  Lifecycle
	p  Policy
	in Input
	ev Event
	fx []Effect
	// endedPid is the pid of the process whose end this step handles.
	endedPid int
}

func (s *step) stale() bool {
	ev := s.ev
	switch ev.Kind {
	case EvStartWaitElapsed, EvStopWaitElapsed, EvKillWaitElapsed, EvBackoffElapsed, EvResetElapsed, EvReadyElapsed, EvWatchdogElapsed, EvProxyAnswerElapsed, EvReadyShort:
		t := timerOf[ev.Kind]
		if ev.Kind == EvReadyShort {
			t = TimerReady // the ready timeout's, told apart by the executor
		}
		if ev.Gen != s.l.Gen || s.l.Timer != t {
			return true
		}
		s.l.Timer, s.l.Deadline = TimerNone, time.Time{} // it fired
	case EvLaunched, EvLaunchFailed, EvLaunchCancelled:
		return s.l.Launching == 0 || ev.Attempt != s.l.Launching
	case EvProxyRefused, EvProxyShort, EvProxyGone, EvProxyMute, EvProxyStopHeard, EvProxyCancelled, EvProxyLogClosed:
		// (a pid reported that is not the run's is made `pid given
		// up` before: givenUp)
		return ev.Attempt != s.l.Attempt || !s.l.Proxied
	case EvExited:
		return s.l.Pid == 0 || ev.Pid != s.l.Pid
	case EvReady:
		return ev.Attempt != s.l.Attempt
	case EvChecked:
		return s.l.Checking == 0 || ev.Check != s.l.Checking
	case EvProxyMoving, EvProxyStuck:
		// the answer to the ask that armed the timer it cancels, and to
		// no other (a pid reported, a stop, re-armed it since)
		return ev.Attempt != s.l.Attempt || !s.l.Proxied || ev.Gen != s.l.Gen || s.l.Timer != TimerProxyAnswer
	}
	return false
}

// Elapsed is the event of timer k firing.
func (k TimerKind) Elapsed() EventKind {
	for ev, t := range timerOf {
		if t == k {
			return ev
		}
	}
	return numEvents // no timer: no row
}

var timerOf = map[EventKind]TimerKind{
	EvStartWaitElapsed: TimerStartWait,
	EvStopWaitElapsed:  TimerStopWait,
	EvKillWaitElapsed:  TimerKillWait,
	EvBackoffElapsed:   TimerBackoff,
	EvResetElapsed:     TimerReset,
	EvReadyElapsed:     TimerReady,
	EvWatchdogElapsed:  TimerWatchdog,

	EvProxyAnswerElapsed: TimerProxyAnswer,
}

// --- the effects' helpers ---

func (s *step) now() time.Time { return s.in.Now }

// do adds e to the effects. A step that has any usually has three to
// five (a stop: log, publish, arm, terminate): room for six at once, not
// a slice grown three times per event of a mass stop.
func (s *step) do(e Effect) {
	if s.fx == nil {
		s.fx = make([]Effect, 0, 6)
	}
	s.fx = append(s.fx, e)
}

func (s *step) logf(lvl Level, pid int, format string, a ...any) {
	s.do(Log{Level: lvl, Pid: pid, Msg: fmt.Sprintf(format, a...)})
}

// heldBack holds a start back for cfkd's shortage (err): backoff, retried
// after ShortageDelay, never counted. Its record is bounded across the
// services (ShortageHeldBack).
func (s *step) heldBack(err error) {
	s.do(Log{Level: Warn, Shortage: ShortageHeldBack,
		Msg: fmt.Sprintf("%s: %v; retrying in %v (not counted as a failed start)", s.p.Name, err, s.p.ShortageDelay)})
	s.l.LastError = err.Error()
	s.to(messages.Backoff, s.l.LastError)
	s.arm(TimerBackoff, s.p.ShortageDelay)
}

// logs is logf of a message made already (a row on the path of every
// service in a mass stop builds its text by concatenation, not Sprintf).
func (s *step) logs(lvl Level, pid int, msg string) {
	s.do(Log{Level: lvl, Pid: pid, Msg: msg})
}

func (s *step) reply(err error) { s.do(Reply{Req: s.ev.Req, Err: err}) }

// to is the one place where the state changes: the armed timer is
// cancelled, the fail reason kept only in fail, and the change published.
func (s *step) to(st messages.State, reason string) {
	from := s.l.State
	s.disarm()
	if from == messages.Starting && st != messages.Starting {
		// whatever the policy says now: `ready` may have been switched
		// off since the probe started, and a probe that never passes
		// would try on for good
		s.do(Unprobe{})
	}
	if from == messages.Stopping && st != messages.Stopping {
		// the run is down: why cfkd stopped it on its own was taken
		// (rowExitedStopping) or is moot (a stop asked meanwhile), and
		// is not kept for its next launch (nor carried by an upgrade,
		// REFERENCE §13.2)
		s.l.End, s.l.EndWhy = EndNone, ""
	}
	s.l.State = st
	s.l.FailReason = ""
	if st == messages.Fail {
		s.l.FailReason = reason
	}
	if from != st || st == messages.Fail { // fail again: a new failure
		pid := s.l.Pid
		if pid == 0 {
			pid = s.endedPid
		}
		// the reason of a fail (its fail_reason), or of a backoff or
		// fatal (why the start failed: the event says it, the status line
		// does not)
		s.do(Publish{From: from, To: st, Reason: reason, Pid: pid})
	}
	if from == messages.Stopping && st != messages.Stopping {
		s.answer(nil, WaitStopHeard) // answered with the state it ended in
	}
}

func (s *step) arm(k TimerKind, after time.Duration) {
	s.l.Gen++
	s.l.Timer, s.l.Deadline = k, s.now().Add(after)
	s.do(Arm{Kind: k, Deadline: s.l.Deadline, Gen: s.l.Gen})
}

func (s *step) disarm() {
	if s.l.Timer == TimerNone {
		return
	}
	s.l.Gen++
	s.l.Timer, s.l.Deadline = TimerNone, time.Time{}
	s.do(Disarm{})
}

// launch asks the executor for a new process; it answers with EvLaunched
// or EvLaunchFailed before any other event.
func (s *step) launch() {
	s.l.Attempt++
	s.l.Launching = s.l.Attempt
	s.l.End, s.l.EndWhy, s.l.Extended, s.l.Done = EndNone, "", 0, false
	s.l.StartBefore, s.l.StopBefore = s.l.StartTime, s.l.StopTime
	s.l.StartTime, s.l.StopTime = s.now(), time.Time{}
	s.do(Launch{Attempt: s.l.Attempt})
}

func (s *step) wait(k WaitKind) {
	s.l.Waiters = append(s.l.Waiters, Waiter{Req: s.ev.Req, Kind: k})
}

// answer replies err to the waiters of the given kinds and drops them.
func (s *step) answer(err error, kinds ...WaitKind) {
	kept := s.l.Waiters[:0]
	for _, w := range s.l.Waiters {
		if slices.Contains(kinds, w.Kind) {
			s.do(Reply{Req: w.Req, Err: err})
		} else {
			kept = append(kept, w)
		}
	}
	s.l.Waiters = kept
}

// launched turns the waiters of a rolling restart, once launched, into
// waiters for the service to run, and answers the others.
func (s *step) launchedWaiters() {
	for i, w := range s.l.Waiters {
		if w.Kind == WaitLaunchRunning || w.Kind == WaitRestartRunning {
			s.l.Waiters[i].Kind = WaitRunning
		}
	}
	s.answer(nil, WaitLaunch, WaitRestart)
}

// launchWaits are the waits a launch's outcome answers; restartWaits
// those of a restart not launched yet.
var (
	launchWaits  = []WaitKind{WaitLaunch, WaitLaunchRunning, WaitRestart, WaitRestartRunning}
	restartWaits = []WaitKind{WaitRestart, WaitRestartRunning}
)

func (s *step) haltedErr() error {
	return fmt.Errorf("Service '%s' is being %s", s.p.Name, s.haltedWhy())
}

// haltedWhy is what halted the service: `destroyed` or `shut down`.
func (s *step) haltedWhy() string {
	if s.l.Want == WantShutDown {
		return "shut down"
	}
	return "destroyed"
}

// --- the steps after the row ---

func (s *step) leaveProxy() {
	if s.l.Proxied && !s.l.State.IsUp() {
		s.l.Proxied = false
		var lp LeaveProxy
		if s.l.State == messages.Backoff && s.l.Timer == TimerBackoff {
			lp.Retry = s.l.Deadline
		}
		s.do(lp)
	}
}

// settleRunning answers the rolling restarts waiting for the service to
// run: nil once running, an error once down for good (backoff retries by
// itself, so it is not for good).
func (s *step) settleRunning() {
	st := s.l.State
	switch {
	case st == messages.Running, st == messages.Stopped && s.l.Done:
		s.answer(nil, WaitRunning)
	case !st.IsUp() && st != messages.Backoff && s.waits(WaitRunning):
		s.answer(s.notBackUp(), WaitRunning)
	}
}

// waits reports whether a request waits for k (the error for it is made
// only then: every service of a mass stop passes here, rarely with one).
func (s *step) waits(k WaitKind) bool {
	for _, w := range s.l.Waiters {
		if w.Kind == k {
			return true
		}
	}
	return false
}

// notBackUp is the error of a wait for running that ends down for good,
// with why: a fail's reason, a fatal's last error (`fatal (Not ready
// after 1s)`, REFERENCE §1.7); `destroyed` or `shut down` when a destroy
// or the shutdown halted it.
func (s *step) notBackUp() error {
	if s.l.Want.Halted() {
		// down for good by a destroy or a shutdown, not by itself: said
		// so, as a request that comes then is told (haltedErr)
		return fmt.Errorf("Service '%s' did not come back up: %s", s.p.Name, s.haltedWhy())
	}
	why, reason := s.l.State.String(), s.l.FailReason
	if s.l.State == messages.Fatal {
		reason = s.l.LastError
	}
	if reason != "" {
		why += " (" + reason + ")"
	}
	return fmt.Errorf("Service '%s' did not come back up: %s", s.p.Name, why)
}

package lifecycle

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// sim is the world around a lifecycle in these tests: a fake clock, a
// fake executor (launches, signals), and an observer that checks every
// effect as it comes.
type sim struct {
	t       *testing.T
	l       Lifecycle
	p       Policy
	now     time.Time
	rng     *rand.Rand
	proxied bool // launches go through a proxy (pid reported later)
	async   bool // launch outcomes come later, as other events may
	due     []func()

	nextPid   int
	launchErr func() (Cause, error) // non-nil: the next launch fails so
	checkErr  error                 // a restart's check answers it
	checks    []CheckLaunch         // the checks asked, in order
	launched  []time.Time           // when each launch happened
	alive     map[int]bool
	killed    map[int]bool // pids that got Kill or Terminate
	reaped    map[int]bool
	pending   int // proxied: the pid the proxy will report
	nextReq   messages.RequestID
	replies   map[messages.RequestID]int
	errs      map[messages.RequestID]error // the error each request was answered with
	published messages.State
	fails     []string // the reasons of the fail states published
	logs      []string
	warns     []string // the logs at Warn and Error
	counted   int      // the logs marked NotStarted (the shutdown's count)
	kills     []int    // the pids of the Kill effects
	givenUp   []KillGivenUp
	history   []string
	probing   uint64 // the attempt whose readiness is watched
	// the proxy's actor, asked (AskProxy): answers moving that many
	// times, then stuck; silent: it does not answer; later: its answer
	// comes later, as other events may (settle)
	proxyMoving int
	proxySilent bool
	proxyLater  bool
	asked       int // the asks
	// shortTries: the probe's last try was not run for cfkd's shortage
	// when the ready timeout fires (the executor feeds EvReadyShort)
	shortTries bool
}

func newSim(t *testing.T, p Policy, seed uint64) *sim {
	return &sim{
		t: t, p: p, now: time.Unix(1_700_000_000, 0), rng: rand.New(rand.NewPCG(seed, 7)),
		nextPid: 1000, alive: map[int]bool{}, killed: map[int]bool{}, reaped: map[int]bool{},
		replies: map[messages.RequestID]int{}, errs: map[messages.RequestID]error{},
	}
}

func testPolicy() Policy {
	return Policy{
		Name: "svc", StartWait: time.Second, StopWait: 2 * time.Second, RespawnOnFail: true,
		MaxRetries: 8, BackoffUnit: 300 * time.Millisecond, RestartDelay: time.Second,
		RestartMaxDelay: 60 * time.Second, RestartReset: 60 * time.Second, ShortageDelay: time.Second,
	}
}

// feed applies one event and carries out its effects, including the
// launch outcomes the executor feeds back at once.
func (s *sim) feed(ev Event) {
	s.t.Helper()
	s.history = append(s.history, fmt.Sprintf("%s %+v", s.l.State, ev))
	before := s.l.Runtime("s", "cmd")
	l, fx := Next(s.l, s.p, Input{Event: ev, Now: s.now, Roll: s.rng.Uint32()})
	s.l = l
	after := l.Runtime("s", "cmd") // before the effects: Launch may feed the next step at once
	told := false
	for _, e := range fx {
		s.history = append(s.history, fmt.Sprintf("    -> %T %+v", e, e))
		s.effect(e)
		switch e.(type) {
		case Publish, Update:
			told = true
		}
	}
	// what status and inspect show moved: the controller is told
	// (Publish or Update), or its copy goes stale
	if after != before && !told {
		s.t.Fatalf("inspect's fields changed without Publish nor Update:\n  before %+v\n  after  %+v\n%s", before, after, strings.Join(s.history[max(0, len(s.history)-15):], "\n"))
	}
	s.check()
}

// request feeds an operator's request with a new request id.
func (s *sim) request(ev Event) messages.RequestID {
	s.nextReq++
	ev.Req = s.nextReq
	s.replies[ev.Req] += 0
	s.feed(ev)
	return ev.Req
}

func (s *sim) effect(e Effect) {
	s.t.Helper()
	switch e := e.(type) {
	case Launch:
		if s.async { // the outcome comes later
			le, a := s.launchErr, e.Attempt
			s.due = append(s.due, func() {
				saved := s.launchErr
				s.launchErr = le
				s.outcome(a)
				s.launchErr = saved
			})
			return
		}
		s.outcome(e.Attempt)
	case CheckLaunch:
		s.checks = append(s.checks, e)
		ev := Event{Kind: EvChecked, Check: e.N, Err: s.checkErr}
		if s.async {
			s.due = append(s.due, func() { s.feed(ev) })
			return
		}
		s.feed(ev)
	case Terminate, Kill:
		pid := 0
		if k, ok := e.(Kill); ok {
			pid = k.Pid
			s.kills = append(s.kills, pid)
		} else {
			pid = e.(Terminate).Pid
		}
		if pid != 0 {
			s.killed[pid] = true
		}
		if _, ok := e.(Terminate); ok && s.proxied && s.pending != 0 {
			s.killed[s.pending] = true // the proxy's stop command names the service
		}
	case Publish:
		if e.From != s.published {
			s.t.Fatalf("published %s → %s, but the last state published was %s", e.From, e.To, s.published)
		}
		if e.From == e.To && e.To != messages.Fail {
			s.t.Fatalf("published %s → %s: no transition", e.From, e.To)
		}
		s.published = e.To
		if e.To == messages.Fail {
			s.fails = append(s.fails, e.Reason)
		}
	case Reply:
		s.replies[e.Req]++
		s.errs[e.Req] = e.Err
		if s.replies[e.Req] > 1 {
			s.t.Fatalf("request %d answered twice:\n%s", e.Req, strings.Join(s.history[max(0, len(s.history)-15):], "\n"))
		}
	case Log:
		s.logs = append(s.logs, e.Msg)
		if e.NotStarted {
			s.counted++
		}
		if e.Level >= Warn {
			s.warns = append(s.warns, e.Msg)
		}
	case Arm:
	case Probe:
		s.probing = e.Attempt
	case Unprobe:
		s.probing = 0
	case AskProxy:
		s.asked++
		if !s.proxied {
			s.t.Fatalf("a direct run's proxy asked")
		}
		if s.proxySilent {
			return
		}
		ev := Event{Kind: EvProxyStuck, Attempt: e.Attempt, Gen: e.Gen, Err: errStuck}
		if s.proxyMoving > 0 {
			s.proxyMoving--
			ev = Event{Kind: EvProxyMoving, Attempt: e.Attempt, Gen: e.Gen}
		}
		if s.proxyLater {
			s.due = append(s.due, func() { s.feed(ev) })
			return
		}
		s.feed(ev)
	case HoldPid:
		if e.Attempt > s.l.Attempt || !s.alive[e.Pid] && !s.reaped[e.Pid] {
			s.t.Fatalf("held pid %d of attempt %d, which was never launched (attempt now %d)", e.Pid, e.Attempt, s.l.Attempt)
		}
	case KillGivenUp:
		s.givenUp = append(s.givenUp, e)
		s.killed[e.Pid] = true
	case Disarm, Update, LeaveProxy, Signal, EndLeftovers:
	default:
		s.t.Fatalf("unknown effect %T", e)
	}
}

// outcome feeds the executor's answer to the launch of attempt.
func (s *sim) outcome(attempt uint64) {
	s.t.Helper()
	e := Launch{Attempt: attempt}
	s.launched = append(s.launched, s.now)
	if s.launchErr != nil {
		c, err := s.launchErr()
		s.feed(Event{Kind: EvLaunchFailed, Attempt: e.Attempt, Cause: c, Err: err})
		return
	}
	s.nextPid++
	pid := s.nextPid
	s.alive[pid] = true
	if s.proxied {
		s.pending = pid
		pid = 0
	}
	s.feed(Event{Kind: EvLaunched, Attempt: e.Attempt, Pid: pid, Proxied: s.proxied, Ready: s.p.Ready})
}

// settle delivers the first launch outcome due; false when none is.
func (s *sim) settle() bool {
	if len(s.due) == 0 {
		return false
	}
	f := s.due[0]
	s.due = s.due[1:]
	f()
	return true
}

// check asserts the invariants that hold between events.
func (s *sim) check() {
	s.t.Helper()
	l := s.l
	if l.Launching != 0 || l.Checking != 0 {
		return // inside a launch or a check: its outcome comes next
	}
	if int(l.State) < 0 || int(l.State) >= len(stateNames) {
		s.t.Fatalf("state %d is not in the table", l.State)
	}
	if l.State != s.published {
		s.t.Fatalf("state %s, but %s was published last", l.State, s.published)
	}
	bad := func(why string) { s.t.Fatalf("%s: %+v", why, l) }
	switch l.State {
	case messages.Stopped, messages.Fail, messages.Fatal:
		if l.Pid != 0 || l.Timer != TimerNone {
			bad("down with a pid or a timer")
		}
		if l.Done && (l.State != messages.Stopped || !l.OneShot) {
			bad("done, but not a oneshot's clean end")
		}
	case messages.Backoff:
		if l.Pid != 0 || l.Timer != TimerBackoff {
			bad("backoff without its timer")
		}
	case messages.Starting:
		if l.Timer != TimerStartWait && l.Timer != TimerReady && !(l.Proxied && l.Pid == 0) &&
			!(s.p.Ready && s.p.ReadyTimeout <= 0 && l.Pid != 0) && // ready_timeout_secs=0: no bound
			!(l.OneShot && l.Pid != 0) { // a oneshot runs to its end
			bad("starting without startwait or the ready timeout")
		}
	case messages.Running:
		if l.OneShot {
			bad("a oneshot running")
		}
		if l.Pid == 0 || (l.Timer != TimerNone && l.Timer != TimerReset && l.Timer != TimerWatchdog) ||
			(s.p.Watchdog > 0) != (l.Timer == TimerWatchdog) {
			bad("running without a pid, or with a timer other than reset or its watchdog")
		}
	case messages.Stopping:
		if l.Timer == TimerNone && (l.Proxied || l.Pid == 0 || !s.killed[l.Pid]) {
			bad("stopping with nothing that will end it")
		}
	}
	if l.Proxied && !l.State.IsUp() {
		bad("down but still counted up by its proxy")
	}
	// a proxied run's readiness is watched from the report of its pid
	// (REFERENCE §2.9): not before, and not at all when it said it was
	// ready before (its ready= removed meanwhile)
	probing, starting := s.probing != 0, l.State == messages.Starting && s.p.Ready
	if !l.Proxied && probing != starting ||
		l.Proxied && (probing && (!starting || l.Pid == 0) || !probing && starting && l.Pid != 0 && !l.Ready) {
		bad(fmt.Sprintf("readiness watched: %v", probing))
	}
}

// fire advances the clock to the armed timer and delivers it.
func (s *sim) fire() bool {
	if s.l.Timer == TimerNone {
		return false
	}
	if s.l.Deadline.After(s.now) {
		s.now = s.l.Deadline
	}
	ev := s.l.Timer.Elapsed()
	if ev == EvReadyElapsed && s.shortTries {
		s.feed(Event{Kind: EvReadyShort, Gen: s.l.Gen, Err: errShort})
		return true
	}
	s.feed(Event{Kind: ev, Gen: s.l.Gen})
	return true
}

// exit ends the current process with the raw wait status ws.
func (s *sim) exit(ws syscall.WaitStatus) bool {
	pid := s.l.Pid
	if pid == 0 || !s.alive[pid] {
		return false
	}
	delete(s.alive, pid)
	s.reaped[pid] = true
	s.feed(Event{Kind: EvExited, Pid: pid, Status: ws})
	return true
}

// report: the proxy reports the pid of the pending start.
func (s *sim) report() bool {
	if !s.l.Proxied || s.l.Pid != 0 || s.pending == 0 {
		return false
	}
	pid := s.pending
	s.pending = 0
	s.feed(Event{Kind: EvPidReported, Attempt: s.l.Attempt, Pid: pid})
	return true
}

// until advances time, delivering timers, until t.
func (s *sim) until(t time.Time, each func()) {
	for s.l.Timer != TimerNone && !s.l.Deadline.After(t) {
		s.fire()
		if each != nil {
			each()
		}
	}
	s.now = t
}

func exitStatus(code int) syscall.WaitStatus { return syscall.WaitStatus(code << 8) }
func signalled(sig int) syscall.WaitStatus   { return syscall.WaitStatus(sig) }

var (
	errBoom  = errors.New("boom")
	errShort = errors.New("cfkd: too many open files (limit 64)")
	errStuck = errors.New("proxy 'p' answered no start for 5s")
)

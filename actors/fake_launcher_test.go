package actors

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// deadline bounds every wait of these tests. Nothing here waits for a real
// process, so a healthy run never comes near it.
const deadline = 5 * time.Second

// firstFakePid is the first pid the fake hands out: far above any pid a
// test machine gives, and never signalled for real anyway.
const firstFakePid = 100000

// launchRec is one Launch the fake recorded.
type launchRec struct {
	Pid  int
	Spec osproc.Spec
	At   time.Time
}

// signalRec is one Signal the fake recorded (also those that found the
// process gone: Done is then true).
type signalRec struct {
	Pid  int
	Sig  syscall.Signal
	Done bool
	At   time.Time
}

type fakeProc struct {
	proc   *osproc.Process
	onExit func(pid int, ws syscall.WaitStatus)
	exited bool
}

// fakeLauncher is the actors.Launcher of unit tests: no process at all.
// Launch hands out fake pids and records the spec; the test ends a process
// with exit, which calls the stored onExit with the raw wait status it
// chooses. Everything is recorded under a mutex; changed is closed and
// replaced on every record so that waiters need no polling.
type fakeLauncher struct {
	mu       sync.Mutex
	changed  chan struct{}
	nextPid  int
	procs    map[int]*fakeProc
	launches []launchRec
	signals  []signalRec
	failNext []error // the next Launch calls fail with these, in order

	// autoTerm: SIGTERM makes the process exit with status 15, SIGKILL
	// with 9 (a well-behaved child).
	autoTerm bool
	// exitOnLaunch, when set, is the wait status every launched process
	// exits with at once (onExit called before Launch returns, as the real
	// reaper may do).
	exitOnLaunch *syscall.WaitStatus
	// onLaunch, when set, sees every spec before Launch returns (the
	// proxy tests take the pipe ends there).
	onLaunch func(pid int, spec osproc.Spec)
	// destroyed are the services Destroyed was told of (LeftoverEnder)
	destroyed []string
	// lost are the EndLostStart calls (LostStartEnder)
	lost []lostCall
	// noHandle: Handle fails as without pidfds (ErrNoHandle, REFERENCE §11)
	noHandle bool
	// noSlot: Launch waits, as for a fork slot, until it is cleared or
	// StopLaunching is called (waiting counts those waiting); stopped:
	// StopLaunching was, and Launch fails with osproc.ErrCancelled
	noSlot  bool
	waiting int
	stopped bool
}

// lostCall is one EndLostStart the fake recorded.
type lostCall struct {
	name          string
	after, before uint64
}

var (
	_ Launcher       = (*fakeLauncher)(nil)
	_ LeftoverEnder  = (*fakeLauncher)(nil)
	_ LostStartEnder = (*fakeLauncher)(nil)
	_ LaunchStopper  = (*fakeLauncher)(nil)
)

// StopLaunching implements LaunchStopper: the launches waiting for a slot
// (noSlot), and those to come, fail with osproc.ErrCancelled, as
// osproc's do.
func (f *fakeLauncher) StopLaunching() {
	f.mu.Lock()
	f.stopped = true
	f.notifyLocked()
	f.mu.Unlock()
}

// holdSlots makes the launches from now on wait, as for a fork slot,
// until StopLaunching (or the end of the test).
func (f *fakeLauncher) holdSlots(t *testing.T) {
	f.mu.Lock()
	f.noSlot = true
	f.mu.Unlock()
	t.Cleanup(func() {
		f.mu.Lock()
		f.noSlot = false
		f.notifyLocked()
		f.mu.Unlock()
	})
}

func (f *fakeLauncher) EndLostStart(name string, after, before uint64) {
	f.mu.Lock()
	f.lost = append(f.lost, lostCall{name, after, before})
	f.notifyLocked()
	f.mu.Unlock()
}

func (f *fakeLauncher) EndLeftovers(name string) {
	f.mu.Lock()
	f.destroyed = append(f.destroyed, name)
	f.notifyLocked()
	f.mu.Unlock()
}

func newFakeLauncher() *fakeLauncher {
	return &fakeLauncher{changed: make(chan struct{}), nextPid: firstFakePid, procs: map[int]*fakeProc{}}
}

func (f *fakeLauncher) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Launch implements Launcher.
func (f *fakeLauncher) Launch(spec osproc.Spec, onExit func(pid int, ws syscall.WaitStatus)) (*osproc.Process, error) {
	f.mu.Lock()
	if f.noSlot && !f.stopped {
		f.waiting++
		f.notifyLocked()
		for f.noSlot && !f.stopped {
			changed := f.changed
			f.mu.Unlock()
			<-changed
			f.mu.Lock()
		}
		f.waiting--
		f.notifyLocked()
	}
	if f.stopped {
		f.mu.Unlock()
		return nil, osproc.ErrCancelled
	}
	if len(f.failNext) > 0 {
		err := f.failNext[0]
		f.failNext = f.failNext[1:]
		f.mu.Unlock()
		return nil, err
	}
	pid := f.nextPid
	f.nextPid++
	p := &osproc.Process{Pid: pid}
	f.procs[pid] = &fakeProc{proc: p, onExit: onExit}
	f.launches = append(f.launches, launchRec{Pid: pid, Spec: spec, At: time.Now()})
	f.notifyLocked()
	auto, hook := f.exitOnLaunch, f.onLaunch
	f.mu.Unlock()
	if hook != nil {
		hook(pid, spec)
	}
	if auto != nil {
		f.exitStatus(pid, *auto)
	}
	return p, nil
}

// setStderr hands r to the Process of fake pid as the read end of its
// stderr (osproc.Spec.StderrPipe): from onLaunch, before Launch returns
// it.
func (f *fakeLauncher) setStderr(pid int, r *os.File) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.procs[pid].proc.Stderr = r
}

// Signal implements Launcher.
// Handle gives a process handle for a fake proxy's pid (the real one
// opens a pidfd).
func (f *fakeLauncher) Handle(pid, parent int) (*osproc.Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noHandle {
		return nil, fmt.Errorf("process %d of %d: %w", pid, parent, osproc.ErrNoHandle)
	}
	return &osproc.Process{Pid: pid}, nil
}

func (f *fakeLauncher) Signal(p *osproc.Process, sig syscall.Signal) error {
	f.mu.Lock()
	fp := f.procs[p.Pid]
	done := fp == nil || fp.exited
	f.signals = append(f.signals, signalRec{Pid: p.Pid, Sig: sig, Done: done, At: time.Now()})
	f.notifyLocked()
	auto := f.autoTerm
	f.mu.Unlock()
	if done {
		return osproc.ErrDone
	}
	if auto {
		switch sig {
		case syscall.SIGTERM, syscall.SIGKILL:
			f.exitStatus(p.Pid, syscall.WaitStatus(sig))
		}
	}
	return nil
}

// failNextLaunch makes the next Launch fail with err.
func (f *fakeLauncher) failNextLaunch(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = append(f.failNext, err)
}

func (f *fakeLauncher) setAutoTerm(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.autoTerm = on
}

// setExitOnLaunch makes every process launched from now on exit at once
// with code (nil: they live until told otherwise).
func (f *fakeLauncher) setExitOnLaunch(code *int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if code == nil {
		f.exitOnLaunch = nil
		return
	}
	ws := exitCode(*code)
	f.exitOnLaunch = &ws
}

// exitCode is the raw wait status of a process that exited with code.
func exitCode(code int) syscall.WaitStatus { return syscall.WaitStatus(code << 8) }

// killedBy is the raw wait status of a process killed by sig.
func killedBy(sig syscall.Signal) syscall.WaitStatus { return syscall.WaitStatus(sig) }

// exitStatus ends a live fake process with ws; false if it was unknown or
// already gone.
func (f *fakeLauncher) exitStatus(pid int, ws syscall.WaitStatus) bool {
	f.mu.Lock()
	fp := f.procs[pid]
	if fp == nil || fp.exited {
		f.mu.Unlock()
		return false
	}
	fp.exited = true
	f.notifyLocked()
	f.mu.Unlock()
	fp.onExit(pid, ws)
	return true
}

// exit ends a live fake process with ws and fails the test if it was not
// live.
func (f *fakeLauncher) exit(t *testing.T, pid int, ws syscall.WaitStatus) {
	t.Helper()
	if !f.exitStatus(pid, ws) {
		t.Fatalf("fake: pid %d is not a live fake process", pid)
	}
}

// alive reports whether a fake pid is launched and not exited.
func (f *fakeLauncher) alive(pid int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	fp := f.procs[pid]
	return fp != nil && !fp.exited
}

func (f *fakeLauncher) launchCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.launches)
}

func (f *fakeLauncher) allLaunches() []launchRec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]launchRec(nil), f.launches...)
}

func (f *fakeLauncher) allSignals() []signalRec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]signalRec(nil), f.signals...)
}

// signalsTo returns the signals sent to pid, in order.
func (f *fakeLauncher) signalsTo(pid int) []syscall.Signal {
	var out []syscall.Signal
	for _, s := range f.allSignals() {
		if s.Pid == pid {
			out = append(out, s.Sig)
		}
	}
	return out
}

// waitFor blocks until cond (called under the lock) holds, or fails the
// test at the deadline.
func (f *fakeLauncher) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	timeout := time.After(deadline)
	for {
		f.mu.Lock()
		ok, ch := cond(), f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("fake: timed out after %v waiting for %s; launches %d, signals %v",
				deadline, what, f.launchCount(), f.allSignals())
		}
	}
}

// waitLaunch waits for the n-th launch (1-based) and returns it.
func (f *fakeLauncher) waitLaunch(t *testing.T, n int) launchRec {
	t.Helper()
	var got launchRec
	f.waitFor(t, fmt.Sprintf("launch #%d", n), func() bool {
		if len(f.launches) < n {
			return false
		}
		got = f.launches[n-1]
		return true
	})
	return got
}

// waitSignal waits for signal sig to pid and returns its record.
func (f *fakeLauncher) waitSignal(t *testing.T, pid int, sig syscall.Signal) signalRec {
	t.Helper()
	var got signalRec
	f.waitFor(t, fmt.Sprintf("%v to pid %d", sig, pid), func() bool {
		for _, s := range f.signals {
			if s.Pid == pid && s.Sig == sig {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

// rig is one actor tree under test on a fake launcher, with a recorder of
// every state change.
type rig struct {
	t    *testing.T
	fake *fakeLauncher
	tree *Tree
	rec  *testkit.Recorder

	// mu is the recorder's lock: the conditions of wait run under it, and
	// it guards events, shutdowns and panics.
	mu        sync.Locker
	events    func(yield func(int, messages.ServiceStateChanged) bool) // every transition, in order
	shutdowns int                                                      // ShutdownCompleted events seen
	panics    []messages.ActorPanicked
}

func quietLogger() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	l.SetLevel(logrus.PanicLevel)
	return l
}

// newRig starts a tree on a fresh fake launcher (BackoffUnit 20 ms unless
// an option changes it) and stops it when the test ends.
func newRig(t *testing.T, opts ...func(*Options)) *rig {
	t.Helper()
	r := &rig{t: t, fake: newFakeLauncher()}
	r.rec = testkit.NewRecorder(deadline, func(ev any) bool {
		switch e := ev.(type) {
		case messages.ShutdownCompleted:
			r.shutdowns++
		case messages.ActorPanicked:
			r.panics = append(r.panics, e)
		default:
			return false
		}
		return true
	})
	r.mu, r.events = r.rec.Locker(), r.rec.All
	o := Options{
		Launcher: r.fake, Log: quietLogger(), ServiceLog: quietLogger(),
		BackoffUnit: 20 * time.Millisecond, Env: []string{"PATH=/usr/bin:/bin"}, Version: "cfk-unit",
	}
	for _, f := range opts {
		f(&o)
	}
	tree, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	r.tree = tree
	r.rec.Subscribe(tree.System.EventStream)
	t.Cleanup(func() {
		r.rec.Close()
		tree.Stop()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, p := range r.panics {
			t.Errorf("an actor panicked: %+v", p)
		}
	})
	return r
}

// setAutoTerm makes the fake processes exit on SIGTERM and SIGKILL.
func (r *rig) setAutoTerm() { r.fake.setAutoTerm(true) }

// exec runs one line and returns the reply.
func (r *rig) exec(line string) messages.Reply {
	r.t.Helper()
	return r.tree.Exec(line, deadline)
}

// ok runs lines that must all succeed and returns the last reply's lines.
func (r *rig) ok(lines ...string) []string {
	r.t.Helper()
	var last []string
	for _, l := range lines {
		rep := r.exec(l)
		if rep.Err != nil {
			r.t.Fatalf("%q: unexpected error: %v", l, rep.Err)
		}
		last = rep.Lines
	}
	return last
}

// okDone runs a line that must answer exactly `done N`.
func (r *rig) okDone(line string, n int) {
	r.t.Helper()
	got := r.ok(line)
	if want := fmt.Sprintf("done %d", n); len(got) != 1 || got[0] != want {
		r.t.Fatalf("%q: reply %q, want %q", line, got, want)
	}
}

// fails runs a line that must fail with exactly want.
func (r *rig) fails(line, want string) {
	r.t.Helper()
	rep := r.exec(line)
	if rep.Err == nil || rep.Err.Error() != want {
		r.t.Fatalf("%q: got error %v / lines %q, want error %q", line, rep.Err, rep.Lines, want)
	}
}

// async runs a line in the background; the reply arrives on the channel.
func (r *rig) async(line string) <-chan messages.Reply {
	ch := make(chan messages.Reply, 1)
	go func() { ch <- r.tree.Exec(line, deadline) }()
	return ch
}

// reply waits for an async reply.
func (r *rig) reply(what string, ch <-chan messages.Reply) messages.Reply {
	r.t.Helper()
	select {
	case rep := <-ch:
		return rep
	case <-time.After(deadline):
		r.t.Fatalf("no reply to %s after %v", what, deadline)
		return messages.Reply{}
	}
}

// noReply fails if ch delivers a reply within window.
func (r *rig) noReply(what string, ch <-chan messages.Reply, window time.Duration) {
	r.t.Helper()
	select {
	case rep := <-ch:
		r.t.Fatalf("%s answered too early: %v %q", what, rep.Err, rep.Lines)
	case <-time.After(window):
	}
}

// wait blocks until cond (called under the lock) holds, or fails the test
// at the deadline.
func (r *rig) wait(what string, cond func() bool) {
	r.t.Helper()
	r.rec.Wait(r.t, what, deadline, cond)
}

// expectSeq waits for exactly these next transitions of name, in order,
// and returns them.
func (r *rig) expectSeq(name string, states ...messages.State) []messages.ServiceStateChanged {
	r.t.Helper()
	return r.rec.ExpectSeq(r.t, name, states...)
}

// expectQuiet watches name for window and fails on any transition of it
// past the cursor.
func (r *rig) expectQuiet(name string, window time.Duration) {
	r.t.Helper()
	r.expectNoEvent(name, window, func(messages.ServiceStateChanged) bool { return true })
}

// expectNone watches name for window and fails if it enters state to.
func (r *rig) expectNone(name string, to messages.State, window time.Duration) {
	r.t.Helper()
	r.expectNoEvent(name, window, func(e messages.ServiceStateChanged) bool { return e.To == to })
}

func (r *rig) expectNoEvent(name string, window time.Duration, bad func(messages.ServiceStateChanged) bool) {
	r.t.Helper()
	r.rec.ExpectNoEvent(r.t, name, window, bad)
}

// status returns the status fields of one service.
func (r *rig) status(name string) []string {
	r.t.Helper()
	lines := r.ok("command status service " + name)
	if len(lines) != 1 {
		r.t.Fatalf("status %s: %q", name, lines)
	}
	f := strings.Split(lines[0], "\t")
	if len(f) != 8 {
		r.t.Fatalf("status %s: %d fields in %q", name, len(f), lines[0])
	}
	return f
}

// servicePID asks the controller for a service actor.
func (r *rig) servicePID(name string) *actor.PID {
	r.t.Helper()
	res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, LookupService{Name: name}, deadline).Result()
	if err != nil {
		r.t.Fatalf("lookup %s: %v", name, err)
	}
	pid, _ := res.(*actor.PID)
	if pid == nil {
		r.t.Fatalf("lookup %s: no such service", name)
	}
	return pid
}

func transitions(evs []messages.ServiceStateChanged) []string { return testkit.Transitions(evs) }

// TestFakeLauncher checks the fake itself: pids, exits, ErrDone, failures
// and the auto-terminate mode.
func TestFakeLauncher(t *testing.T) {
	f := newFakeLauncher()
	exits := make(chan [2]int, 4)
	onExit := func(pid int, ws syscall.WaitStatus) { exits <- [2]int{pid, int(ws)} }
	p, err := f.Launch(osproc.Spec{Argv: []string{"x"}}, onExit)
	if err != nil || p.Pid != firstFakePid {
		t.Fatalf("launch: %v %v", p, err)
	}
	if err := f.Signal(p, syscall.SIGTERM); err != nil {
		t.Fatalf("signal live: %v", err)
	}
	f.exit(t, p.Pid, exitCode(3))
	if got := <-exits; got != [2]int{firstFakePid, 3 << 8} {
		t.Fatalf("exit %v", got)
	}
	if err := f.Signal(p, syscall.SIGKILL); !errors.Is(err, osproc.ErrDone) {
		t.Fatalf("signal after exit: %v", err)
	}
	if f.exitStatus(p.Pid, 0) {
		t.Fatal("a process exited twice")
	}
	f.failNextLaunch(errors.New("no fork"))
	if _, err := f.Launch(osproc.Spec{}, onExit); err == nil || err.Error() != "no fork" {
		t.Fatalf("failing launch: %v", err)
	}
	f.setAutoTerm(true)
	q, err := f.Launch(osproc.Spec{}, onExit)
	if err != nil || q.Pid != firstFakePid+1 {
		t.Fatalf("second launch: %v %v", q, err)
	}
	f.Signal(q, syscall.SIGTERM)
	if got := <-exits; got != [2]int{q.Pid, 15} || !syscall.WaitStatus(got[1]).Signaled() {
		t.Fatalf("auto term %v", got)
	}
	if got := f.signalsTo(q.Pid); len(got) != 1 || got[0] != syscall.SIGTERM {
		t.Fatalf("signals %v", got)
	}
}

// expectNoSignal watches for window and fails if sig is sent to pid.
func (f *fakeLauncher) expectNoSignal(t *testing.T, pid int, sig syscall.Signal, window time.Duration) {
	t.Helper()
	end := time.After(window)
	for {
		f.mu.Lock()
		bad := false
		for _, s := range f.signals {
			bad = bad || (s.Pid == pid && s.Sig == sig)
		}
		ch := f.changed
		f.mu.Unlock()
		if bad {
			t.Fatalf("fake: unexpected %v to pid %d", sig, pid)
		}
		select {
		case <-ch:
		case <-end:
			return
		}
	}
}

// expectNoLaunch watches for window and fails if more than n launches
// are recorded.
func (f *fakeLauncher) expectNoLaunch(t *testing.T, n int, window time.Duration) {
	t.Helper()
	end := time.After(window)
	for {
		f.mu.Lock()
		got, ch := len(f.launches), f.changed
		f.mu.Unlock()
		if got > n {
			t.Fatalf("fake: %d launches, want %d", got, n)
		}
		select {
		case <-ch:
		case <-end:
			return
		}
	}
}

// expectIdle watches every service for window and fails on any state
// change published after the call.
func (r *rig) expectIdle(window time.Duration) {
	r.t.Helper()
	r.rec.ExpectIdle(r.t, window)
}

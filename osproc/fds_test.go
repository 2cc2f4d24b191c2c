//go:build linux

// These tests check fds in the children through /proc/self/fd and set the
// fd limit with prlimit(2): Linux's. They run in both Linux builds.

package osproc

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// withFdLimit sets the soft fd limit of the test process to soft until
// the end of the test. It uses prlimit(2) directly: syscall.Setrlimit would
// also stop Go from giving children the soft limit it found at start.
func withFdLimit(t *testing.T, soft int) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatal(err)
	}
	if uint64(soft) > old.Max {
		t.Skipf("hard fd limit %d: cannot set the soft one to %d", old.Max, soft)
	}
	lim := unix.Rlimit{Cur: uint64(soft), Max: old.Max}
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &old, nil); err != nil {
			t.Errorf("restore the fd limit: %v", err)
		}
	})
}

// filler opens fds (dups of /dev/null) to fill the fd table; every one is
// closed at the end of the test.
type filler struct {
	t   *testing.T
	fds []int // sorted
}

func newFiller(t *testing.T) *filler {
	f := &filler{t: t}
	t.Cleanup(func() { closeFds(f.fds...) })
	return f
}

// fill opens fds until the table is full, and says how many it opened.
func (f *filler) fill() int {
	f.t.Helper()
	for n := 0; ; n++ {
		fd, err := unix.FcntlInt(launcher.devnull.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if errors.Is(err, syscall.EMFILE) {
			slices.Sort(f.fds)
			return n
		}
		if err != nil {
			f.t.Fatal(err)
		}
		f.fds = append(f.fds, fd)
	}
}

// free closes the n highest (or lowest) fds it holds.
func (f *filler) free(n int, highest bool) {
	f.t.Helper()
	if n > len(f.fds) {
		f.t.Fatalf("free %d: only %d fds held", n, len(f.fds))
	}
	if highest {
		closeFds(f.fds[len(f.fds)-n:]...)
		f.fds = f.fds[:len(f.fds)-n]
		return
	}
	closeFds(f.fds[:n]...)
	f.fds = f.fds[n:]
}

func openCount(t *testing.T) int {
	t.Helper()
	n, err := OpenFds()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A file the child gets with the last number of the fd table used to make
// syscall.ForkExec fail in the child with EBADF (it moves its status pipe
// above the child's highest fd, past the limit): under fd exhaustion the
// pipes get those numbers, and a start failed with `exec sleep: bad file
// descriptor`. Launch moves such a file lower first.
func TestChildFdAtTheLimit(t *testing.T) {
	limit := openCount(t) + 64
	withFdLimit(t, limit)
	f, err := os.Open("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, hi := range []int{limit - 1, limit - 3} {
		if err := unix.Dup3(int(f.Fd()), hi, unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		high := os.NewFile(uintptr(hi), "high")
		c := capture(t, Spec{Argv: []string{"readlink", "/proc/self/fd/3"}, ExtraFiles: []*os.File{high}})
		if got := lines(t, c.out, 1)[0]; got != "/etc/passwd" {
			t.Errorf("fd %d as ExtraFiles: the child's fd 3 is %s, want /etc/passwd", hi, got)
		}
		c.wait(t)
		c = capture(t, Spec{Argv: []string{"readlink", "/proc/self/fd/0"}, Stdin: high})
		if got := lines(t, c.out, 1)[0]; got != "/etc/passwd" {
			t.Errorf("fd %d as Stdin: the child's fd 0 is %s, want /etc/passwd", hi, got)
		}
		c.wait(t)
		high.Close()
	}
}

// With the fd table full, Launch fails with an error that is EMFILE
// (errors.Is), leaks nothing, and leaves the last FdReserve fds to cfkd;
// once fds are free it starts again.
func TestFdShortage(t *testing.T) {
	// the pipes of earlier tests' children are closed by the poller at
	// their EOF, which may come after their exit: counts of free fds
	// hold only once they are all closed
	noOutputPipes(t)
	withFdLimit(t, openCount(t)+64)
	fl := newFiller(t)
	spec := Spec{Argv: []string{"true"}, Stdout: func(int, []byte) {}, Stderr: func(int, []byte) {}}
	// free fds are free before Launch fails: as many are free after it
	launchFails := func(what string, free int) {
		t.Helper()
		c, err := tryStart(t, spec)
		if err == nil {
			c.wait(t)
			t.Fatalf("%s: Launch succeeded", what)
		}
		if !errors.Is(err, syscall.EMFILE) {
			t.Fatalf("%s: Launch: %v, want EMFILE", what, err)
		}
		if n := fl.fill(); n != free {
			t.Errorf("%s: %d fds free before the failed launch, %d after", what, free, n)
		}
	}

	fl.fill()
	launchFails("table full", 0)
	fl.free(FdReserve, true)
	launchFails("only the reserve free", FdReserve)

	fl.free(forkFds+2, false) // the pipes, and ForkExec's status pipe
	capture(t, spec).wait(t)
}

// The pipe of a Spec.StderrPipe, whose read end is the caller's (a
// ready=exec: try's stderr, REFERENCE §2.9), is made as the captured ones
// are: never in the last FdReserve fds (the launch fails with EMFILE,
// leaking nothing), and once fds are free the launch hands it back.
func TestStderrPipeKeepsTheReserve(t *testing.T) {
	noOutputPipes(t)
	withFdLimit(t, openCount(t)+64)
	fl := newFiller(t)
	spec := Spec{Argv: []string{"sh", "-c", "echo probed >&2"}, StderrPipe: true}
	fl.fill()
	fl.free(FdReserve, true)
	c, err := tryStart(t, spec)
	if err == nil {
		c.Stderr.Close()
		c.wait(t)
		t.Fatal("only the reserve free: Launch succeeded")
	}
	if !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("only the reserve free: Launch: %v, want EMFILE", err)
	}
	if n := fl.fill(); n != FdReserve {
		t.Errorf("%d fds free before the failed launch, %d after", FdReserve, n)
	}
	fl.free(forkFds, false) // the pipe, and ForkExec's status pipe
	c, err = tryStart(t, spec)
	if err != nil {
		t.Fatalf("with fds free: Launch: %v", err)
	}
	defer c.Stderr.Close()
	c.Stderr.SetReadDeadline(time.Now().Add(deadline))
	buf := make([]byte, 16)
	if n, err := c.Stderr.Read(buf); err != nil || string(buf[:n]) != "probed\n" {
		t.Errorf("the pipe read %q, %v; want probed", buf[:n], err)
	}
	c.wait(t)
}

// noOutputPipes waits until the poller holds no pipe (the children of
// earlier tests all read to their EOF).
func noOutputPipes(t *testing.T) {
	t.Helper()
	eventually(t, "the poller holds no pipe", func() (bool, string) {
		launcher.out.mu.Lock()
		defer launcher.out.mu.Unlock()
		return len(launcher.out.pipes) == 0, fmt.Sprintf("%d pipes", len(launcher.out.pipes))
	})
}

// A mass start holds 2 fds per service, plus a few per fork under way: N
// concurrent launches (as N service actors do) under a limit of 2N + 48
// above what is open all succeed. (Launch used to open a service's 4 pipe
// fds before waiting for a fork slot: about 4 fds per service at the peak.)
func TestMassStartWithin2FdsPerService(t *testing.T) {
	const n = 200
	withFdLimit(t, openCount(t)+FdsPerService*n+48)
	spec := Spec{Argv: []string{"sleep", "60"}, Env: os.Environ(), Stdout: func(int, []byte) {}, Stderr: func(int, []byte) {}}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tryStart(t, spec); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Errorf("%d of %d launches failed, first: %v", len(errs), n, errs[0])
	}
}

// A fork that runs short of fds waits for the other forks under way, and
// only for them: alone, it is told at once.
func TestForkSlotsWaitForOthers(t *testing.T) {
	s := newForkSlots(2)
	s.take()
	if s.waitForOthers() {
		t.Fatal("alone: waitForOthers returned true")
	}
	s.take() // a second fork under way
	waited := make(chan bool)
	go func() { waited <- s.waitForOthers() }()
	// the waiting fork gave its slot back: a third may take it
	taken := make(chan struct{})
	go func() { s.take(); close(taken) }()
	select {
	case <-taken:
	case <-time.After(deadline):
		t.Fatal("the slot of a waiting fork was not given back")
	}
	select { // it waits for a slot to be given back: none was
	case <-waited:
		t.Fatal("waitForOthers returned before another fork ended")
	default:
	}
	s.give() // one fork under way ends
	select {
	case ok := <-waited:
		if !ok {
			t.Fatal("waitForOthers returned false after another fork ended")
		}
	case <-time.After(deadline):
		t.Fatal("waitForOthers still waits after another fork ended")
	}
	s.mu.Lock()
	busy := s.busy
	s.mu.Unlock()
	if busy != 2 {
		t.Errorf("%d slots taken, want 2 (the third fork and the one that waited)", busy)
	}
}

func TestServiceRoom(t *testing.T) {
	for _, c := range []struct {
		limit uint64
		open  int
		want  int
	}{
		{20000, 20, (20000 - 20 - FdReserve - forkFds) / 2},
		{1024, 1000, 2},
		{64, 60, 0},
		{^uint64(0), 0, (1<<30 - FdReserve - forkFds) / 2},
	} {
		if got := ServiceRoom(c.limit, c.open); got != c.want {
			t.Errorf("ServiceRoom(%d, %d) = %d, want %d", c.limit, c.open, got, c.want)
		}
	}
}

// REFERENCE §7.4: once StopLaunching was called (cfkd's shutdown), a
// Launch waiting for a fork slot returns ErrCancelled at once, having
// forked nothing nor opened an fd, and so does one that comes after; the
// slot a fork under way holds stays its own. (The launches waiting forked
// once a slot was free, only to be killed by the shutdown.)
func TestStopLaunchingCancelsTheLaunchesWaitingForASlot(t *testing.T) {
	noOutputPipes(t) // the fd count below is of this test's fds alone
	slots := newForkSlots(1)
	waiting := make(chan struct{}, 1)
	slots.waiting = func() {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	saved := launcher.forks
	launcher.forks = slots // stopped below: the other tests keep theirs
	slots.take()           // a fork under way
	type launched struct {
		p   *Process
		err error
	}
	out := make(chan launched, 1)
	reaped := make(chan struct{})
	var mu sync.Mutex
	var got *launched
	t.Cleanup(func() {
		// without StopLaunching's effect the launch waits on: it forks
		// once the slot is free, and its process is killed and reaped
		slots.give()
		mu.Lock()
		defer mu.Unlock()
		if got == nil {
			select {
			case l := <-out:
				got = &l
			case <-time.After(deadline):
				t.Error("cleanup: the launch still waits")
			}
		}
		launcher.forks = saved
		if got != nil && got.p != nil {
			launcher.Signal(got.p, syscall.SIGKILL)
			select {
			case <-reaped:
			case <-time.After(deadline):
				t.Errorf("cleanup: process %d was not reaped", got.p.Pid)
			}
		}
	})
	spec := Spec{Argv: []string{"sleep", "60"}, Env: os.Environ(), Stdout: func(int, []byte) {}, Stderr: func(int, []byte) {}}
	open := openCount(t)
	launcher.mu.Lock()
	forks := launcher.forkSeq
	launcher.mu.Unlock()
	go func() {
		p, err := launcher.Launch(spec, func(int, syscall.WaitStatus) { close(reaped) })
		out <- launched{p, err}
	}()
	select {
	case <-waiting:
	case <-time.After(deadline):
		t.Fatal("the launch does not wait for the slot")
	}
	launcher.StopLaunching()
	mu.Lock()
	select {
	case l := <-out:
		got = &l
	case <-time.After(deadline):
	}
	mu.Unlock()
	if got == nil {
		t.Fatal("the launch waiting for a slot still waits after StopLaunching")
	}
	if !errors.Is(got.err, ErrCancelled) || got.p != nil {
		t.Fatalf("the launch waiting for a slot: %v, %v; want %v", got.p, got.err, ErrCancelled)
	}
	// one that comes now returns at once, not waiting for the slot
	if p, err := launcher.Launch(spec, func(int, syscall.WaitStatus) {}); !errors.Is(err, ErrCancelled) || p != nil {
		t.Fatalf("a launch after StopLaunching: %v, %v; want %v", p, err, ErrCancelled)
	}
	launcher.mu.Lock()
	forked := launcher.forkSeq - forks
	launcher.mu.Unlock()
	if forked != 0 {
		t.Errorf("%d forks after StopLaunching", forked)
	}
	if n := openCount(t); n != open {
		t.Errorf("%d fds open after the cancelled launches, %d before", n, open)
	}
	slots.mu.Lock()
	busy := slots.busy
	slots.mu.Unlock()
	if busy != 1 {
		t.Errorf("%d slots taken, want 1: the fork under way's", busy)
	}
}

// REFERENCE §7.5: TargetOrphans takes every fork slot, its barrier
// against a child forked but not registered yet, also once a shutdown
// stopped the launches (StopLaunching), and gives back what it took:
// take refused it once stopped, and the gives that followed made the
// count of slots taken negative (-2 here), so that a fork short of fds
// no longer waited for those under way.
func TestTargetOrphansAfterStopLaunchingKeepsTheCount(t *testing.T) {
	slots := newForkSlots(2)
	saved := launcher.forks
	launcher.forks = slots
	t.Cleanup(func() { launcher.forks = saved })
	slots.stop()
	if ts := launcher.TargetOrphans(nil); len(ts) != 0 {
		t.Fatalf("targets of no orphan: %d", len(ts))
	}
	slots.mu.Lock()
	busy := slots.busy
	slots.mu.Unlock()
	if busy != 0 {
		t.Errorf("%d slots taken after TargetOrphans, want 0", busy)
	}
}

// REFERENCE §7.5: two TargetOrphans at once (the scan of one service's
// exit, and the next round of the orphans of another's) each take every
// fork slot in turn, and neither waits for ever. They took slots side by
// side: here, with the 2 slots given back one at a time as forks under
// way end, each got one and waited for the other's for ever, and with
// them every launch, every exit to scan and the shutdown's sweep (a
// `restart @web` of examples/prefork never answered, a SIGTERM that never
// ended cfkd).
func TestTargetOrphansSideBySideEnd(t *testing.T) {
	slots := newForkSlots(2)
	saved := launcher.forks
	launcher.forks = slots
	t.Cleanup(func() { launcher.forks = saved })
	waits := make(chan struct{}, 16)
	slots.waiting = func() { waits <- struct{}{} }
	waited := func(what string) {
		t.Helper()
		select {
		case <-waits:
		case <-time.After(deadline):
			t.Fatalf("%s does not wait", what)
		}
	}
	// two forks under way hold both slots
	slots.take()
	slots.take()
	done := make(chan int, 2)
	for i := range 2 {
		go func() { launcher.TargetOrphans(nil); done <- i }()
		waited(fmt.Sprintf("TargetOrphans %d", i)) // the first for a slot; the second for a slot too, or for the first
	}
	slots.give() // the first fork ends: the first TargetOrphans takes its slot
	waited("TargetOrphans 0, for its second slot")
	slots.give() // the second ends
	for range 2 {
		select {
		case <-done:
		case <-time.After(deadline):
			slots.mu.Lock()
			busy := slots.busy
			slots.mu.Unlock()
			t.Fatalf("TargetOrphans side by side wait for ever (%d slots taken)", busy)
		}
	}
	slots.mu.Lock()
	defer slots.mu.Unlock()
	if slots.busy != 0 {
		t.Errorf("%d slots taken after both, want 0", slots.busy)
	}
}

// fdSize is the size of the test process's fd table (FDSize in
// /proc/self/status).
func fdSize(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "FDSize:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("FDSize %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no FDSize in /proc/self/status")
	return 0
}

// GrowFdTable sizes the fd table for the limit it is given, so that the
// console's fd in reserve, at limit − FdReserve, later takes its number
// without the kernel growing the table (REFERENCE §7.6); it leaves no fd
// open, and a limit above the soft one is an error that leaves none
// either.
func TestGrowFdTable(t *testing.T) {
	var lim unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &lim); err != nil {
		t.Fatal(err)
	}
	before := fdSize(t)
	limit := min(lim.Cur, uint64(4*before)) // two steps of the kernel's growth
	if limit <= uint64(before)+FdReserve {
		t.Skipf("the table (%d fds) already holds the soft limit %d", before, lim.Cur)
	}
	open := openCount(t)
	if err := GrowFdTable(limit); err != nil {
		t.Fatal(err)
	}
	if got := fdSize(t); uint64(got) < limit-FdReserve+1 {
		t.Errorf("after GrowFdTable(%d) the table holds %d fds (%d before), want at least %d", limit, got, before, limit-FdReserve+1)
	}
	if got := openCount(t); got != open {
		t.Errorf("GrowFdTable left %d fds open, want %d as before", got, open)
	}
	if lim.Cur < 1<<30 {
		if err := GrowFdTable(lim.Cur + FdReserve + 1); err == nil {
			t.Errorf("GrowFdTable(%d) above the soft limit %d: no error", lim.Cur+FdReserve+1, lim.Cur)
		}
		if got := openCount(t); got != open {
			t.Errorf("a refused GrowFdTable left %d fds open, want %d as before", got, open)
		}
	}
}
